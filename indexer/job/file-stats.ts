import Database from 'better-sqlite3';
import { rmSync } from 'node:fs';
import path from 'node:path';

/** Lives beside the collection; only this module opens it. Safe to delete. */
export const FILE_STATS_FILE = 'index-files.sqlite';

export interface FileStatEntry {
  path: string;
  size: number;
  mtimeMs: number;
  hash: string;
}

/**
 * What the last run saw of each file (path, size, mtime, content hash), so that a re-run
 * skips an unchanged file without reading it. Only a hint: the caller still checks the
 * collection holds that hash for the id, and an entry is written only after the item
 * committed, so a crash between the two costs one re-read, never a wrong skip.
 *
 * Kept beside the collection database rather than in it because the store's schema has no
 * column for a file's size and mtime; two such columns on `items` would make this file moot.
 */
export class FileStatCache {
  private readonly getStmt?: Database.Statement;
  private readonly putStmt?: Database.Statement;

  private constructor(private readonly db: Database.Database | null) {
    this.getStmt = db?.prepare('SELECT path, size, mtime_ms AS mtimeMs, hash FROM files WHERE external_id = ?');
    this.putStmt = db?.prepare(
      'INSERT OR REPLACE INTO files (external_id, path, size, mtime_ms, hash) VALUES (@externalId, @path, @size, @mtimeMs, @hash)',
    );
  }

  /**
   * @example
   * const cache = FileStatCache.open('/data/collection');
   * cache.get('a/cat.jpg'); // { path: '/lib/a/cat.jpg', size: 48213, mtimeMs: ..., hash: '9f86...' }
   */
  static open(dir: string): FileStatCache {
    const file = path.join(dir, FILE_STATS_FILE);
    for (let attempt = 0; attempt < 2; attempt++) {
      let db: Database.Database | undefined;
      try {
        db = new Database(file);
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = NORMAL');
        db.exec(`CREATE TABLE IF NOT EXISTS files (
          external_id TEXT PRIMARY KEY, path TEXT NOT NULL, size INTEGER NOT NULL,
          mtime_ms REAL NOT NULL, hash TEXT NOT NULL) STRICT`);
        return new FileStatCache(db);
      } catch {
        // A damaged cache is worth nothing: start again, or run without one.
        db?.close();
        for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
      }
    }
    return new FileStatCache(null);
  }

  /** A cache that remembers nothing: every file is read and hashed. */
  static inMemory(): FileStatCache {
    return new FileStatCache(null);
  }

  get(externalId: string): FileStatEntry | undefined {
    return this.getStmt?.get(externalId) as FileStatEntry | undefined;
  }

  /** Records several entries in one transaction. */
  putMany(entries: readonly (FileStatEntry & { externalId: string })[]): void {
    const { db, putStmt } = this;
    if (!db || !putStmt || entries.length === 0) return;
    db.transaction(() => entries.forEach((e) => putStmt.run(e)))();
  }

  close(): void {
    this.db?.close();
  }
}

/** Whether a fresh stat matches what was recorded. */
export function sameStat(entry: FileStatEntry | undefined, filePath: string, stat: { size: number; mtimeMs: number }): entry is FileStatEntry {
  return entry !== undefined && entry.path === filePath && entry.size === stat.size && entry.mtimeMs === stat.mtimeMs;
}
