import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRosettaError } from '../errors.ts';
import { Gemm } from './gemm.ts';
import { ridgeMap } from './ridge.ts';
import { rng } from './test-support.ts';

let gemm: Gemm;
beforeAll(async () => {
  gemm = await Gemm.create();
});
afterAll(async () => {
  await gemm.close();
});

const p = 30;
const k = 5;
const next = rng(21);
const wTrue = Float64Array.from({ length: p * k }, next);
const offset = Float64Array.from({ length: k }, () => 3 * next());
const xMean = Float64Array.from({ length: p }, () => 2 * next());

function sample(n: number, noise: number): { x: Float32Array[]; t: Float32Array[] } {
  const x = Array.from({ length: n }, () => Float32Array.from({ length: p }, (_, i) => xMean[i] + next()));
  const t = x.map((row) =>
    Float32Array.from({ length: k }, (_, j) => {
      let s = offset[j] + noise * next();
      for (let i = 0; i < p; i++) s += row[i] * wTrue[i * k + j];
      return s;
    }),
  );
  return { x, t };
}

function apply(m: { mean: Float64Array; weight: { data: Float64Array } }, row: Float32Array): Float64Array {
  const out = new Float64Array(k);
  for (let i = 0; i < p; i++) for (let j = 0; j < k; j++) out[j] += (row[i] - m.mean[i]) * m.weight.data[i * k + j];
  return out;
}

describe('ridgeMap', () => {
  it('recovers a planted affine map: weights within 0.01, predictions on new rows within 0.05', async () => {
    const train = sample(3000, 0.05);
    const m = await ridgeMap(train.x, train.t, { reg: 1e-6, gemm });
    expect(m.weight.rows).toBe(p);
    expect(m.weight.cols).toBe(k);
    for (let i = 0; i < p * k; i++) expect(Math.abs(m.weight.data[i] - wTrue[i])).toBeLessThan(0.01);
    const test = sample(50, 0);
    test.x.forEach((row, r) => {
      const got = apply(m, row);
      for (let j = 0; j < k; j++) expect(Math.abs(got[j] - test.t[r][j])).toBeLessThan(0.05);
    });
  });

  it('shrinks the weights as the regularisation grows', async () => {
    const train = sample(500, 0.05);
    const norm = (w: Float64Array) => Math.hypot(...w);
    const small = await ridgeMap(train.x, train.t, { reg: 1e-6, gemm });
    const large = await ridgeMap(train.x, train.t, { reg: 10, gemm });
    expect(norm(large.weight.data)).toBeLessThan(0.5 * norm(small.weight.data));
  });

  it('rejects feature and target counts that differ with INVALID_ARGUMENT', async () => {
    const train = sample(20, 0);
    await expect(ridgeMap(train.x, train.t.slice(0, 19), { gemm })).rejects.toSatisfy(
      (e) => isRosettaError(e, 'INVALID_ARGUMENT') && /20 feature rows but 19 targets/.test(e.message),
    );
  });
});
