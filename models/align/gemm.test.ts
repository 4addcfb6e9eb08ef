import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gemm } from './gemm.ts';
import { rng } from './test-support.ts';

let gemm: Gemm;
beforeAll(async () => {
  gemm = await Gemm.create();
});
afterAll(async () => {
  await gemm.close();
});

const next = rng(3);
const randoms = (n: number) => {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = next();
  return a;
};

describe('Gemm', () => {
  it('multiplies A·B like a float64 reference (rtol 1e-5), including from subarray views', async () => {
    const buf = randoms(7 + 37 * 11 + 11 * 5);
    const a = buf.subarray(7, 7 + 37 * 11);
    const b = buf.subarray(7 + 37 * 11);
    const c = await gemm.mul(a, 37, 11, b, 5);
    for (let i = 0; i < 37; i++) {
      for (let j = 0; j < 5; j++) {
        let s = 0;
        for (let t = 0; t < 11; t++) s += a[i * 11 + t] * b[t * 5 + j];
        expect(c[i * 5 + j]).toBeCloseTo(s, 4);
      }
    }
  });

  it('sums AᵀB and ZᵀZ over row chunks (9000 rows crosses two chunk boundaries) like float64 (rtol 1e-5)', async () => {
    const m = 9000;
    const a = randoms(m * 6);
    const b = randoms(m * 4);
    const atb = await gemm.mulTransposed(a, 6, b, 4, m);
    const gram = await gemm.gram(m, 6, (start, count, out) => out.set(a.subarray(start * 6, (start + count) * 6)));
    for (let i = 0; i < 6; i++) {
      for (let j = 0; j < 4; j++) {
        let s = 0;
        for (let r = 0; r < m; r++) s += a[r * 6 + i] * b[r * 4 + j];
        expect(Math.abs(atb.data[i * 4 + j] - s)).toBeLessThan(1e-5 * Math.sqrt(m) * 2);
      }
      for (let j = 0; j < 6; j++) {
        let s = 0;
        for (let r = 0; r < m; r++) s += a[r * 6 + i] * a[r * 6 + j];
        expect(Math.abs(gram.data[i * 6 + j] - s) / Math.max(1, Math.abs(s))).toBeLessThan(1e-5);
      }
    }
  });
});
