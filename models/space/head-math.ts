/**
 * The heads' forward pass in plain TypeScript, for the store's synchronous Projector and for
 * evaluation. It mirrors `buildHeadGraph` in models/align/heads.ts op for op (Sub, Gemm,
 * residual MLP, eps-regularised L2 norm); test/space.test.ts checks it against the exported
 * ONNX heads. Hand-written because the store's Projector must be synchronous and onnxruntime's
 * run() is not; the heads are a few hundred thousand multiply-adds per row.
 */
import { RosettaError } from '../errors.ts';
import type { SparseRow } from '../types.ts';
import type { BagHeadParams, DenseHeadParams } from '../align/index.ts';

// Same as NORM_EPS2 in models/align/graph-math.ts: norm = sqrt(|u|² + eps²).
const NORM_EPS2 = 1e-12;

/**
 * normalize((x - mean)·W + b [+ relu(y0·W1 + b1)·W2]).
 *
 * @example applyDense(imageHead, features) // Float32Array(head.dim), unit length
 */
export function applyDense(head: DenseHeadParams, x: ArrayLike<number>, what = 'features'): Float32Array {
  const { inDim, dim, mean, W, b } = head;
  if (x.length !== inDim) throw new RosettaError('DIMENSION_MISMATCH', `${what} have ${x.length} values but the head takes ${inDim}`);
  const y = Float64Array.from(b);
  for (let i = 0; i < inDim; i++) {
    const v = x[i] - mean[i];
    if (!Number.isFinite(v)) throw new RosettaError('INVALID_ARGUMENT', `${what} have a non-finite value at ${i}`);
    if (v === 0) continue;
    const o = i * dim;
    for (let j = 0; j < dim; j++) y[j] += v * W[o + j];
  }
  if (head.mlp) {
    const { hidden, W1, b1, W2 } = head.mlp;
    const h = Float64Array.from(b1);
    for (let i = 0; i < dim; i++) {
      const v = y[i];
      const o = i * hidden;
      for (let k = 0; k < hidden; k++) h[k] += v * W1[o + k];
    }
    const u = Float64Array.from(y);
    for (let k = 0; k < hidden; k++) {
      if (h[k] <= 0) continue;
      const o = k * dim;
      for (let j = 0; j < dim; j++) u[j] += h[k] * W2[o + j];
    }
    return normalize(u);
  }
  return normalize(y);
}

/**
 * The text bag with its id -> row lookup built once.
 *
 * @example new BagIndex(textHead).apply(withBias(captionRow)) // Float32Array(dim), unit length
 */
export class BagIndex {
  private readonly rowOf = new Map<number, number>();

  constructor(readonly head: BagHeadParams) {
    head.ids.forEach((id, r) => this.rowOf.set(id, r));
  }

  /** How many of the row's ids have a row (the bias id counts when present). */
  known(row: SparseRow): number {
    let n = 0;
    for (const id of row.ids) if (this.rowOf.has(id)) n++;
    return n;
  }

  /** Σ weights·E[rows], normalised; ids without a row are dropped, as the ONNX head's feeds drop them. */
  apply(row: SparseRow): Float32Array {
    const { dim, E } = this.head;
    const u = new Float64Array(dim);
    for (let k = 0; k < row.ids.length; k++) {
      const r = this.rowOf.get(row.ids[k]);
      if (r === undefined) continue;
      const w = row.weights[k];
      const o = r * dim;
      for (let j = 0; j < dim; j++) u[j] += w * E[o + j];
    }
    return normalize(u);
  }
}

// Indexed loops: Float32Array.from with a map callback made a text query's bag head 3x slower.
function normalize(u: Float64Array): Float32Array {
  let s = 0;
  for (let j = 0; j < u.length; j++) s += u[j] * u[j];
  const n = Math.sqrt(s + NORM_EPS2);
  const out = new Float32Array(u.length);
  for (let j = 0; j < u.length; j++) out[j] = u[j] / n;
  return out;
}
