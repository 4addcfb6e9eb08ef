/**
 * Inside a ThreadedHnswIndex's thread: one HnswIndex, its methods called in the order the
 * calls were made (serveRpc does not wait for one before starting the next), so HnswIndex's
 * own SerialQueue orders writes, saves, loads and searches exactly as it does in-process.
 */
import { rpcData, serveRpc } from '../../models/worker-rpc.ts';
import { HnswIndex, type HnswOptions } from './hnsw-index.ts';

/** A search's hits as two typed arrays, moved to the caller without a copy. */
export interface WireHits {
  ids: Uint32Array;
  scores: Float64Array;
  /** Live vectors when the search ran: the caller's mirror may lag writes not yet answered. */
  live: number;
}

const { dim, options } = rpcData<{ dim: number; options: Omit<HnswOptions, 'ef'> }>();
const index = new HnswIndex(dim, options);

serveRpc(
  {
    add: (id: number, vector: Float32Array) => index.add(id, vector),
    remove: (id: number) => index.remove(id),
    save: (path: string) => index.save(path),
    loadListing: (path: string) => index.loadListing(path),
    search: async (query: Float32Array, k: number): Promise<WireHits> => {
      const hits = await index.search(query, k);
      return { ids: Uint32Array.from(hits, (h) => h.id), scores: Float64Array.from(hits, (h) => h.score), live: index.size() };
    },
  },
  // Every typed array in these results is made fresh for the reply, so moving its buffer is safe.
  (result) => Object.values(result ?? {}).flatMap((v) => (ArrayBuffer.isView(v) ? [v.buffer as ArrayBuffer] : [])),
);
