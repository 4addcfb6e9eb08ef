import type { Database, Statement } from 'better-sqlite3';
import { RosettaError } from '../../models/errors.ts';
import type { JobError, JobRecord, JobStatus } from './types.ts';

interface JobRow {
  id: number;
  kind: string;
  status: JobStatus;
  started_at: string;
  finished_at: string | null;
  counts: string;
  args: string;
  error_count: number;
}

const finalStatuses: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled'];

/** Jobs (indexing runs, re-projections) and the per-file errors they met. */
export class JobRepository {
  private readonly s: Record<string, Statement>;

  constructor(db: Database) {
    const p = (sql: string) => db.prepare(sql);
    const select = `SELECT jobs.*, (SELECT count(*) FROM job_errors e WHERE e.job_id = jobs.id) AS error_count FROM jobs`;
    this.s = {
      start: p(`INSERT INTO jobs (kind, started_at, status, args) VALUES (?, ?, 'running', ?)`),
      finish: p(`UPDATE jobs SET status = ?, finished_at = ?, counts = ? WHERE id = ? AND status = 'running'`),
      interrupt: p(`UPDATE jobs SET status = 'interrupted' WHERE status = 'running'`),
      get: p(`${select} WHERE id = ?`),
      list: p(`${select} ORDER BY id DESC LIMIT ?`),
      addError: p(`INSERT INTO job_errors (job_id, path, code, message, created_at) VALUES (?, ?, ?, ?, ?)`),
      errors: p(`SELECT path, code, message FROM job_errors WHERE job_id = ? ORDER BY id LIMIT ? OFFSET ?`),
    };
  }

  start(kind: string, args: unknown, now: string): number {
    if (typeof kind !== 'string' || kind.trim() === '') {
      throw new RosettaError('INVALID_ARGUMENT', 'job kind must be a non-empty string');
    }
    return Number(this.s.start.run(kind, now, JSON.stringify(args ?? {})).lastInsertRowid);
  }

  finish(id: number, status: JobStatus, counts: Record<string, number>, now: string): void {
    if (!finalStatuses.includes(status)) {
      throw new RosettaError('INVALID_ARGUMENT', `job status "${status}" is not one of ${finalStatuses.join(', ')}`);
    }
    if (this.s.finish.run(status, now, JSON.stringify(counts), id).changes === 0) {
      this.get(id); // NOT_FOUND for an unknown id
      throw new RosettaError('INVALID_ARGUMENT', `job ${id} has already finished`);
    }
  }

  /** A job left 'running' by a process that died; the store's lock means none is still alive. */
  markInterrupted(): number {
    return this.s.interrupt.run().changes;
  }

  get(id: number): JobRecord {
    const row = this.s.get.get(id) as JobRow | undefined;
    if (!row) throw new RosettaError('NOT_FOUND', `job ${id} does not exist`);
    return toJob(row);
  }

  list(limit: number): JobRecord[] {
    return (this.s.list.all(limit) as JobRow[]).map(toJob);
  }

  addError(id: number, error: JobError, now: string): void {
    try {
      this.s.addError.run(id, error.path, error.code, error.message, now);
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
        throw new RosettaError('NOT_FOUND', `job ${id} does not exist`, { cause: err });
      }
      throw err;
    }
  }

  errors(id: number, limit: number, offset: number): JobError[] {
    return this.s.errors.all(id, limit, offset) as JobError[];
  }
}

function toJob(row: JobRow): JobRecord {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    counts: JSON.parse(row.counts) as Record<string, number>,
    args: JSON.parse(row.args) as unknown,
    errorCount: row.error_count,
  };
}
