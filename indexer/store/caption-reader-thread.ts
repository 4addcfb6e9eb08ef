/**
 * Inside the caption reader's thread: a read-only connection to the collection database
 * answering keyword plans with the same code the store runs inline.
 */
import Database from 'better-sqlite3';
import { rpcData, serveRpc } from '../../models/worker-rpc.ts';
import { PAGE_CACHE_KIB } from './db.ts';
import { planKeywordSearch, type KeywordMode } from './fts.ts';
import { ItemRepository } from './items.ts';

const { file } = rpcData<{ file: string }>();
const db = new Database(file, { readonly: true, fileMustExist: true });
db.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
const items = new ItemRepository(db);
// Prepared once: db.pragma() compiles its statement on every call, 5-7 µs against 1.5 µs, and
// this runs on every keyword plan.
const dataVersion = db.prepare('PRAGMA data_version').pluck();
let seen = dataVersion.get();

/** The repository, its caption statistics dropped if another connection committed since the last call. */
function current(): ItemRepository {
  const version = dataVersion.get();
  if (version !== seen) {
    seen = version;
    items.captionsChanged();
  }
  return items;
}

serveRpc({
  keywordIds: (text: string, limit: number, mode: KeywordMode) => planKeywordSearch(current(), text, limit, mode),
  close: () => db.close(),
});
