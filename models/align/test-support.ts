// Synthetic data with planted structure for the align tests. Test-only: index.ts does not export it.
import type { Mat } from './linalg.ts';

/** k orthonormal rows in R^d (Gram-Schmidt on Gaussian rows). */
export function orthonormalRows(k: number, d: number, next: () => number): Float64Array[] {
  const rows: Float64Array[] = [];
  while (rows.length < k) {
    const v = Float64Array.from({ length: d }, next);
    for (const r of rows) {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += v[j] * r[j];
      for (let j = 0; j < d; j++) v[j] -= dot * r[j];
    }
    const norm = Math.hypot(...v);
    rows.push(v.map((x) => x / norm));
  }
  return rows;
}

/** z (n x k latent) -> rows z·diag(scales)·O + noise·N(0, I), O orthonormal rows k x d. */
export function observe(
  z: Float64Array[],
  basis: Float64Array[],
  scales: readonly number[],
  noise: number,
  next: () => number,
): Float32Array[] {
  const d = basis[0].length;
  return z.map((zi) => {
    const row = new Float32Array(d);
    for (let j = 0; j < d; j++) {
      let s = noise * next();
      for (let t = 0; t < basis.length; t++) s += zi[t] * scales[t] * basis[t][j];
      row[j] = s;
    }
    return row;
  });
}

export function latent(n: number, k: number, next: () => number): Float64Array[] {
  return Array.from({ length: n }, () => Float64Array.from({ length: k }, next));
}

/** Seeded standard normals: mulberry32 uniforms through Box-Muller. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    let u = 0;
    while (u === 0) u = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    const theta = 2 * Math.PI * uniform();
    spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  };
}

/** (rows - mean) · a: the variates, n x a.cols, in float64. */
export function variates(rows: readonly Float32Array[], mean: ArrayLike<number>, a: Mat): Float64Array[] {
  return rows.map((r) => {
    const out = new Float64Array(a.cols);
    for (let i = 0; i < a.rows; i++) {
      const v = r[i] - mean[i];
      for (let j = 0; j < a.cols; j++) out[j] += v * a.data[i * a.cols + j];
    }
    return out;
  });
}

/** Sample covariance (1/n, after centring) between the columns of u and of v. */
export function crossCov(u: Float64Array[], v: Float64Array[]): number[][] {
  const n = u.length;
  const mu = colMeans(u);
  const mv = colMeans(v);
  return Array.from({ length: u[0].length }, (_, a) =>
    Array.from({ length: v[0].length }, (_, b) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += (u[i][a] - mu[a]) * (v[i][b] - mv[b]);
      return s / n;
    }),
  );
}

function colMeans(rows: Float64Array[]): Float64Array {
  const m = new Float64Array(rows[0].length);
  for (const r of rows) for (let j = 0; j < m.length; j++) m[j] += r[j] / rows.length;
  return m;
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    d += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return d / Math.sqrt(na * nb);
}

/** Fraction of queries whose most cosine-similar candidate is the one with the same index. */
export function recallAt1(queries: ArrayLike<number>[], candidates: ArrayLike<number>[]): number {
  let hits = 0;
  queries.forEach((q, i) => {
    let best = -1;
    let bestSim = -Infinity;
    candidates.forEach((c, j) => {
      const s = cosine(q, c);
      if (s > bestSim) {
        bestSim = s;
        best = j;
      }
    });
    if (best === i) hits++;
  });
  return hits / queries.length;
}
