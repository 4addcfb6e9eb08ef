import type { IndexDuplicate, IndexFailure, IndexProgress, IndexSummary, ItemOutcome } from './types.ts';

const EXAMPLES_PER_CODE = 3;
const DUPLICATES_LISTED = 20;

/** Counts outcomes as they come and turns them into progress and the summary. */
export class Tally {
  added = 0;
  updated = 0;
  unchanged = 0;
  duplicates = 0;
  failed = 0;
  readonly errors: IndexSummary['errors'] = {};
  readonly duplicatesOf: IndexDuplicate[] = [];
  total = 0;
  private readonly started = performance.now();

  get done(): number {
    return this.added + this.updated + this.unchanged + this.duplicates + this.failed;
  }

  count(outcome: Exclude<ItemOutcome, 'failed'>): void {
    if (outcome === 'duplicate') this.duplicates++;
    else this[outcome]++;
  }

  /** Counts a duplicate and keeps the first few with the item they matched. */
  duplicate(d: IndexDuplicate): void {
    this.duplicates++;
    if (this.duplicatesOf.length < DUPLICATES_LISTED) this.duplicatesOf.push(d);
  }

  fail(failure: IndexFailure): void {
    this.failed++;
    const group = (this.errors[failure.code] ??= { count: 0, examples: [] });
    group.count++;
    if (group.examples.length < EXAMPLES_PER_CODE) group.examples.push(failure);
  }

  seconds(): number {
    return (performance.now() - this.started) / 1000;
  }

  /** @example tally.progress() // { done: 120, total: 2000, rate: 48.1, etaSeconds: 39.1 } */
  progress(): IndexProgress {
    const seconds = this.seconds();
    const done = this.done;
    const rate = seconds > 0 ? done / seconds : 0;
    return {
      done,
      total: this.total,
      rate: round(rate, 1),
      etaSeconds: rate > 0 ? round((this.total - done) / rate, 1) : null,
    };
  }

  /** The counts stored with the job record. */
  counts(): Record<string, number> {
    const { total, added, updated, unchanged, duplicates, failed } = this;
    return { total, added, updated, unchanged, duplicates, failed };
  }

  summary(jobId: number, status: IndexSummary['status']): IndexSummary {
    return {
      jobId,
      status,
      total: this.total,
      indexed: this.added + this.updated,
      added: this.added,
      updated: this.updated,
      unchanged: this.unchanged,
      duplicates: this.duplicates,
      failed: this.failed,
      errors: this.errors,
      duplicatesOf: this.duplicatesOf,
      seconds: round(this.seconds(), 2),
    };
  }
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
