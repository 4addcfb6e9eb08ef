/**
 * Regularised CCA in closed form, between a block-structured X and one Y.
 *
 * Each block is one modality paired with text: its rows carry their features in the block's
 * own columns (centred by the block's own mean) and zeros in every other block's columns, and
 * Y is the paired text. So Cxx is block-diagonal and every block is whitened on its own, while
 * the SVD of the stacked whitened cross-covariance picks text directions that correlate with
 * all modalities at once: ONE text map B shared by every modality, one map A_m per modality.
 * With a single block this is ordinary CCA.
 *
 * Covariances are weighted: block m's rows share the weight w_m (default 1/M each), so a
 * modality with 50x more pairs does not decide the text directions alone. Regularisation adds
 * `reg * mean eigenvalue` to each covariance's diagonal, per block, so it is scale-free: unit
 * CNN vectors and unnormalised audio descriptors get the same relative shrinkage.
 */
import { RosettaError } from '../errors.ts';
import { withGemm, type Gemm } from './gemm.ts';
import {
  addRelativeRidge,
  cholesky,
  columns,
  mat,
  matmul,
  solveLower,
  solveLowerTransposed,
  symmetricEigen,
  transpose,
  type Mat,
} from './linalg.ts';
import { withDefaults } from './options.ts';
import { centredPairFiller, checkRows, meanRows } from './rows.ts';

export interface CcaBlock {
  /** Used in error messages ("image", "audio"). */
  name?: string;
  /** This modality's feature rows. */
  x: readonly Float32Array[];
  /** The paired text rows, y[i] with x[i]; every block's y rows have the same width. */
  y: readonly Float32Array[];
  /** This block's share of the total weight (normalised over blocks). Default: equal shares. */
  weight?: number;
}

export interface CcaOptions {
  /** Output dimension; clamped to min(p, q, n - 1), see `CcaResult.clamped`. Default 256. */
  dim?: number;
  /** X regularisation, relative to each block's mean eigenvalue. Default 1e-2. */
  regX?: number;
  /** Y regularisation, relative to Cyy's mean eigenvalue. Default 1e-2. */
  regY?: number;
  /** A shared GEMM runner; one is created and closed per call otherwise. */
  gemm?: Gemm;
}

export interface CcaBlockMap {
  name: string;
  /** The block's mean (p_m). */
  mean: Float64Array;
  /** p_m x dim. */
  a: Mat;
}

export interface CcaResult {
  dim: number;
  /** Present when the requested dim was more than min(p, q, n - 1): what was asked and the limit. */
  clamped?: { requested: number; limit: 'p' | 'q' | 'n'; value: number };
  /**
   * Canonical correlations, descending: the singular values of the regularised whitened
   * cross-covariance, so slightly below the unregularised ones.
   */
  correlations: number[];
  blocks: CcaBlockMap[];
  meanY: Float64Array;
  /** q x dim, shared by all blocks. */
  b: Mat;
}

export const defaultCca = { dim: 256, regX: 1e-2, regY: 1e-2 } as const;

/**
 * Regularised CCA of one or more modality blocks against one text side.
 *
 * The variates Xa and Yb have unit weighted variance, are uncorrelated with each other within a
 * side, and corr(Xa_j, Yb_j) = correlations[j].
 *
 * @example
 * const r = await blockCca([{ name: 'image', x: imageRows, y: textRows }], { dim: 64 });
 * r.blocks[0].a // Mat 1280 x 64; r.b // Mat 256 x 64; r.correlations // [0.83, 0.79, ...]
 */
export async function blockCca(blocks: readonly CcaBlock[], options: CcaOptions = {}): Promise<CcaResult> {
  const opts = withDefaults(defaultCca, options);
  checkOptions(opts);
  if (blocks.length === 0) throw new RosettaError('INVALID_ARGUMENT', 'blockCca needs at least one block');
  const names = blocks.map((b, i) => b.name ?? `block ${i}`);
  const q = checkRows(blocks[0].y, `${names[0]} text`, undefined, 1);
  const dims = blocks.map((b, i) => {
    const p = checkRows(b.x, names[i], undefined, 2);
    checkRows(b.y, `${names[i]} text`, q, 1);
    if (b.y.length !== b.x.length) {
      throw new RosettaError('INVALID_ARGUMENT', `${names[i]} has ${b.x.length} rows but ${b.y.length} text rows`);
    }
    return p;
  });
  const shares = blockShares(blocks, names);

  const means = blocks.map((b, i) => meanRows(b.x, dims[i]));
  const meanY = new Float64Array(q);
  blocks.forEach((b, i) => {
    const my = meanRows(b.y, q);
    for (let j = 0; j < q; j++) meanY[j] += shares[i] * my[j];
  });

  // One joint Gram of [x - mean_m | y - meanY] per block gives Cxx_m, Cxy_m and its part of Cyy.
  const cyy = mat(q, q);
  const parts: { cxx: Mat; cxy: Mat }[] = [];
  await withGemm(opts.gemm, async (gemm) => {
    for (let i = 0; i < blocks.length; i++) {
      const p = dims[i];
      const d = p + q;
      const g = await gemm.gram(blocks[i].x.length, d, centredPairFiller(blocks[i].x, means[i], blocks[i].y, meanY));
      const s = shares[i] / blocks[i].x.length;
      const cxx = mat(p, p);
      const cxy = mat(p, q);
      for (let r = 0; r < p; r++) {
        for (let c = 0; c < p; c++) cxx.data[r * p + c] = s * g.data[r * d + c];
        for (let c = 0; c < q; c++) cxy.data[r * q + c] = s * g.data[r * d + p + c];
      }
      for (let r = 0; r < q; r++) {
        for (let c = 0; c < q; c++) cyy.data[r * q + c] += s * g.data[(p + r) * d + p + c];
      }
      parts.push({ cxx, cxy });
    }
  });

  const n = blocks.reduce((s, b) => s + b.x.length, 0);
  const pTotal = dims.reduce((s, p) => s + p, 0);
  const limits = [
    ['p', pTotal],
    ['q', q],
    ['n', n - 1],
  ] as const;
  const [limit, value] = limits.reduce((m, l) => (l[1] < m[1] ? l : m));
  const k = Math.min(opts.dim, value);
  const clamped = k < opts.dim ? { requested: opts.dim, limit, value } : undefined;

  addRelativeRidge(cyy, opts.regY);
  const ly = cholesky(cyy, 'the text covariance (Cyy)');
  // T_m = L_m^-1 Cxy_m L_y^-T: the whitened cross-covariance, block m's rows of the stacked T.
  const whitened = parts.map(({ cxx, cxy }, i) => {
    addRelativeRidge(cxx, opts.regX);
    const lx = cholesky(cxx, `the ${names[i]} covariance (Cxx)`);
    const t = transpose(solveLower(ly, transpose(solveLower(lx, cxy))));
    return { lx, t };
  });

  const { u, v, sigma } = stackedSvd(whitened.map((w) => w.t), q, k);
  return {
    dim: k,
    ...(clamped ? { clamped } : {}),
    correlations: Array.from(sigma),
    blocks: whitened.map((w, i) => ({ name: names[i], mean: means[i], a: solveLowerTransposed(w.lx, u[i]) })),
    meanY,
    b: solveLowerTransposed(ly, v),
  };
}

/**
 * Ordinary regularised CCA between paired rows x[i], y[i].
 *
 * @example
 * const r = await cca(xRows, yRows, { dim: 3 });
 * r.correlations // [0.9, 0.7, 0.5] for a planted 3-d shared signal
 */
export async function cca(
  x: readonly Float32Array[],
  y: readonly Float32Array[],
  options: CcaOptions = {},
): Promise<CcaResult> {
  return blockCca([{ name: 'x', x, y }], options);
}

function checkOptions(o: Required<Omit<CcaOptions, 'gemm'>>): void {
  if (!Number.isInteger(o.dim) || o.dim < 1) {
    throw new RosettaError('INVALID_ARGUMENT', `options.dim must be a positive integer; got ${o.dim}`);
  }
  for (const key of ['regX', 'regY'] as const) {
    if (!(o[key] >= 0) || !Number.isFinite(o[key])) {
      throw new RosettaError('INVALID_ARGUMENT', `options.${key} must be a finite number >= 0; got ${o[key]}`);
    }
  }
}

function blockShares(blocks: readonly CcaBlock[], names: string[]): number[] {
  const raw = blocks.map((b, i) => {
    const w = b.weight ?? 1;
    if (!(w > 0) || !Number.isFinite(w)) {
      throw new RosettaError('INVALID_ARGUMENT', `${names[i]} weight must be a finite number > 0; got ${w}`);
    }
    return w;
  });
  const total = raw.reduce((s, w) => s + w, 0);
  return raw.map((w) => w / total);
}

/**
 * Top-k SVD of T = [T_1; ...; T_M] (sum p_m x q) through the eigenproblem of the smaller of
 * TᵀT (q x q) and TTᵀ, which stays a few hundred wide even when T is thousands tall.
 * Returns U split into blocks (p_m x k), V (q x k) and the singular values.
 */
function stackedSvd(ts: Mat[], q: number, k: number): { u: Mat[]; v: Mat; sigma: Float64Array } {
  const pTotal = ts.reduce((s, t) => s + t.rows, 0);
  let u: Mat[];
  let v: Mat;
  let sigma: Float64Array;
  if (q <= pTotal) {
    const g = mat(q, q);
    for (const t of ts) {
      const part = matmul(transpose(t), t);
      for (let i = 0; i < g.data.length; i++) g.data[i] += part.data[i];
    }
    const eig = symmetricEigen(g);
    sigma = eig.values.subarray(0, k).map((l) => Math.sqrt(Math.max(l, 0)));
    v = columns(eig.vectors, 0, k);
    fixSigns(v);
    u = ts.map((t) => divideColumns(matmul(t, v), sigma));
  } else {
    // Few X columns: eigenvectors of TTᵀ are U; split them back into blocks.
    const all = mat(pTotal, q);
    let off = 0;
    for (const t of ts) {
      all.data.set(t.data, off * q);
      off += t.rows;
    }
    const eig = symmetricEigen(matmul(all, transpose(all)));
    sigma = eig.values.subarray(0, k).map((l) => Math.sqrt(Math.max(l, 0)));
    const uAll = columns(eig.vectors, 0, k);
    v = divideColumns(matmul(transpose(all), uAll), sigma);
    const flips = fixSigns(v);
    for (let i = 0; i < uAll.rows; i++) for (let j = 0; j < k; j++) uAll.data[i * k + j] *= flips[j];
    u = [];
    off = 0;
    for (const t of ts) {
      u.push(mat(t.rows, k, uAll.data.slice(off * k, (off + t.rows) * k)));
      off += t.rows;
    }
  }
  return { u, v, sigma: Float64Array.from(sigma) };
}

/**
 * Divides column j by s[j]. A singular value at rounding level (below 1e-9 of the top) leaves a
 * zero column: dividing by it would only amplify rounding.
 */
function divideColumns(m: Mat, s: Float64Array): Mat {
  const floor = 1e-9 * (s[0] ?? 0);
  for (let i = 0; i < m.rows; i++) {
    for (let j = 0; j < m.cols; j++) m.data[i * m.cols + j] *= s[j] > floor ? 1 / s[j] : 0;
  }
  return m;
}

/** Makes the largest-magnitude entry of each column positive so signs do not depend on the solver. */
function fixSigns(v: Mat): number[] {
  const flips: number[] = [];
  for (let j = 0; j < v.cols; j++) {
    let best = 0;
    for (let i = 0; i < v.rows; i++) {
      const x = v.data[i * v.cols + j];
      if (Math.abs(x) > Math.abs(best)) best = x;
    }
    const f = best < 0 ? -1 : 1;
    if (f < 0) for (let i = 0; i < v.rows; i++) v.data[i * v.cols + j] *= -1;
    flips.push(f);
  }
  return flips;
}
