// AdamW hyperparameters and state, and the host-side lazy AdamW for the rows of the text bag. The
// step graph applies the same update to every other tensor; doing the bag rows here, in one fused
// pass over the tables in place, avoids gathering their moments, ~14 full-size elementwise ONNX
// ops and copying three [U, d] results back (about 15% less CPU per step in models/align/bench.ts).
import type { AlignParams, HeadParams, Side } from './head-params.ts';

export interface AdamWConfig {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export const defaultAdamW: AdamWConfig = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };

/**
 * AdamW state of one parameter group (a head, or s): its own step count, for bias correction, and
 * moments keyed by field (`W`, `b`, `W1`, `b1`, `W2`, `E`, `logScale`). A bag's moments are
 * full-table sized and updated lazily, row by row.
 */
export interface AdamGroup {
  step: number;
  m: Record<string, Float32Array>;
  v: Record<string, Float32Array>;
}

/** The groups a pair step updates; a frozen side has none. */
export interface PairAdam {
  a?: AdamGroup;
  b?: AdamGroup;
  scale: AdamGroup;
}

/** Zero moments for every trainable tensor of a head. */
export function initHeadAdam(head: HeadParams): AdamGroup {
  const group: AdamGroup = { step: 0, m: {}, v: {} };
  const tensors: Record<string, Float32Array> =
    head.kind === 'bag' ? { E: head.E } : { W: head.W, b: head.b, ...(head.mlp ? { W1: head.mlp.W1, b1: head.mlp.b1, W2: head.mlp.W2 } : {}) };
  for (const [field, data] of Object.entries(tensors)) {
    group.m[field] = new Float32Array(data.length);
    group.v[field] = new Float32Array(data.length);
  }
  return group;
}

export function initScaleAdam(): AdamGroup {
  return { step: 0, m: { logScale: new Float32Array(1) }, v: { logScale: new Float32Array(1) } };
}

/** Fresh state for one pair of heads (tests and single-pair use; the trainer shares groups across pair sets). */
export function initPairAdam(params: AlignParams, frozen: Partial<Record<Side, boolean>> = {}): PairAdam {
  return {
    ...(frozen.a ? {} : { a: initHeadAdam(params.a) }),
    ...(frozen.b ? {} : { b: initHeadAdam(params.b) }),
    scale: initScaleAdam(),
  };
}

/**
 * Lazy AdamW on the listed rows of a row-major [*, d] table (PyTorch SparseAdam's convention: the
 * global step drives bias correction; rows not in the batch keep their values and moments).
 * `grad` is [rows.length, d]; `table`, `m` and `v` are updated in place.
 *
 * @example
 * adamwRows(E, m, v, Int32Array.of(4, 9), grad, 256, defaultAdamW, 12, true); // rows 4 and 9 move
 */
export function adamwRows(
  table: Float32Array,
  m: Float32Array,
  v: Float32Array,
  rows: Int32Array,
  grad: Float32Array,
  d: number,
  config: AdamWConfig,
  step: number,
  decay: boolean,
): void {
  const { lr, beta1, beta2, eps, weightDecay } = config;
  const stepSize = lr / (1 - beta1 ** step);
  const invSqrtC2 = 1 / Math.sqrt(1 - beta2 ** step);
  const factor = decay ? 1 - lr * weightDecay : 1;
  const [o1, o2] = [1 - beta1, 1 - beta2];
  for (let u = 0; u < rows.length; u++) {
    const base = rows[u] * d;
    const gBase = u * d;
    for (let c = 0; c < d; c++) {
      const i = base + c;
      const g = grad[gBase + c];
      const mi = beta1 * m[i] + o1 * g;
      const vi = beta2 * v[i] + o2 * g * g;
      m[i] = mi;
      v[i] = vi;
      table[i] = table[i] * factor - stepSize * (mi / (Math.sqrt(vi) * invSqrtC2 + eps));
    }
  }
}
