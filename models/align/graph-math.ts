// Small differentiable building blocks over GraphBuilder, shared by the step graph and the head
// graphs: row L2 normalisation (forward and its analytic backward), scalar constants and the
// AdamW update. Kept here rather than in onnxgraph/ because only the trainer needs them.
import type { GraphBuilder } from '../onnxgraph/index.ts';

// One initializer per distinct constant and graph, however often a helper asks for it.
const constants = new WeakMap<GraphBuilder, Map<string, string>>();

function constant(g: GraphBuilder, key: string, make: () => string): string {
  let known = constants.get(g);
  if (!known) constants.set(g, (known = new Map()));
  let name = known.get(key);
  if (name === undefined) known.set(key, (name = make()));
  return name;
}

/** A scalar float32 constant (shared within the graph). */
export function scalar(g: GraphBuilder, name: string, value: number): string {
  return constant(g, `f:${value}`, () => g.initializer(name, Float32Array.of(value), []));
}

/** An int64 axes tensor for the opset-18 Reduce* ops (shared within the graph). */
export function axes(g: GraphBuilder, ...values: number[]): string {
  return constant(g, `axes:${values.join(',')}`, () => g.int64s(`axes_${values.join('_')}`, values));
}

/** Σ_j a_ij·b_ij per row, kept as [N, 1] so it broadcasts back over the row. */
export function rowDot(g: GraphBuilder, a: string, b: string): string {
  return g.op('ReduceSum', [g.op('Mul', [a, b]), axes(g, 1)], { keepdims: 1 });
}

// Keeps an all-zero row (a caption with no known ids) finite: it normalises to zero, not NaN.
const NORM_EPS2 = 1e-12;

/** y = u / sqrt(|u|² + 1e-12), row-wise. Returns y and the norm n [N, 1] for the backward. */
export function l2normalize(g: GraphBuilder, u: string): { y: string; n: string } {
  const n = g.op('Sqrt', [g.op('Add', [rowDot(g, u, u), scalar(g, 'norm_eps2', NORM_EPS2)])]);
  return { y: g.op('Div', [u, n]), n };
}

/**
 * Backward of `l2normalize`: du = (dy - y·⟨y, dy⟩) / n. Exact for the eps-regularised norm up to
 * the eps itself (|u|²/(|u|²+eps²) instead of 1 in the projection), which is below float32 precision.
 */
export function l2normalizeBackward(g: GraphBuilder, y: string, n: string, dy: string): string {
  return g.op('Div', [g.op('Sub', [dy, g.op('Mul', [y, rowDot(g, y, dy)])]), n]);
}

/** The hyperparameter inputs `lr`, `beta1`, `beta2`, `eps`, `weightDecay` (scalars). */
export interface AdamHyper {
  lr: string;
  beta1: string;
  beta2: string;
  eps: string;
  weightDecay: string;
}

export function adamHyper(g: GraphBuilder): AdamHyper {
  const [lr, beta1, beta2, eps, weightDecay] = ['lr', 'beta1', 'beta2', 'eps', 'weightDecay'].map((n) => g.input(n, 'float32', []));
  return { lr, beta1, beta2, eps, weightDecay };
}

/** The per-step scalars of AdamW for one parameter group, from the hyperparameters and its step t. */
export interface AdamScalars {
  beta1: string;
  beta2: string;
  oneMinusBeta1: string;
  oneMinusBeta2: string;
  eps: string;
  /** lr / (1 - beta1^t) */
  stepSize: string;
  /** 1 / sqrt(1 - beta2^t) */
  invSqrtC2: string;
  /** 1 - lr·weightDecay */
  decayFactor: string;
}

export function adamScalars(g: GraphBuilder, h: AdamHyper, step: string): AdamScalars {
  const one = scalar(g, 'one', 1);
  const c1 = g.op('Sub', [one, g.op('Pow', [h.beta1, step])]);
  const c2 = g.op('Sub', [one, g.op('Pow', [h.beta2, step])]);
  return {
    beta1: h.beta1,
    beta2: h.beta2,
    oneMinusBeta1: g.op('Sub', [one, h.beta1]),
    oneMinusBeta2: g.op('Sub', [one, h.beta2]),
    eps: h.eps,
    stepSize: g.op('Div', [h.lr, c1]),
    invSqrtC2: g.op('Reciprocal', [g.op('Sqrt', [c2])]),
    decayFactor: g.op('Sub', [one, g.op('Mul', [h.lr, h.weightDecay])]),
  };
}

/**
 * One AdamW step in PyTorch's order: p ← p·(1 - lr·wd); m ← β1·m + (1-β1)·g; v ← β2·v + (1-β2)·g²;
 * p ← p - lr/(1-β1^t) · m / (sqrt(v)/sqrt(1-β2^t) + eps). The last node of each result carries
 * `names`, so results can be graph outputs without an Identity copy (costly on large tensors).
 */
export function adamw(
  g: GraphBuilder,
  k: AdamScalars,
  t: { p: string; grad: string; m: string; v: string; decay: boolean },
  names: { p: string; m: string; v: string },
): { p: string; m: string; v: string } {
  const m2 = g.node('Add', [g.op('Mul', [t.m, k.beta1]), g.op('Mul', [t.grad, k.oneMinusBeta1])], [names.m])[0];
  const v2 = g.node('Add', [g.op('Mul', [t.v, k.beta2]), g.op('Mul', [g.op('Mul', [t.grad, t.grad]), k.oneMinusBeta2])], [names.v])[0];
  const denom = g.op('Add', [g.op('Mul', [g.op('Sqrt', [v2]), k.invSqrtC2]), k.eps]);
  const decayed = t.decay ? g.op('Mul', [t.p, k.decayFactor]) : t.p;
  const p2 = g.node('Sub', [decayed, g.op('Mul', [g.op('Div', [m2, denom]), k.stepSize])], [names.p])[0];
  return { p: p2, m: m2, v: v2 };
}
