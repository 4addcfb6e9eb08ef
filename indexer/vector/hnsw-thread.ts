import { WorkerRpc } from '../../models/worker-rpc.ts';
import { RosettaError } from '../../models/errors.ts';
import type { HnswOptions } from './hnsw-index.ts';
import type { WireHits } from './hnsw-thread-serve.ts';
import type { VectorHit, VectorIndex } from './types.ts';
import { checkId, checkK, normalised } from './validate.ts';

/**
 * An {@link HnswIndex} on a worker thread (hnsw-thread-serve.ts), so that hnswlib's synchronous
 * graph search runs on another core while the main thread serves requests: on the 100,000-item
 * bench collection a text query's search is about 0.7 ms of CPU. Same behaviour as HnswIndex,
 * ordering included: the thread hands calls to one HnswIndex in the order they were made.
 * Arguments are checked here, so their errors are HnswIndex's; errors from the thread keep
 * their RosettaError code and message (WorkerRpc). size(), ids() and holeCount() read a mirror
 * updated as the thread answers writes.
 *
 * @example
 * const index = new ThreadedHnswIndex(256);
 * await index.add(7, vector);
 * await index.search(query, 2); // [{ id: 7, score: 0.93 }, { id: 3, score: 0.41 }]
 * await index.close(); // ends the thread; an open idle index does not keep the process alive
 */
export class ThreadedHnswIndex implements VectorIndex {
  readonly dim: number;
  private readonly rpc: WorkerRpc;
  private readonly live = new Set<number>();
  private readonly holes = new Set<number>();
  /**
   * Operations under way. A filtered search may take several calls, so close() waits for the
   * operations, not only the calls in flight: a store that swaps this index out for a new one
   * closes it while searches begun on it are still widening.
   */
  private readonly running = new Set<Promise<unknown>>();
  private closing: Promise<void> | undefined;

  constructor(dim: number, options: Omit<HnswOptions, 'ef'> = {}) {
    if (!Number.isInteger(dim) || dim < 1) {
      throw new RosettaError('INVALID_ARGUMENT', `dim ${String(dim)} is not a positive integer`);
    }
    this.dim = dim;
    const { m, efConstruction, initialCapacity, seed } = options;
    this.rpc = new WorkerRpc(new URL('./hnsw-thread-serve.ts', import.meta.url), { dim, options: { m, efConstruction, initialCapacity, seed } }, 'HNSW index');
  }

  add(id: number, vector: Float32Array): Promise<void> {
    return this.operation(() => this.addNow(id, vector));
  }

  remove(id: number): Promise<void> {
    return this.operation(() => this.removeNow(id));
  }

  search(query: Float32Array, k: number, filter?: (id: number) => boolean): Promise<VectorHit[]> {
    return this.operation(() => this.searchNow(query, k, filter));
  }

  save(path: string): Promise<void> {
    return this.operation(() => this.rpc.call<void>('save', [path]));
  }

  load(path: string): Promise<void> {
    return this.operation(() => this.loadNow(path));
  }

  private async addNow(id: number, vector: Float32Array): Promise<void> {
    checkId(id);
    const unit = normalised(vector, this.dim, `vector for id ${id}`);
    await this.rpc.call('add', [id, unit], [unit.buffer as ArrayBuffer]);
    // Replies come in the order the thread's queue ran the writes, so the mirror follows it.
    this.holes.delete(id);
    this.live.add(id);
  }

  private async removeNow(id: number): Promise<void> {
    checkId(id);
    await this.rpc.call('remove', [id]);
    this.live.delete(id);
    this.holes.add(id);
  }

  /**
   * A filter is a callback, which cannot cross to the thread, so it is applied here to the
   * thread's unfiltered best `kk`, widening kk fourfold until `k` hits pass or every live
   * vector has been seen. HnswIndex instead filters inside the graph walk; this post-filter
   * returns the same hits whenever the true k best admitted ids are among the unfiltered
   * best kk, and a selective filter costs more round trips and a wider search.
   */
  private async searchNow(query: Float32Array, k: number, filter?: (id: number) => boolean): Promise<VectorHit[]> {
    checkK(k);
    const unit = normalised(query, this.dim, 'query');
    if (!filter) return hitsOf(await this.rpc.call<WireHits>('search', [unit, k], [unit.buffer as ArrayBuffer]));
    for (let kk = 4 * k; ; kk *= 4) {
      const reply = await this.rpc.call<WireHits>('search', [unit, kk]);
      // HnswIndex compares with true too: a truthy non-boolean does not admit an id.
      const admitted = hitsOf(reply).filter((hit) => filter(hit.id) === true);
      // The thread's live count, not size(): writes queued before this search may be unanswered.
      if (admitted.length >= k || reply.ids.length < kk || kk >= reply.live) return admitted.slice(0, k);
    }
  }

  private async loadNow(path: string): Promise<void> {
    const { live, holes } = await this.rpc.call<{ live: Uint32Array; holes: Uint32Array }>('loadListing', [path]);
    this.live.clear();
    this.holes.clear();
    for (const id of live) this.live.add(id);
    for (const id of holes) this.holes.add(id);
  }

  size(): number {
    return this.live.size;
  }

  ids(): number[] {
    return [...this.live];
  }

  /** Slots taken by deleted vectors, which only a rebuild reclaims. */
  holeCount(): number {
    return this.holes.size;
  }

  /**
   * Lets the operations already begun finish (a save its file, a search its widening), then
   * ends the thread. Later calls reject with INTERNAL: using a closed index is a bug.
   */
  close(): Promise<void> {
    this.closing ??= Promise.allSettled([...this.running]).then(() => this.rpc.close());
    return this.closing;
  }

  private operation<T>(run: () => Promise<T>): Promise<T> {
    if (this.closing) return Promise.reject(new RosettaError('INTERNAL', `the HNSW index (dim ${this.dim}) was used after close()`));
    const done = run();
    this.running.add(done);
    const forget = () => this.running.delete(done);
    done.then(forget, forget);
    return done;
  }
}

function hitsOf({ ids, scores }: WireHits): VectorHit[] {
  return Array.from(ids, (id, i) => ({ id, score: scores[i] }));
}
