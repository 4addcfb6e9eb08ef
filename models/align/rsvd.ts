/**
 * Text reduction: a hashed embedding bag E (idSpace x dim) from a randomised SVD of the
 * caption matrix (Halko, Martinsson & Tropp 2011, algorithms 4.4 + 5.1), so that a caption's
 * sparse row t maps to t·E, its coordinates in the caption matrix's top right-singular
 * subspace (uncentred, as in LSA: the CCA that follows centres anyway).
 *
 * E is stored sparsely: a row only for ids that occurred (at least `minCount` times) in the
 * fitting captions, in ascending id order; every other id embeds to a zero row. Its columns
 * are the right singular vectors V, orthonormal, so E holds no scale of its own.
 */
import { RosettaError } from '../errors.ts';
import type { SparseRow } from '../types.ts';
import { withGemm, type Gemm } from './gemm.ts';
import { addRelativeRidge, cholesky, inverseLowerTransposed, symmetricEigen, type Mat } from './linalg.ts';
import { withDefaults } from './options.ts';
import { buildCsr, fromPanels, mulPanels, mulTransposedPanels, sketchPanels, toPanels, type Csr } from './sparse.ts';

export interface TextBag {
  /** Size of the hashed id space the sparse rows come from. */
  idSpace: number;
  dim: number;
  /** Ids that have a row, ascending. Any other id embeds to zero. */
  ids: Uint32Array;
  /** ids.length x dim, row-major: row r embeds ids[r]. */
  rows: Float32Array;
  /** The caption matrix's top `dim` singular values, descending. */
  singularValues: Float32Array;
}

export interface TextBagOptions {
  /** Output dimension d_t. Default 256; clamped to the number of captions and of distinct ids. */
  dim?: number;
  /** Default 2^18, the text featurizer's id space. */
  idSpace?: number;
  /** Extra sketch columns beyond `dim` (rounded up to a multiple of 8). Default 10. */
  oversample?: number;
  /** Power iterations; each costs two passes over the captions. Default 2. */
  powerIterations?: number;
  /** Seed of the random test matrix: the same seed gives the same bag. Default 1. */
  seed?: number;
  /** Ids occurring in fewer captions get no row (embed to zero). Default 1: every id that occurs. */
  minCount?: number;
  gemm?: Gemm;
}

export interface TextBagFit {
  bag: TextBag;
  /** embedSparse of each fitting caption, computed in bulk: views into one buffer. */
  embedded: Float32Array[];
  /** Present when `dim` was more than the captions or distinct ids allow. */
  clamped?: { requested: number; limit: 'captions' | 'ids'; value: number };
}

export const defaultTextBag = { dim: 256, idSpace: 2 ** 18, oversample: 10, powerIterations: 2, seed: 1, minCount: 1 };

/**
 * Fits the embedding bag to captions.
 *
 * @example
 * const { bag, embedded } = await fitTextBag(captionRows, { dim: 256 });
 * bag.ids.length // distinct ids seen, e.g. 91234; embedded[0] // Float32Array(256)
 */
export async function fitTextBag(captions: readonly SparseRow[], options: TextBagOptions = {}): Promise<TextBagFit> {
  const o = withDefaults(defaultTextBag, options);
  checkInt('dim', o.dim, 1);
  checkInt('idSpace', o.idSpace, 1);
  checkInt('oversample', o.oversample, 0);
  checkInt('powerIterations', o.powerIterations, 0);
  checkInt('minCount', o.minCount, 1);
  if (!Number.isInteger(o.seed)) throw new RosettaError('INVALID_ARGUMENT', `options.seed must be an integer; got ${o.seed}`);
  if (captions.length === 0) throw new RosettaError('INVALID_ARGUMENT', 'fitTextBag needs at least one caption');

  const a = buildCsr(captions, o.idSpace, o.minCount);
  if (a.cols === 0) throw new RosettaError('INVALID_ARGUMENT', 'the captions have no feature ids to fit a text bag to');
  const limit = a.rows <= a.cols ? ('captions' as const) : ('ids' as const);
  const k = Math.min(o.dim, a.rows, a.cols);
  const l = Math.min(Math.ceil((k + o.oversample) / 8) * 8, a.rows, a.cols);

  return withGemm(o.gemm, async (gemm) => {
    const { v, sigma } = await randomisedSvd(a, k, l, o.powerIterations, o.seed, gemm);
    // The fitting captions go through the same t·E as any later caption, only in bulk.
    const embeddedAll = fromPanels(mulPanels(a, toPanels(v, a.cols, k), k), a.rows, k);
    const embedded = Array.from({ length: a.rows }, (_, i) => embeddedAll.subarray(i * k, (i + 1) * k));
    // Columns were numbered by frequency for speed; the bag lists ids ascending for lookup.
    const order = Array.from(a.ids.keys()).sort((x, y) => a.ids[x] - a.ids[y]);
    const rows = new Float32Array(a.cols * k);
    order.forEach((c, r) => rows.set(v.subarray(c * k, (c + 1) * k), r * k));
    const bag: TextBag = {
      idSpace: o.idSpace,
      dim: k,
      ids: Uint32Array.from(order, (c) => a.ids[c]),
      rows,
      singularValues: sigma,
    };
    return { bag, embedded, ...(k < o.dim ? { clamped: { requested: o.dim, limit, value: k } } : {}) };
  });
}

/**
 * t·E: the sum of weight x row of E over the row's ids; ids without a row add nothing.
 *
 * @example embedSparse({ ids: Uint32Array.of(17, 4242), weights: Float32Array.of(0.6, 0.8) }, bag) // Float32Array(bag.dim)
 */
export function embedSparse(row: SparseRow, bag: TextBag): Float32Array {
  const acc = new Float64Array(bag.dim);
  const { ids, weights } = row;
  for (let k = 0; k < ids.length; k++) {
    const r = findId(bag.ids, ids[k]);
    if (r < 0) continue;
    const w = weights[k];
    const o = r * bag.dim;
    for (let j = 0; j < bag.dim; j++) acc[j] += w * bag.rows[o + j];
  }
  return Float32Array.from(acc);
}

/** How many of the row's ids have a row in the bag: 0 means the text embeds to zero. */
export function knownIds(row: SparseRow, bag: TextBag): number {
  let n = 0;
  for (const id of row.ids) if (findId(bag.ids, id) >= 0) n++;
  return n;
}

function findId(ids: Uint32Array, id: number): number {
  let lo = 0;
  let hi = ids.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = ids[mid];
    if (v === id) return mid;
    if (v < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/**
 * Top-k right singular vectors (cols x k, row-major) and singular values of A, from an l-column
 * sketch (a sparse sign test matrix, see sketchPanels). Every product with A or Aᵀ is followed
 * by an orthonormalisation, so the power iterations do not drown the smaller singular
 * directions in float32 rounding.
 */
async function randomisedSvd(
  a: Csr,
  k: number,
  l: number,
  powerIterations: number,
  seed: number,
  gemm: Gemm,
): Promise<{ v: Float32Array; sigma: Float32Array }> {
  // Intermediate bases only need to span the right subspace, well conditioned: one Cholesky-QR
  // pass does that; the final Q, from which B is formed, gets the second pass (CholQR2).
  const last = powerIterations === 0 ? 2 : 1;
  let q = await orthonormalise(fromPanels(sketchPanels(a, l, seed), a.rows, l), a.rows, l, last, gemm);
  for (let it = 0; it < powerIterations; it++) {
    const z = await orthonormalise(fromPanels(mulTransposedPanels(a, toPanels(q, a.rows, l), l), a.cols, l), a.cols, l, 1, gemm);
    const passes = it === powerIterations - 1 ? 2 : 1;
    q = await orthonormalise(fromPanels(mulPanels(a, toPanels(z, a.cols, l), l), a.rows, l), a.rows, l, passes, gemm);
  }
  // Bᵀ = Aᵀ Q (cols x l). B = W Σ Vᵀ comes from the eigenproblem of B Bᵀ = (Bᵀ)ᵀ Bᵀ (l x l).
  const bt = fromPanels(mulTransposedPanels(a, toPanels(q, a.rows, l), l), a.cols, l);
  const eig = symmetricEigen(await gemm.mulTransposed(bt, l, bt, l, a.cols));
  const sigma = new Float32Array(k);
  const wScaled = new Float32Array(l * k);
  const top = Math.sqrt(Math.max(eig.values[0], 0));
  for (let j = 0; j < k; j++) {
    const s = Math.sqrt(Math.max(eig.values[j], 0));
    // Below ~1e-3 of the top, a singular value from a float32 Gram is rounding, not signal
    // (duplicate captions make the matrix rank-deficient): give that dim a zero column.
    const real = s > 1e-3 * top;
    sigma[j] = real ? s : 0;
    for (let i = 0; i < l; i++) wScaled[i * k + j] = real ? eig.vectors.data[i * l + j] / s : 0;
  }
  const v = await gemm.mul(bt, a.cols, l, wScaled, k);
  fixSigns(v, a.cols, k);
  return { v, sigma };
}

/**
 * A basis of the columns of M (rows x l, row-major) by Cholesky QR: M = Q R with R from the
 * Cholesky factor of MᵀM. The Gram and the product with R^-1 are float32 GEMMs. One pass leaves
 * Q orthonormal to about cond(M)² x 1e-7; a second pass (CholQR2) restores it to rounding.
 * A shift of 1e-5 of the trace keeps the factorisation defined when M is (numerically)
 * rank-deficient, e.g. with duplicate captions; those directions come out near zero.
 */
async function orthonormalise(
  m: Float32Array,
  rows: number,
  l: number,
  passes: number,
  gemm: Gemm,
): Promise<Float32Array> {
  let q = m;
  for (let pass = 0; pass < passes; pass++) {
    const g: Mat = await gemm.mulTransposed(q, l, q, l, rows);
    addRelativeRidge(g, 1e-5 * l); // relative to the mean eigenvalue trace/l: 1e-5 of the trace
    const rInv = inverseLowerTransposed(cholesky(g, 'the sketch Gram matrix'));
    q = await gemm.mul(q, rows, l, Float32Array.from(rInv.data), l);
  }
  return q;
}

/** Makes the largest-magnitude entry of each column positive, so the bag does not depend on solver signs. */
function fixSigns(v: Float32Array, rows: number, k: number): void {
  for (let j = 0; j < k; j++) {
    let best = 0;
    for (let i = 0; i < rows; i++) if (Math.abs(v[i * k + j]) > Math.abs(best)) best = v[i * k + j];
    if (best < 0) for (let i = 0; i < rows; i++) v[i * k + j] = -v[i * k + j];
  }
}

function checkInt(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new RosettaError('INVALID_ARGUMENT', `options.${name} must be an integer >= ${min}; got ${value}`);
  }
}
