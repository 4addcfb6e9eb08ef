import type { Database, Statement } from 'better-sqlite3';

/** The space the vectors live in: the projector's version and dimension. */
export interface SpaceInfo {
  version: string;
  dim: number;
}

/** Written with every save of the index file; open compares the file and the rows with it. */
export interface IndexFileState {
  spaceVersion: string;
  dim: number;
  /** Live vectors in the file. */
  count: number;
  /** The change counter when the file was written: items with a larger vector_seq changed since. */
  seq: number;
  bytes: number;
  sha256: string;
}

/** Typed keys of the `meta` table (JSON values). */
export class MetaRepository {
  private readonly getStmt: Statement;
  private readonly setStmt: Statement;

  constructor(db: Database) {
    this.getStmt = db.prepare('SELECT value FROM meta WHERE key = ?').pluck();
    this.setStmt = db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
  }

  space(): SpaceInfo | undefined {
    return this.get<SpaceInfo>('space');
  }

  setSpace(space: SpaceInfo): void {
    this.set('space', space);
  }

  indexFile(): IndexFileState | undefined {
    return this.get<IndexFileState>('index_file');
  }

  setIndexFile(state: IndexFileState): void {
    this.set('index_file', state);
  }

  seq(): number {
    return this.get<number>('change_seq') ?? 0;
  }

  setSeq(seq: number): void {
    this.set('change_seq', seq);
  }

  private get<T>(key: string): T | undefined {
    const value = this.getStmt.get(key) as string | undefined;
    return value === undefined ? undefined : (JSON.parse(value) as T);
  }

  private set(key: string, value: unknown): void {
    this.setStmt.run(key, JSON.stringify(value));
  }
}
