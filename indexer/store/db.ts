import Database from 'better-sqlite3';
import { RosettaError } from '../../models/errors.ts';
import { migrate } from './schema.ts';

/**
 * Opens (or creates) the collection database with the settings the store relies on:
 * WAL so readers never block the writer, foreign keys for the cascades, and the schema
 * migrated to the latest version.
 *
 * @example
 * const db = openDatabase('/c/collection.sqlite');
 */
export function openDatabase(path: string): Database.Database {
  let db: Database.Database;
  try {
    db = new Database(path);
  } catch (err) {
    throw new RosettaError('INVALID_ARGUMENT', `database ${path} cannot be opened: ${String(err)}`, { cause: err });
  }
  try {
    db.pragma('journal_mode = WAL');
    // NORMAL is durable across process crashes in WAL mode; only a power cut can lose the tail.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db);
    return db;
  } catch (err) {
    db.close();
    if (err instanceof RosettaError) throw err;
    throw new RosettaError('INVALID_ARGUMENT', `database ${path} cannot be used: ${String(err)}`, { cause: err });
  }
}
