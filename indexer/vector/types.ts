/** One nearest neighbour: `score` is the cosine similarity, in [-1, 1], higher is closer. */
export interface VectorHit {
  id: number;
  score: number;
}

/**
 * A set of vectors keyed by integer id, searched by cosine similarity. Vectors are normalised
 * on the way in, so callers may pass any non-zero vector of the index's dimension.
 *
 * @example
 * await index.add(7, vector);
 * await index.search(query, 2); // [{ id: 7, score: 0.93 }, { id: 3, score: 0.41 }]
 */
export interface VectorIndex {
  readonly dim: number;
  /** Adds the vector, or replaces the one stored under `id`. */
  add(id: number, vector: Float32Array): Promise<void>;
  /** Throws NOT_FOUND when `id` holds no vector. */
  remove(id: number): Promise<void>;
  /** Up to `k` hits, best first; `filter` keeps only the ids it returns true for. */
  search(query: Float32Array, k: number, filter?: (id: number) => boolean): Promise<VectorHit[]>;
  /** Writes `path.tmp`, syncs it, then renames it over `path`. */
  save(path: string): Promise<void>;
  /** Replaces the contents with the file's; throws DIMENSION_MISMATCH for another dimension. */
  load(path: string): Promise<void>;
  /** Live (non-deleted) vectors. */
  size(): number;
  ids(): number[];
  /**
   * Releases what the index holds outside ordinary memory (ThreadedHnswIndex: its worker
   * thread) after the calls already made have settled. Idempotent. In-process indexes hold
   * nothing, so for them it is a no-op and they stay usable; callers must not rely on either.
   */
  close(): Promise<void>;
}
