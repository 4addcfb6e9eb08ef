import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { isRosettaError } from '../../models/errors.ts';
import { migrate, migrations, schemaVersion } from './schema.ts';

function v1WithCaption(): Database.Database {
  const db = new Database(':memory:');
  migrate(db, 1);
  db.prepare(
    `INSERT INTO items (external_id, modality, source_path, content_hash, mime, created_at, updated_at)
     VALUES ('a.jpg', 'image', '/a.jpg', ?, 'image/jpeg', 'now', 'now')`,
  ).run('a'.repeat(64));
  db.prepare(`INSERT INTO captions (item_id, text, source) VALUES (1, 'a heron at dawn', 'manifest')`).run();
  return db;
}

describe('schema migrations', () => {
  it('are numbered 1, 2, ... in order', () => {
    expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1));
    expect(schemaVersion).toBe(migrations.length);
  });

  it('create every table on an empty database, and a second run does nothing', () => {
    const db = new Database(':memory:');
    expect(migrate(db)).toEqual({ from: 0, to: schemaVersion });
    const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).pluck().all();
    for (const t of ['meta', 'items', 'captions', 'features', 'thumbnails', 'jobs', 'job_errors', 'captions_fts']) {
      expect(tables).toContain(t);
    }
    expect(migrate(db)).toEqual({ from: schemaVersion, to: schemaVersion });
  });

  it('upgrade a version 1 database and index the captions it already had', () => {
    const db = v1WithCaption();
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    expect(migrate(db)).toEqual({ from: 1, to: 2 });
    const hits = db.prepare(`SELECT rowid FROM captions_fts WHERE captions_fts MATCH 'heron'`).pluck().all();
    expect(hits).toEqual([1]);
  });

  it('keep caption search in step with inserts, updates and deletes', () => {
    const db = v1WithCaption();
    migrate(db);
    const match = (word: string) => db.prepare(`SELECT rowid FROM captions_fts WHERE captions_fts MATCH ?`).pluck().all(word);
    db.prepare(`UPDATE captions SET text = 'an egret' WHERE id = 1`).run();
    expect(match('heron')).toEqual([]);
    expect(match('egret')).toEqual([1]);
    db.prepare(`INSERT INTO captions (item_id, text, source) VALUES (1, 'egret again', 'user')`).run();
    expect(match('egret')).toHaveLength(2);
    db.pragma('foreign_keys = ON');
    db.prepare(`DELETE FROM items WHERE id = 1`).run();
    expect(match('egret')).toEqual([]);
  });

  it('refuse a database from a newer Rosetta with INVALID_ARGUMENT', () => {
    const db = new Database(':memory:');
    db.pragma(`user_version = ${schemaVersion + 1}`);
    let err: unknown;
    try {
      migrate(db);
    } catch (e) {
      err = e;
    }
    expect(isRosettaError(err, 'INVALID_ARGUMENT')).toBe(true);
    expect((err as Error).message).toContain(String(schemaVersion + 1));
  });

  it('roll back a migration that fails, leaving the version where it was', () => {
    const db = v1WithCaption();
    db.exec('CREATE TABLE captions_fts (x)'); // makes migration 2 fail
    expect(() => migrate(db)).toThrow();
    expect(db.pragma('user_version', { simple: true })).toBe(1);
  });
});
