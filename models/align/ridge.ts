/**
 * Closed-form ridge regression from one modality's features to coordinates in the shared
 * space: how sketches that come paired with photos (not captions) get their map. The result has
 * the same (x - mean)·W form as every other map; the intercept is folded into the mean.
 */
import { RosettaError } from '../errors.ts';
import { withGemm, type Gemm } from './gemm.ts';
import {
  addRelativeRidge,
  cholesky,
  mat,
  matmul,
  solveLower,
  solveLowerTransposed,
  transpose,
  type Mat,
} from './linalg.ts';
import { centredPairFiller, checkRows, meanRows } from './rows.ts';

export interface RidgeOptions {
  /** Ridge, relative to the mean eigenvalue of the feature covariance. Default 1e-2. */
  reg?: number;
  gemm?: Gemm;
}

export interface AffineMap {
  /** p */
  mean: Float64Array;
  /** p x k: a feature row x maps to (x - mean)·weight. */
  weight: Mat;
}

/**
 * W minimising |(X - mean_x)W + mean_t - T|² + reg·tr(Cxx)/p·|W|², returned as (x - mean)·W.
 *
 * @example
 * const m = await ridgeMap(sketchRows, imageCoordinates, { reg: 1e-2 });
 * m.weight // Mat 1280 x 256; m.mean // Float64Array(1280)
 */
export async function ridgeMap(
  x: readonly Float32Array[],
  targets: readonly Float32Array[],
  options: RidgeOptions = {},
): Promise<AffineMap> {
  const reg = options.reg ?? 1e-2;
  if (!(reg >= 0) || !Number.isFinite(reg)) {
    throw new RosettaError('INVALID_ARGUMENT', `options.reg must be a finite number >= 0; got ${reg}`);
  }
  const p = checkRows(x, 'ridge features', undefined, 2);
  const k = checkRows(targets, 'ridge targets', undefined, 2);
  if (targets.length !== x.length) {
    throw new RosettaError('INVALID_ARGUMENT', `ridge has ${x.length} feature rows but ${targets.length} targets`);
  }
  const mx = meanRows(x, p);
  const mt = meanRows(targets, k);
  const d = p + k;
  const g = await withGemm(options.gemm, (gemm) => gemm.gram(x.length, d, centredPairFiller(x, mx, targets, mt)));
  const cxx = mat(p, p);
  const cxt = mat(p, k);
  for (let r = 0; r < p; r++) {
    for (let c = 0; c < p; c++) cxx.data[r * p + c] = g.data[r * d + c];
    for (let c = 0; c < k; c++) cxt.data[r * k + c] = g.data[r * d + p + c];
  }
  addRelativeRidge(cxx, reg);
  const l = cholesky(cxx, 'the ridge feature covariance');
  const weight = solveLowerTransposed(l, solveLower(l, cxt));
  return { mean: foldOffset(weight, mx, mt), weight };
}

/**
 * The mean m with (x - m)·W = (x - base)·W + offset, i.e. (base - m)·W = offset, taking the
 * least-norm shift (offset·(WᵀW)^-1·Wᵀ). Exact whenever W has full column rank (k <= p),
 * which is the case for every map here; otherwise it is the closest such map.
 *
 * @example foldOffset(w, sketchMean, imageCentre) // Float64Array(p)
 */
export function foldOffset(w: Mat, base: Float64Array, offset: Float64Array): Float64Array {
  const wtw = matmul(transpose(w), w);
  addRelativeRidge(wtw, 1e-10);
  const l = cholesky(wtw, 'WᵀW of a linear map');
  // shift (1 x p) = offset·(WᵀW)^-1·Wᵀ: solve (WᵀW) s = offsetᵀ, then shift = W s.
  const s = solveLowerTransposed(l, solveLower(l, mat(offset.length, 1, Float64Array.from(offset))));
  const shift = matmul(w, s);
  return base.map((b, i) => b - shift.data[i]);
}
