import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Matrix, SingularValueDecomposition, solve } from 'ml-matrix';
import { isRosettaError } from '../errors.ts';
import { blockCca, cca } from './cca.ts';
import { Gemm } from './gemm.ts';
import { columns } from './linalg.ts';
import { crossCov, latent, observe, orthonormalRows, recallAt1, rng, variates } from './test-support.ts';

let gemm: Gemm;
beforeAll(async () => {
  gemm = await Gemm.create();
});
afterAll(async () => {
  await gemm.close();
});

// Planted: z ~ N(0, I_3); X = z·diag(10,10,10)·Ox + N(0, 1) (p = 20), so X predicts each latent
// with R² = 100/101; Y = z·diag(t)·Oy + N(0, 1) (q = 15) with t chosen so that the canonical
// correlations are exactly rho = sqrt(R²x · R²y) = 0.9, 0.7, 0.5.
const rho = [0.9, 0.7, 0.5];
const r2x = 100 / 101;
const yScales = rho.map((r) => {
  const r2y = (r * r) / r2x;
  return Math.sqrt(r2y / (1 - r2y));
});

function planted(n: number, seed: number) {
  const next = rng(seed);
  const ox = orthonormalRows(3, 20, next);
  const oy = orthonormalRows(3, 15, next);
  const z = latent(n, 3, next);
  return { z, ox, x: observe(z, ox, [10, 10, 10], 1, next), y: observe(z, oy, yScales, 1, next) };
}

describe('cca', () => {
  const data = planted(6000, 11);

  it('recovers planted canonical correlations (atol 0.03) and leaves the rest small (< 0.15)', async () => {
    const r = await cca(data.x, data.y, { dim: 15, regX: 1e-4, regY: 1e-4, gemm });
    expect(r.dim).toBe(15);
    expect(r.clamped).toBeUndefined();
    for (let j = 0; j < 3; j++) expect(Math.abs(r.correlations[j] - rho[j])).toBeLessThan(0.03);
    for (let j = 3; j < 15; j++) expect(r.correlations[j]).toBeLessThan(0.15);
  });

  it('spans the planted subspace: X·A[:, :3] and z have principal angles with cos > 0.99 and R²(z | variates) > 0.95', async () => {
    const r = await cca(data.x, data.y, { dim: 3, regX: 1e-4, regY: 1e-4, gemm });
    const v = variates(data.x, r.blocks[0].mean, columns(r.blocks[0].a, 0, 3));
    // Cosines of the principal angles between two n-dim column spans: svd(Q_vᵀ Q_z).
    // (The weight vectors A themselves are noisy in the low-variance noise directions; the
    // variates, what the space is built from, are not, which is what this checks.)
    const qv = orthonormalise([0, 1, 2].map((j) => centred(v.map((row) => row[j]))));
    const qz = orthonormalise([0, 1, 2].map((j) => centred(data.z.map((row) => row[j]))));
    const m = new Matrix(qv.map((a) => qz.map((b) => a.reduce((s, x, i) => s + x * b[i], 0))));
    const cosines = new SingularValueDecomposition(m).diagonal;
    for (const c of cosines) expect(c).toBeGreaterThan(0.99);

    const design = new Matrix(v.map((row) => [1, ...row]));
    for (let t = 0; t < 3; t++) {
      const target = Matrix.columnVector(data.z.map((zi) => zi[t]));
      const fitted = design.mmul(solve(design, target));
      let rss = 0;
      let tss = 0;
      const mean = data.z.reduce((s, zi) => s + zi[t], 0) / data.z.length;
      data.z.forEach((zi, i) => {
        rss += (zi[t] - fitted.get(i, 0)) ** 2;
        tss += (zi[t] - mean) ** 2;
      });
      expect(1 - rss / tss).toBeGreaterThan(0.95);
    }
  });

  it('gives uncorrelated unit-variance variates (atol 1e-3) whose cross-correlations are the sorted correlations', async () => {
    const r = await cca(data.x, data.y, { dim: 8, regX: 0, regY: 0, gemm });
    const u = variates(data.x, r.blocks[0].mean, r.blocks[0].a);
    const w = variates(data.y, r.meanY, r.b);
    const uu = crossCov(u, u);
    const ww = crossCov(w, w);
    const uw = crossCov(u, w);
    for (let i = 0; i < 8; i++) {
      for (let j = 0; j < 8; j++) {
        const id = i === j ? 1 : 0;
        expect(Math.abs(uu[i][j] - id)).toBeLessThan(1e-3);
        expect(Math.abs(ww[i][j] - id)).toBeLessThan(1e-3);
        expect(Math.abs(uw[i][j] - (i === j ? r.correlations[i] : 0))).toBeLessThan(1e-3);
      }
    }
    for (let j = 1; j < 8; j++) expect(r.correlations[j]).toBeLessThanOrEqual(r.correlations[j - 1]);
  });

  it('stays finite when p > n thanks to regularisation (p = 100, q = 30, n = 40)', async () => {
    const next = rng(5);
    const z = latent(40, 2, next);
    const x = observe(z, orthonormalRows(2, 100, next), [3, 3], 1, next);
    const y = observe(z, orthonormalRows(2, 30, next), [3, 3], 1, next);
    const r = await cca(x, y, { gemm });
    expect(r.dim).toBe(30);
    expect(r.clamped).toEqual({ requested: 256, limit: 'q', value: 30 });
    for (const c of r.correlations) expect(c >= 0 && c <= 1).toBe(true);
    expect(r.blocks[0].a.data.every(Number.isFinite)).toBe(true);
    expect(r.b.data.every(Number.isFinite)).toBe(true);
  });

  it('clamps dim to n - 1 and says so', async () => {
    const { x, y } = planted(10, 3);
    const r = await cca(x, y, { dim: 12, gemm });
    expect(r.dim).toBe(9);
    expect(r.clamped).toEqual({ requested: 12, limit: 'n', value: 9 });
  });

  it('rejects a row of another length with INVALID_ARGUMENT naming the row', async () => {
    const x = data.x.slice(0, 10);
    x[4] = new Float32Array(19);
    await expect(cca(x, data.y.slice(0, 10), { gemm })).rejects.toSatisfy(
      (e) => isRosettaError(e, 'INVALID_ARGUMENT') && /row 4 .*length 20/.test(e.message),
    );
  });

  it('rejects a NaN feature with INVALID_ARGUMENT', async () => {
    const y = data.y.slice(0, 10);
    y[2] = Float32Array.from(y[2]);
    y[2][7] = NaN;
    await expect(cca(data.x.slice(0, 10), y, { gemm })).rejects.toSatisfy(
      (e) => isRosettaError(e, 'INVALID_ARGUMENT') && /row 2 has a non-finite value/.test(e.message),
    );
  });

  it('rejects a negative regularisation with INVALID_ARGUMENT naming options.regX', async () => {
    await expect(cca(data.x, data.y, { regX: -1, gemm })).rejects.toSatisfy(
      (e) => isRosettaError(e, 'INVALID_ARGUMENT') && e.message.includes('options.regX'),
    );
  });
});

describe('blockCca', () => {
  // Items share an 8-d latent z. Modality 1 (p = 40) and modality 2 (p = 30) see z through
  // their own bases and noise; text (q = 24) is the pivot. Training pairs modality-1 items
  // 0..999 with their text and modality-2 items 1000..2999 with theirs: no item is ever seen
  // in both modalities, and modality 2 has twice the pairs.
  const next = rng(42);
  const z = latent(3200, 8, next);
  const scales = [6, 6, 6, 6, 6, 6, 6, 6];
  const x1 = observe(z, orthonormalRows(8, 40, next), scales, 1, next);
  const x2 = observe(z, orthonormalRows(8, 30, next), scales, 1, next);
  const y = observe(z, orthonormalRows(8, 24, next), scales, 1, next);
  const m1 = { name: 'one', x: x1.slice(0, 1000), y: y.slice(0, 1000) };
  const m2 = { name: 'two', x: x2.slice(1000, 3000), y: y.slice(1000, 3000) };

  it('aligns two modalities through the text pivot alone: held-out modality-1 item i retrieves modality-2 item i (recall@1 > 0.9 of 200)', async () => {
    const r = await blockCca([m1, m2], { dim: 8, gemm });
    expect(r.blocks.map((b) => [b.name, b.a.rows, b.a.cols])).toEqual([['one', 40, 8], ['two', 30, 8]]);
    expect(r.b.rows).toBe(24);
    const held = (rows: Float32Array[]) => rows.slice(3000, 3200);
    const q1 = variates(held(x1), r.blocks[0].mean, r.blocks[0].a);
    const q2 = variates(held(x2), r.blocks[1].mean, r.blocks[1].a);
    const qt = variates(held(y), r.meanY, r.b);
    expect(recallAt1(q1, q2)).toBeGreaterThan(0.9);
    expect(recallAt1(q2, q1)).toBeGreaterThan(0.9);
    expect(recallAt1(qt, q1)).toBeGreaterThan(0.9);
  });

  it('weighs each block by its share, not its row count: repeating a block 3x changes nothing (atol 1e-4)', async () => {
    const base = await blockCca([m1, m2], { dim: 4, gemm });
    const tripled = { ...m1, x: [...m1.x, ...m1.x, ...m1.x], y: [...m1.y, ...m1.y, ...m1.y] };
    const again = await blockCca([tripled, m2], { dim: 4, gemm });
    for (let j = 0; j < 4; j++) expect(again.correlations[j]).toBeCloseTo(base.correlations[j], 4);
    for (let i = 0; i < base.b.data.length; i++) expect(Math.abs(again.b.data[i] - base.b.data[i])).toBeLessThan(1e-4);
    // An explicit share does change the fit: the text map follows the heavier block.
    const skewed = await blockCca([{ ...m1, weight: 10 }, m2], { dim: 4, gemm });
    const diff = skewed.b.data.reduce((s, v, i) => s + Math.abs(v - base.b.data[i]), 0);
    expect(diff).toBeGreaterThan(1e-3);
  });
});

function centred(values: number[]): Float64Array {
  const m = values.reduce((s, x) => s + x, 0) / values.length;
  return Float64Array.from(values, (x) => x - m);
}

function orthonormalise(cols: Float64Array[]): Float64Array[] {
  const out: Float64Array[] = [];
  for (const c of cols) {
    const v = Float64Array.from(c);
    for (const o of out) {
      const d = v.reduce((s, x, i) => s + x * o[i], 0);
      for (let i = 0; i < v.length; i++) v[i] -= d * o[i];
    }
    const n = Math.hypot(...v);
    out.push(v.map((x) => x / n));
  }
  return out;
}
