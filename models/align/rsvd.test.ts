import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { isRosettaError } from '../errors.ts';
import type { SparseRow } from '../types.ts';
import { Gemm } from './gemm.ts';
import { embedSparse, fitTextBag, knownIds } from './rsvd.ts';
import { rng } from './test-support.ts';

let gemm: Gemm;
beforeAll(async () => {
  gemm = await Gemm.create();
});
afterAll(async () => {
  await gemm.close();
});

const idSpace = 3000;

/** Captions drawn from 10 "topics" (40 ids each, overlapping) plus 8 noise ids, L2-normalised. */
function topicCaptions(n: number, seed: number): SparseRow[] {
  const next = rng(seed);
  const uniform = () => 0.5 + Math.atan(next()) / Math.PI; // any fixed map to (0, 1) will do
  const topics = Array.from({ length: 10 }, (_, t) => Array.from({ length: 40 }, (_, j) => (t * 97 + j * 13) % idSpace));
  return Array.from({ length: n }, () => {
    const w = new Map<number, number>();
    const mine = [Math.floor(uniform() * 10), Math.floor(uniform() * 10)];
    mine.forEach((t, rank) => {
      for (const id of topics[t]) if (uniform() < 0.6) w.set(id, (w.get(id) ?? 0) + (rank === 0 ? 1 : 0.5) * (1 + uniform()));
    });
    for (let j = 0; j < 8; j++) w.set(Math.floor(uniform() * idSpace), 0.5 * uniform());
    const ids = Uint32Array.from([...w.keys()].sort((a, b) => a - b));
    const weights = Float32Array.from(ids, (id) => w.get(id)!);
    const norm = Math.hypot(...weights);
    return { ids, weights: weights.map((x) => x / norm) };
  });
}

describe('fitTextBag', () => {
  const captions = topicCaptions(200, 3);

  // The captions have 8 strong directions above a flat noise floor (~1.2 and below); a sketch
  // finds the separated top of a spectrum, not the order inside a flat tail, so the top 8 are checked.
  it('matches an exact SVD: the top 8 singular values within rtol 1e-2', async () => {
    const { bag } = await fitTextBag(captions, { dim: 16, idSpace, gemm });
    const used = [...new Set(captions.flatMap((c) => [...c.ids]))].sort((a, b) => a - b);
    const col = new Map(used.map((id, j) => [id, j]));
    const dense = Matrix.zeros(captions.length, used.length);
    captions.forEach((c, i) => c.ids.forEach((id, k) => dense.set(i, col.get(id)!, c.weights[k])));
    // Exact singular values: square roots of the eigenvalues of A Aᵀ (200 x 200), in float64.
    const exact = new EigenvalueDecomposition(dense.mmul(dense.transpose()), { assumeSymmetric: true }).realEigenvalues
      .sort((x, y) => y - x)
      .map((x) => Math.sqrt(Math.max(x, 0)));
    expect(exact[7] / exact[8]).toBeGreaterThan(2);
    expect(bag.dim).toBe(16);
    expect(bag.ids).toEqual(Uint32Array.from(used));
    for (let j = 0; j < 8; j++) {
      expect(Math.abs(bag.singularValues[j] - exact[j]) / exact[j]).toBeLessThan(1e-2);
    }
  });

  it('is deterministic for a seed, and another seed finds the same spectrum (rtol 1e-2)', async () => {
    const a = await fitTextBag(captions, { dim: 16, idSpace, gemm, seed: 7 });
    const b = await fitTextBag(captions, { dim: 16, idSpace, gemm, seed: 7 });
    const c = await fitTextBag(captions, { dim: 16, idSpace, gemm, seed: 8 });
    expect(b.bag.rows).toEqual(a.bag.rows);
    expect(b.bag.singularValues).toEqual(a.bag.singularValues);
    for (let j = 0; j < 8; j++) {
      expect(Math.abs(c.bag.singularValues[j] - a.bag.singularValues[j]) / a.bag.singularValues[j]).toBeLessThan(1e-2);
    }
  });

  it('has orthonormal columns (EᵀE = I, atol 1e-3) and embeds fitting captions exactly as embedSparse does', async () => {
    const { bag, embedded } = await fitTextBag(captions, { dim: 12, idSpace, gemm });
    for (let a = 0; a < 12; a++) {
      for (let b = 0; b < 12; b++) {
        let s = 0;
        for (let r = 0; r < bag.ids.length; r++) s += bag.rows[r * 12 + a] * bag.rows[r * 12 + b];
        expect(Math.abs(s - (a === b ? 1 : 0))).toBeLessThan(1e-3);
      }
    }
    expect(embedded).toHaveLength(captions.length);
    for (const i of [0, 17, 199]) {
      const e = embedSparse(captions[i], bag);
      for (let j = 0; j < 12; j++) expect(embedded[i][j]).toBeCloseTo(e[j], 5);
    }
  });

  it('embeds ids it never saw to zero', async () => {
    const { bag } = await fitTextBag(captions, { dim: 8, idSpace, gemm });
    const unseen = [...Array(idSpace).keys()].filter((id) => !bag.ids.includes(id)).slice(0, 3);
    const row = { ids: Uint32Array.from(unseen), weights: Float32Array.of(1, 2, 3) };
    expect(knownIds(row, bag)).toBe(0);
    expect(embedSparse(row, bag)).toEqual(new Float32Array(8));
  });

  it('drops ids seen in fewer than minCount captions', async () => {
    const { bag } = await fitTextBag(captions, { dim: 8, idSpace, gemm, minCount: 5 });
    const df = new Map<number, number>();
    for (const c of captions) for (const id of c.ids) df.set(id, (df.get(id) ?? 0) + 1);
    expect([...bag.ids]).toEqual([...df.entries()].filter(([, n]) => n >= 5).map(([id]) => id).sort((a, b) => a - b));
  });

  it('clamps dim to the number of captions and says so', async () => {
    const r = await fitTextBag(captions.slice(0, 6), { dim: 16, idSpace, gemm });
    expect(r.bag.dim).toBe(6);
    expect(r.clamped).toEqual({ requested: 16, limit: 'captions', value: 6 });
    expect(r.bag.rows.every(Number.isFinite)).toBe(true);
  });

  it('copes with duplicate captions (rank 10 below dim 16): finite, and the missing dims are zero', async () => {
    const repeated = Array.from({ length: 60 }, (_, i) => captions[i % 10]);
    const { bag, embedded } = await fitTextBag(repeated, { dim: 16, idSpace, gemm });
    expect(bag.rows.every(Number.isFinite)).toBe(true);
    expect(embedded.every((e) => e.every(Number.isFinite))).toBe(true);
    expect(bag.singularValues[9]).toBeGreaterThan(0);
    for (let j = 10; j < 16; j++) expect(bag.singularValues[j]).toBe(0);
  });

  it('rejects an id outside the id space with INVALID_ARGUMENT naming the caption', async () => {
    const bad = [...captions.slice(0, 3), { ids: Uint32Array.of(5, idSpace), weights: Float32Array.of(1, 1) }];
    await expect(fitTextBag(bad, { idSpace, gemm })).rejects.toSatisfy(
      (e) => isRosettaError(e, 'INVALID_ARGUMENT') && /caption 3 has id 3000 outside/.test(e.message),
    );
  });

  it('rejects a non-integer dim with INVALID_ARGUMENT naming options.dim', async () => {
    await expect(fitTextBag(captions, { dim: 2.5, gemm })).rejects.toSatisfy(
      (e) => isRosettaError(e, 'INVALID_ARGUMENT') && e.message.includes('options.dim'),
    );
  });
});
