/**
 * Ids of items whose files are byte-identical. The engine stores identical bytes once, under
 * the first id that brought them (OpenMoji draws "man firefighter" and "firefighter" alike),
 * so a later id can never be returned. A query that wants it is answered by the stored twin:
 * the same picture. Scoring the twin as a miss would charge every system for the data.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { CollectionStore } from '../../indexer/store/index.ts';
import { isRosettaError } from '../../models/errors.ts';
import type { DevCollectionItem } from './dev-set.ts';
import type { EvalQuery } from './queries.ts';

/**
 * Each manifest id mapped to the external id its bytes are stored under: itself, or the item
 * that holds the same content. Ids the store has no content for are left out.
 *
 * @example await storedIds(store, items, 'models/cache/demo-full') // Map { 'om-1F468-200D-1F692' => 'om-1F9D1-200D-1F692', 'om-1F600' => 'om-1F600', ... }
 */
export async function storedIds(store: CollectionStore, items: readonly DevCollectionItem[], root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const item of items) {
    try {
      out.set(item.id, store.getItem(item.id).externalId);
      continue;
    } catch (err) {
      if (!isRosettaError(err, 'NOT_FOUND')) throw err;
    }
    const hash = createHash('sha256').update(await readFile(path.resolve(root, item.path))).digest('hex');
    const holder = store.findByHash(hash);
    if (holder) out.set(item.id, holder.externalId);
  }
  return out;
}

/**
 * The queries with their relevant and excluded ids replaced by the stored ids (duplicates
 * merged), and how many were changed. A query left with no relevant id, or whose relevant
 * ids are all excluded, is dropped.
 *
 * @example mapQueryIds([{ qid: 'q', type: 't', text: 'man firefighter', relevant: ['man'] }], new Map([['man', 'person']]))
 * // { queries: [{ ..., relevant: ['person'] }], remapped: 1, dropped: 0 }
 */
export function mapQueryIds<Q extends EvalQuery>(queries: readonly Q[], ids: ReadonlyMap<string, string>): { queries: Q[]; remapped: number; dropped: number } {
  const map = (list: readonly string[]) => [...new Set(list.flatMap((id) => (ids.has(id) ? [ids.get(id)!] : [])))];
  const out: Q[] = [];
  let remapped = 0;
  for (const q of queries) {
    const exclude = q.exclude && map(q.exclude);
    const relevant = map(q.relevant).filter((id) => !exclude?.includes(id));
    const changed = relevant.length !== q.relevant.length || relevant.some((id, i) => id !== q.relevant[i]) || (exclude !== undefined && exclude.some((id, i) => id !== q.exclude![i]));
    if (relevant.length === 0) continue;
    if (changed) remapped++;
    out.push({ ...q, relevant, ...(exclude ? { exclude } : {}) });
  }
  return { queries: out, remapped, dropped: queries.length - out.length };
}
