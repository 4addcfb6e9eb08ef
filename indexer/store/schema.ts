import type { Database } from 'better-sqlite3';
import { RosettaError } from '../../models/errors.ts';

export interface Migration {
  /** PRAGMA user_version after this migration; migrations are numbered 1, 2, ... in order. */
  version: number;
  name: string;
  up(db: Database): void;
}

/**
 * The schema's history, oldest first. Never edit a shipped migration; append a new one.
 * `items.id` is the vector index's label, so AUTOINCREMENT keeps a deleted item's id unused.
 * `items.vector_seq` is the store's change counter at the item's last vector change; the
 * index file records the counter it was saved at, so drift after a crash is found by a range
 * query. `items.projected` says whether the projector placed the item in the current space.
 */
export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'collection tables',
    up: (db) =>
      db.exec(`
        CREATE TABLE meta (
          key TEXT PRIMARY KEY,
          value TEXT NOT NULL
        ) STRICT;

        CREATE TABLE items (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          external_id TEXT NOT NULL UNIQUE,
          modality TEXT NOT NULL CHECK (modality IN ('image', 'audio')),
          source_path TEXT NOT NULL,
          content_hash TEXT NOT NULL UNIQUE CHECK (length(content_hash) = 64),
          mime TEXT NOT NULL,
          width INTEGER,
          height INTEGER,
          duration REAL,
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL,
          vector_seq INTEGER NOT NULL DEFAULT 0,
          projected INTEGER NOT NULL DEFAULT 0 CHECK (projected IN (0, 1))
        ) STRICT;
        CREATE INDEX items_vector_seq ON items (vector_seq);

        CREATE TABLE captions (
          id INTEGER PRIMARY KEY,
          item_id INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,
          text TEXT NOT NULL,
          source TEXT NOT NULL CHECK (source IN ('manifest', 'sidecar', 'user'))
        ) STRICT;
        CREATE INDEX captions_item ON captions (item_id);

        CREATE TABLE features (
          item_id INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,
          modality TEXT NOT NULL CHECK (modality IN ('image', 'audio', 'sketch', 'text')),
          encoder TEXT NOT NULL,
          dim INTEGER NOT NULL CHECK (dim > 0),
          kind TEXT NOT NULL CHECK (kind IN ('dense', 'sparse')),
          vector BLOB,
          sparse_ids BLOB,
          sparse_weights BLOB,
          PRIMARY KEY (item_id, modality, encoder),
          CHECK ((kind = 'dense') = (vector IS NOT NULL)),
          CHECK ((kind = 'sparse') = (sparse_ids IS NOT NULL AND sparse_weights IS NOT NULL))
        ) STRICT;
        CREATE INDEX features_encoder ON features (modality, encoder, item_id);

        CREATE TABLE thumbnails (
          item_id INTEGER PRIMARY KEY REFERENCES items (id) ON DELETE CASCADE,
          webp BLOB NOT NULL
        ) STRICT;

        CREATE TABLE jobs (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          kind TEXT NOT NULL,
          started_at TEXT NOT NULL,
          finished_at TEXT,
          status TEXT NOT NULL
            CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled', 'interrupted')),
          counts TEXT NOT NULL DEFAULT '{}',
          args TEXT NOT NULL DEFAULT '{}'
        ) STRICT;

        CREATE TABLE job_errors (
          id INTEGER PRIMARY KEY,
          job_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
          path TEXT NOT NULL,
          code TEXT NOT NULL,
          message TEXT NOT NULL,
          created_at TEXT NOT NULL
        ) STRICT;
        CREATE INDEX job_errors_job ON job_errors (job_id);
      `),
  },
  {
    version: 2,
    name: 'keyword search over captions',
    up: (db) =>
      db.exec(`
        CREATE VIRTUAL TABLE captions_fts USING fts5 (
          text, content = 'captions', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
        );
        CREATE TRIGGER captions_fts_insert AFTER INSERT ON captions BEGIN
          INSERT INTO captions_fts (rowid, text) VALUES (new.id, new.text);
        END;
        CREATE TRIGGER captions_fts_delete AFTER DELETE ON captions BEGIN
          INSERT INTO captions_fts (captions_fts, rowid, text) VALUES ('delete', old.id, old.text);
        END;
        CREATE TRIGGER captions_fts_update AFTER UPDATE ON captions BEGIN
          INSERT INTO captions_fts (captions_fts, rowid, text) VALUES ('delete', old.id, old.text);
          INSERT INTO captions_fts (rowid, text) VALUES (new.id, new.text);
        END;
        -- Captions written before this migration.
        INSERT INTO captions_fts (captions_fts) VALUES ('rebuild');
      `),
  },
];

export const schemaVersion = migrations[migrations.length - 1].version;

/**
 * Brings the database to `target` (default: the latest), each migration in its own
 * transaction. Refuses a database written by a newer Rosetta.
 *
 * @example
 * migrate(db); // { from: 1, to: 2 }
 */
export function migrate(db: Database, target = schemaVersion): { from: number; to: number } {
  const from = db.pragma('user_version', { simple: true }) as number;
  if (from > schemaVersion) {
    throw new RosettaError(
      'INVALID_ARGUMENT',
      `database ${db.name} has schema version ${from}, newer than this Rosetta's ${schemaVersion}; upgrade Rosetta`,
    );
  }
  for (const m of migrations) {
    if (m.version <= from || m.version > target) continue;
    db.transaction(() => {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  return { from, to: Math.max(from, Math.min(target, schemaVersion)) };
}
