import { mkdtempSync, readdirSync, rmSync, truncateSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { isRosettaError } from '../../models/errors.ts';
import { mulberry32, normal } from '../../models/random.ts';
import type { VectorIndex } from './types.ts';

/** Deterministic vectors with Gaussian entries (mulberry32 + Box-Muller), `count` rows of `dim`. */
export function randomVectors(count: number, dim: number, seed: number): Float32Array[] {
  const uniform = mulberry32(seed);
  const gauss = () => normal(uniform);
  return Array.from({ length: count }, () => Float32Array.from({ length: dim }, gauss));
}

/**
 * Vectors with a low intrinsic dimension, like encoder embeddings: `rank`-d Gaussian codes
 * through a fixed random rank x dim map, plus 10% isotropic noise. iid Gaussian vectors are
 * the worst case for a graph index and say little about real collections (see recall.bench.ts).
 */
export function lowRankVectors(count: number, dim: number, seed: number, rank = 32): Float32Array[] {
  const basis = randomVectors(rank, dim, 424242);
  const codes = randomVectors(count, rank, seed + 1000);
  return randomVectors(count, dim, seed).map((noise, i) => {
    const out = noise.map((x) => 0.1 * x * Math.sqrt(rank));
    codes[i].forEach((c, r) => basis[r].forEach((b, j) => (out[j] += c * b)));
    return out;
  });
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / Math.sqrt(na * nb);
}

/** The error `promise` rejects with; fails the test if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

/**
 * The behaviour every VectorIndex must have. Each implementation's test file calls this with
 * a factory for an empty index of the given dimension.
 */
export function describeVectorIndexContract(name: string, factory: (dim: number) => VectorIndex): void {
  describe(`VectorIndex contract: ${name}`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'rosetta-vec-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    // Every index a test makes is closed after it, so no implementation leaks threads or handles.
    const made: VectorIndex[] = [];
    const create = (dim: number): VectorIndex => {
      const index = factory(dim);
      made.push(index);
      return index;
    };
    afterEach(async () => {
      await Promise.all(made.splice(0).map((index) => index.close()));
    });
    const DIM = 8;
    const vecs = randomVectors(40, DIM, 7);

    async function filled(count = 20): Promise<VectorIndex> {
      const index = create(DIM);
      for (let i = 0; i < count; i++) await index.add(i + 1, vecs[i]);
      return index;
    }

    it('starts empty and answers a search with no hits', async () => {
      const index = create(DIM);
      expect(index.dim).toBe(DIM);
      expect(index.size()).toBe(0);
      expect(index.ids()).toEqual([]);
      expect(await index.search(vecs[0], 5)).toEqual([]);
    });

    it('finds a stored vector first with cosine score 1, then the others best first', async () => {
      const index = await filled();
      const hits = await index.search(vecs[3], 20);
      expect(hits).toHaveLength(20);
      expect(hits[0].id).toBe(4);
      expect(hits[0].score).toBeCloseTo(1, 5);
      for (const hit of hits) expect(hit.score).toBeCloseTo(cosine(vecs[3], vecs[hit.id - 1]), 5);
      for (let i = 1; i < hits.length; i++) expect(hits[i].score).toBeLessThanOrEqual(hits[i - 1].score);
    });

    it('scores an opposite vector -1 and ignores vector length', async () => {
      const index = create(DIM);
      await index.add(1, vecs[0]);
      await index.add(2, vecs[0].map((x) => -3 * x));
      const hits = await index.search(vecs[0].map((x) => 10 * x), 2);
      expect(hits.map((h) => h.id)).toEqual([1, 2]);
      expect(hits[0].score).toBeCloseTo(1, 5);
      expect(hits[1].score).toBeCloseTo(-1, 5);
    });

    it('returns only as many hits as vectors when k is larger', async () => {
      const index = await filled(3);
      expect(await index.search(vecs[0], 10)).toHaveLength(3);
    });

    it('replaces the vector of an id that is added again', async () => {
      const index = await filled();
      await index.add(5, vecs[30]);
      expect(index.size()).toBe(20);
      const hits = await index.search(vecs[30], 1);
      expect(hits[0]).toMatchObject({ id: 5 });
      expect(hits[0].score).toBeCloseTo(1, 5);
      expect((await index.search(vecs[4], 1))[0].id).not.toBe(5);
    });

    it('removes an id from search, ids and size, and can add it back', async () => {
      const index = await filled();
      await index.remove(4);
      expect(index.size()).toBe(19);
      expect(index.ids()).not.toContain(4);
      expect((await index.search(vecs[3], 19)).map((h) => h.id)).not.toContain(4);
      await index.add(4, vecs[3]);
      expect(index.size()).toBe(20);
      expect((await index.search(vecs[3], 1))[0].id).toBe(4);
    });

    it('rejects removing an id it does not hold with NOT_FOUND', async () => {
      const index = await filled(3);
      const err = await rejection(index.remove(99));
      expect(isRosettaError(err, 'NOT_FOUND')).toBe(true);
      expect(err.message).toContain('99');
      await index.remove(2);
      expect(isRosettaError(await rejection(index.remove(2)), 'NOT_FOUND')).toBe(true);
    });

    it('keeps only the ids the filter accepts', async () => {
      const index = await filled();
      const even = (id: number) => id % 2 === 0;
      const hits = await index.search(vecs[0], 5, even);
      expect(hits).toHaveLength(5);
      expect(hits.every((h) => even(h.id))).toBe(true);
      expect(await index.search(vecs[0], 5, () => false)).toEqual([]);
    });

    it('passes on an error thrown by the filter and stays usable', async () => {
      const index = await filled();
      const boom = new Error('filter failed');
      const err = await rejection(
        index.search(vecs[0], 5, () => {
          throw boom;
        }),
      );
      expect(err).toBe(boom);
      expect(await index.search(vecs[0], 5)).toHaveLength(5);
    });

    it('rejects a vector of the wrong dimension with DIMENSION_MISMATCH naming both', async () => {
      const index = await filled(2);
      for (const err of [
        await rejection(index.add(1, new Float32Array(5).fill(1))),
        await rejection(index.search(new Float32Array(5).fill(1), 3)),
      ]) {
        expect(isRosettaError(err, 'DIMENSION_MISMATCH')).toBe(true);
        expect(err.message).toMatch(/\b5\b/);
        expect(err.message).toMatch(/\b8\b/);
      }
      expect(index.size()).toBe(2);
    });

    it('rejects a zero vector, a NaN, a bad id and a bad k with INVALID_ARGUMENT', async () => {
      const index = await filled(2);
      const nan = Float32Array.from(vecs[0]);
      nan[3] = Number.NaN;
      const bad = [
        index.add(3, new Float32Array(DIM)),
        index.add(3, nan),
        index.search(new Float32Array(DIM), 1),
        index.add(-1, vecs[0]),
        index.add(1.5, vecs[0]),
        index.add(2 ** 32, vecs[0]),
        index.search(vecs[0], 0),
        index.search(vecs[0], 2.5),
      ];
      for (const p of bad) expect(isRosettaError(await rejection(p), 'INVALID_ARGUMENT')).toBe(true);
      expect(index.size()).toBe(2);
    });

    it('applies calls in the order they were made, and a search sees earlier writes', async () => {
      const index = create(DIM);
      void index.add(1, vecs[0]);
      void index.add(2, vecs[1]);
      void index.remove(1);
      void index.add(2, vecs[2]);
      const hits = await index.search(vecs[2], 5);
      expect(hits.map((h) => h.id)).toEqual([2]);
      expect(hits[0].score).toBeCloseTo(1, 5);
    });

    it('saves and loads the same vectors, deletions included, leaving no temp file', async () => {
      const index = await filled();
      await index.remove(7);
      await index.add(3, vecs[35]);
      const path = join(dir, `${name}-roundtrip.idx`);
      await index.save(path);
      expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      const copy = create(DIM);
      await copy.load(path);
      expect(copy.size()).toBe(19);
      expect(copy.ids().sort((a, b) => a - b)).toEqual(index.ids().sort((a, b) => a - b));
      for (const q of [vecs[35], vecs[6], vecs[10]]) {
        expect(await copy.search(q, 5)).toEqual(await index.search(q, 5));
      }
      // The loaded index keeps working: removes, re-adds and saves again.
      await copy.remove(3);
      await copy.add(7, vecs[6]);
      expect((await copy.search(vecs[6], 1))[0].id).toBe(7);
      await copy.save(path);
    });

    it('saves over an existing file and a later load sees the newer contents', async () => {
      const path = join(dir, `${name}-overwrite.idx`);
      const index = await filled(5);
      await index.save(path);
      await index.add(30, vecs[30]);
      await index.save(path);
      const copy = create(DIM);
      await copy.load(path);
      expect(copy.size()).toBe(6);
    });

    it('rejects loading a missing file with NOT_FOUND and keeps its contents', async () => {
      const index = await filled(3);
      const err = await rejection(index.load(join(dir, 'missing.idx')));
      expect(isRosettaError(err, 'NOT_FOUND')).toBe(true);
      expect(index.size()).toBe(3);
    });

    it('rejects loading a file of another dimension with DIMENSION_MISMATCH naming both', async () => {
      const other = create(5);
      await other.add(1, new Float32Array([1, 2, 3, 4, 5]));
      const path = join(dir, `${name}-dim5.idx`);
      await other.save(path);
      const index = await filled(3);
      const err = await rejection(index.load(path));
      expect(isRosettaError(err, 'DIMENSION_MISMATCH')).toBe(true);
      expect(err.message).toMatch(/\b5\b/);
      expect(err.message).toMatch(/\b8\b/);
      expect(index.size()).toBe(3);
    });

    it('rejects loading a truncated file with CORRUPT_MEDIA and keeps its contents', async () => {
      const path = join(dir, `${name}-truncated.idx`);
      const index = await filled();
      await index.save(path);
      truncateSync(path, Math.floor(statSync(path).size * 0.6));
      const copy = await filled(2);
      const err = await rejection(copy.load(path));
      expect(isRosettaError(err, 'CORRUPT_MEDIA')).toBe(true);
      expect(copy.size()).toBe(2);
      expect(await copy.search(vecs[0], 1)).toHaveLength(1);
    });

    it('closes after its pending calls settle, and a second close resolves too', async () => {
      const index = create(DIM);
      const adding = index.add(1, vecs[0]);
      const closing = index.close();
      await adding;
      await closing;
      expect(index.size()).toBe(1);
      await index.close();
    });

    it('survives searches interleaved with adds, removes and saves', async () => {
      const index = create(DIM);
      const pool = randomVectors(300, DIM, 99);
      const path = join(dir, `${name}-busy.idx`);
      const model = new Map<number, Float32Array>();
      const ops: Promise<unknown>[] = [];
      const searches: Promise<{ id: number; score: number }[]>[] = [];
      for (let step = 0; step < 600; step++) {
        const id = 1 + (step % 150);
        if (step % 7 === 3 && model.has(id)) {
          model.delete(id);
          ops.push(index.remove(id));
        } else {
          model.set(id, pool[step % 300]);
          ops.push(index.add(id, pool[step % 300]));
        }
        if (step % 50 === 0) ops.push(index.save(path));
        searches.push(index.search(pool[(step * 13) % 300], 10, step % 3 === 0 ? (i) => i % 2 === 1 : undefined));
        if (step % 25 === 0) await new Promise((r) => setImmediate(r));
      }
      await Promise.all(ops);
      for (const hits of await Promise.all(searches)) {
        for (const hit of hits) {
          expect(hit.id).toBeGreaterThanOrEqual(1);
          expect(hit.id).toBeLessThanOrEqual(150);
          expect(Math.abs(hit.score)).toBeLessThanOrEqual(1 + 1e-5);
        }
      }
      expect(index.size()).toBe(model.size);
      expect(index.ids().sort((a, b) => a - b)).toEqual([...model.keys()].sort((a, b) => a - b));
      for (const v of [...model.values()].slice(0, 10)) {
        const hit = (await index.search(v, 1))[0];
        expect(hit.score).toBeCloseTo(1, 5);
        expect(cosine(model.get(hit.id)!, v)).toBeCloseTo(1, 5);
      }
      await index.save(path);
      const copy = create(DIM);
      await copy.load(path);
      expect(copy.size()).toBe(model.size);
    });
  });
}
