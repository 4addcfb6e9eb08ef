import { RosettaError } from '../../models/errors.ts';
import { replaceFile } from './atomic-file.ts';
import { readHnswHeader } from './hnsw-file.ts';
import { hnswlib } from './hnswlib-binding.ts';
import { SerialQueue } from './serial-queue.ts';
import type { VectorHit, VectorIndex } from './types.ts';
import { checkId, checkK, normalised } from './validate.ts';

type Native = InstanceType<typeof hnswlib.HierarchicalNSW>;

export interface HnswOptions {
  /** Graph degree. Default 16. */
  m?: number;
  /** Candidate list size while building. Default 200. */
  efConstruction?: number;
  /** Slots allocated up front; the index doubles when full. Default 1024. */
  initialCapacity?: number;
  /** Candidate list size for a search of `k`. Default {@link defaultEf}. */
  ef?: (k: number) => number;
  /** Seed for the level generator, so builds are reproducible. Default 100. */
  seed?: number;
}

/**
 * The search candidate list for `k` results, from recall.bench.ts on 100k low-rank 256-d
 * vectors (M=16, efConstruction=200, 200 fresh queries): recall@10 was 0.970 at ef=128 and
 * 0.988 at 192; recall@50 0.976 at 256 and 0.992 at 384; recall@100 0.993 at 512. So 192 is
 * the floor and ef grows as 4k + 128, which keeps recall@k >= 0.98 up to k = 100.
 * On iid Gaussian vectors no practical ef gets there (0.54 at ef=512): see the bench.
 *
 * @example
 * defaultEf(10); // 192
 * defaultEf(100); // 528
 */
export function defaultEf(k: number): number {
  return Math.max(192, 4 * k + 128);
}

/**
 * HNSW over cosine similarity (hnswlib-node), the default index.
 *
 * hnswlib's graph is not safe for a mutation or a resize while `writeIndex` reads it on its
 * worker thread, so every add, remove, save and load runs through one SerialQueue. Searches
 * run at once on the main thread (reads alongside a save are safe), except that a search
 * waits for adds and removes queued before it, so a caller reads its own writes.
 *
 * Deleted labels stay in the graph as holes (replace-deleted mode would let hnswlib move a
 * label to another slot behind our back); rebuild to reclaim them.
 */
export class HnswIndex implements VectorIndex {
  readonly dim: number;
  private native: Native;
  private readonly live = new Set<number>();
  /** Labels in the graph that are marked deleted; hnswlib's getIdsList still lists them. */
  private readonly holes = new Set<number>();
  private readonly queue = new SerialQueue();
  private readonly m: number;
  private readonly efConstruction: number;
  private readonly seed: number;
  private readonly efFor: (k: number) => number;

  constructor(dim: number, options: HnswOptions = {}) {
    if (!Number.isInteger(dim) || dim < 1) {
      throw new RosettaError('INVALID_ARGUMENT', `dim ${String(dim)} is not a positive integer`);
    }
    this.dim = dim;
    this.m = options.m ?? 16;
    this.efConstruction = options.efConstruction ?? 200;
    this.seed = options.seed ?? 100;
    this.efFor = options.ef ?? defaultEf;
    this.native = this.fresh(options.initialCapacity ?? 1024);
  }

  async add(id: number, vector: Float32Array): Promise<void> {
    checkId(id);
    const point = Array.from(normalised(vector, this.dim, `vector for id ${id}`));
    return this.queue.write(() => {
      if (!this.live.has(id) && !this.holes.has(id)) this.reserve(1);
      // For a label already in the graph (live or a hole) hnswlib updates it in place.
      this.native.addPoint(point, id);
      this.holes.delete(id);
      this.live.add(id);
    });
  }

  async remove(id: number): Promise<void> {
    checkId(id);
    return this.queue.write(() => {
      if (!this.live.has(id)) throw new RosettaError('NOT_FOUND', `id ${id} is not in the index`);
      this.native.markDelete(id);
      this.live.delete(id);
      this.holes.add(id);
    });
  }

  async search(query: Float32Array, k: number, filter?: (id: number) => boolean): Promise<VectorHit[]> {
    checkK(k);
    const point = Array.from(normalised(query, this.dim, 'query'));
    const pending = this.queue.writesDone();
    if (pending) await pending;
    return this.searchNow(point, k, filter);
  }

  async save(path: string): Promise<void> {
    return this.queue.run(async () => {
      const expected = this.native.getCurrentCount();
      await replaceFile(path, async (tmp) => {
        await this.native.writeIndex(tmp);
        // hnswlib's ofstream never reports a failed write (a full disk): check before the rename.
        const header = await readHnswHeader(tmp);
        if (header.count !== expected || header.dim !== this.dim) {
          throw new RosettaError('INTERNAL', `index file ${tmp} was written incompletely`);
        }
      });
    });
  }

  async load(path: string): Promise<void> {
    await this.loadListing(path);
  }

  /**
   * load, answering with the live and deleted labels as the load left them: read inside the
   * queued write, so a write queued after the load is not in them (ThreadedHnswIndex mirrors them).
   */
  async loadListing(path: string): Promise<{ live: Uint32Array; holes: Uint32Array }> {
    return this.queue.write(async () => {
      const header = await readHnswHeader(path);
      if (header.dim !== this.dim) {
        throw new RosettaError(
          'DIMENSION_MISMATCH',
          `index file ${path} holds ${header.dim}-dimensional vectors but the index has ${this.dim}`,
        );
      }
      const loaded = new hnswlib.HierarchicalNSW('cosine', this.dim);
      try {
        await loaded.readIndex(path, false);
      } catch (err) {
        throw new RosettaError('CORRUPT_MEDIA', `index file ${path} cannot be read: ${String(err)}`, { cause: err });
      }
      const { live, holes } = splitDeleted(loaded);
      // Searches kept using the old graph until here; swap everything in one synchronous step.
      this.native = loaded;
      this.live.clear();
      this.holes.clear();
      for (const id of live) this.live.add(id);
      for (const id of holes) this.holes.add(id);
      return { live: Uint32Array.from(live), holes: Uint32Array.from(holes) };
    });
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
   * Nothing to release: the graph is ordinary memory that goes with the object, and calls
   * after close keep working. It exists so that callers can close any VectorIndex alike.
   */
  async close(): Promise<void> {}

  private searchNow(point: number[], k: number, filter?: (id: number) => boolean): VectorHit[] {
    const live = this.live.size;
    if (live === 0) return [];
    const n = Math.min(k, live);
    const total = this.native.getCurrentCount();
    let failure: unknown;
    // A throwing callback must not unwind through the native search: record it and say no.
    const guarded = filter
      ? (label: number) => {
          if (failure !== undefined) return false;
          try {
            return filter(label) === true;
          } catch (err) {
            failure = err;
            return false;
          }
        }
      : undefined;
    let ef = Math.max(n, this.efFor(n));
    for (;;) {
      this.native.setEf(ef);
      const found = guarded ? this.native.searchKnn(point, n, guarded) : this.native.searchKnn(point, n);
      if (failure !== undefined) throw failure;
      // Deleted holes and filters can starve the candidate list; widen it before giving up.
      if (found.neighbors.length >= n || ef >= total) {
        return found.neighbors.map((id, i) => ({ id, score: 1 - found.distances[i] }));
      }
      ef = Math.min(total, ef * 4);
    }
  }

  private reserve(extra: number): void {
    const needed = this.native.getCurrentCount() + extra;
    const max = this.native.getMaxElements();
    if (needed > max) this.native.resizeIndex(Math.max(needed, max * 2));
  }

  private fresh(capacity: number): Native {
    const native = new hnswlib.HierarchicalNSW('cosine', this.dim);
    native.initIndex(Math.max(1, capacity), this.m, this.efConstruction, this.seed, false);
    return native;
  }
}

/**
 * hnswlib lists deleted labels too and has no call that says which are deleted. markDelete
 * throws for a label already deleted, so probe each label and undo the mark on live ones;
 * this runs before the graph is published, so nothing sees the transient marks.
 */
function splitDeleted(native: Native): { live: number[]; holes: number[] } {
  const live: number[] = [];
  const holes: number[] = [];
  for (const id of native.getIdsList()) {
    try {
      native.markDelete(id);
    } catch {
      holes.push(id);
      continue;
    }
    native.unmarkDelete(id);
    live.push(id);
  }
  return { live, holes };
}
