// The contrastive training step as one ONNX graph: both heads' forward pass, the symmetric
// InfoNCE loss, its analytic backward pass and the AdamW update. No autodiff: every gradient
// below is derived by hand (see the comments) and checked against finite differences in tests.
import { GraphBuilder } from '../onnxgraph/index.ts';
import { RosettaError } from '../errors.ts';
import { adamHyper, adamScalars, adamw, axes, l2normalizeBackward, rowDot, scalar, type AdamScalars } from './graph-math.ts';
import { bagForwardDense, denseForward, type DenseForward, type DenseParamNames } from './heads.ts';
import { MAX_LOG_SCALE, paramSlots, type HeadShape, type ParamSlot, type Side } from './head-params.ts';

/** `train`: loss + updated parameters and moments; `grad`: loss + gradients; `loss`: loss only. */
export type StepMode = 'train' | 'grad' | 'loss';

export interface StepGraphSpec {
  a: HeadShape;
  b: HeadShape;
  mode: StepMode;
  /** A frozen side is run forward only: no gradient, no update, no moments fed. */
  frozen?: Partial<Record<Side, boolean>>;
  /**
   * Slots the caller updates itself (mode 'train'): the graph outputs their gradient `<slot>.grad`
   * instead of updating them, and takes no moments for them. Used for the bag table's rows.
   */
  hostSlots?: readonly string[];
}

/** Graph names: inputs `a.x`/`b.x` (dense) or `b.S`, `b.E` (bag); outputs `<slot>.new`, `.m.new`, `.v.new`, `.grad`. */
export const stepNames = {
  x: (side: Side) => `${side}.x`,
  S: (side: Side) => `${side}.S`,
  param: (side: Side, field: string) => `${side}.${field}`,
  m: (slot: string) => `${slot}.m`,
  v: (slot: string) => `${slot}.v`,
  updated: (slot: string) => `${slot}.new`,
  mOut: (slot: string) => `${slot}.m.new`,
  vOut: (slot: string) => `${slot}.v.new`,
  grad: (slot: string) => `${slot}.grad`,
  /** The step count t of a parameter group (`a`, `b` or `scale`), for AdamW's bias correction. */
  step: (group: Side | 'scale') => `${group}.step`,
  loss: 'loss',
};

interface SideGraph {
  shape: HeadShape;
  /** Normalised embeddings [B, d] and what the backward needs. */
  y: string;
  n: string;
  dense?: { x: DenseForward; p: DenseParamNames };
  bag?: { S: string };
}

/**
 * Builds the step graph for a pair of head shapes.
 *
 * @example
 * const g = buildStepGraph({ a: { kind: 'dense', inDim: 1280, dim: 256 }, b: { kind: 'bag', dim: 256 }, mode: 'train' });
 * // inputs: a.x, a.mean, a.W, a.b, b.S, b.E, logScale, <slot>.m/.v, lr, beta1, beta2, eps, weightDecay,
 * //         a.step, b.step, scale.step
 * // outputs: loss, a.W.new, a.W.m.new, ..., logScale.v.new
 */
export function buildStepGraph(spec: StepGraphSpec): GraphBuilder {
  if (spec.a.kind !== 'dense') throw new RosettaError('INVALID_ARGUMENT', `side a must be a dense head; got '${spec.a.kind}'`);
  if (spec.a.dim !== spec.b.dim) {
    throw new RosettaError('DIMENSION_MISMATCH', `side a has dim ${spec.a.dim} but side b has dim ${spec.b.dim}`);
  }
  const g = new GraphBuilder(`rosetta-align-step-${spec.mode}`, { opset: 18 });
  const a = sideForward(g, 'a', spec.a);
  const b = sideForward(g, 'b', spec.b);
  const logScale = g.input('logScale', 'float32', []);

  // Loss. G = Ya·Ybᵀ, L = exp(s)·G, loss = (Σ_i lse_j(L_ij) + Σ_j lse_i(L_ij)) / 2B - Σ_i L_ii / B.
  const cap = scalar(g, 'max_log_scale', MAX_LOG_SCALE);
  const scale = g.op('Exp', [g.op('Min', [logScale, cap])]);
  const G = g.op('Gemm', [a.y, b.y], { transB: 1 });
  const L = g.op('Mul', [G, scale]);
  const rowsSm = softmaxWithLse(g, L, 1);
  const colsSm = softmaxWithLse(g, L, 0);
  const batch = g.op('Cast', [g.op('Gather', [g.op('Shape', [a.y]), g.int64s('zero_index', [0], [])])], { to: 1 });
  const twoB = g.op('Mul', [batch, scalar(g, 'two', 2)]);
  const diagSum = g.op('ReduceSum', [rowDot(g, a.y, b.y)], { keepdims: 0 });
  const lseSum = g.op('Add', [g.op('ReduceSum', [rowsSm.lse], { keepdims: 0 }), g.op('ReduceSum', [colsSm.lse], { keepdims: 0 })]);
  const loss = g.op('Sub', [g.op('Div', [lseSum, twoB]), g.op('Div', [g.op('Mul', [scale, diagSum]), batch])]);
  g.output(loss, 'float32', [], stepNames.loss); // a scalar: the Identity copy is free
  if (spec.mode === 'loss') return g;

  // Backward. dloss/dL = (P_row + P_col) / 2B - I / B, and dG = exp(s)·dloss/dL, so
  // dYa = dG·Yb = exp(s)/2B·P·Yb - exp(s)/B·Yb and dYb = dGᵀ·Ya likewise (P = P_row + P_col);
  // writing it this way never builds the identity matrix.
  const P = g.op('Add', [rowsSm.p, colsSm.p]);
  const coef = g.op('Div', [scale, twoB]);
  const diagCoef = g.op('Div', [scale, batch]);
  const grads = new Map<string, string>();
  if (!spec.frozen?.a) {
    const dYa = g.op('Sub', [g.op('Mul', [g.op('MatMul', [P, b.y]), coef]), g.op('Mul', [b.y, diagCoef])]);
    sideBackward(g, 'a', a, l2normalizeBackward(g, a.y, a.n, dYa), grads);
  }
  if (!spec.frozen?.b) {
    const dYb = g.op('Sub', [g.op('Mul', [g.op('Gemm', [P, a.y], { transA: 1 }), coef]), g.op('Mul', [a.y, diagCoef])]);
    sideBackward(g, 'b', b, l2normalizeBackward(g, b.y, b.n, dYb), grads);
  }
  // dloss/ds = exp(s)·Σ dloss/dL ∘ G; zero where the cap is active (s above log 100).
  const dScale = g.op('Sub', [
    g.op('Div', [g.op('ReduceSum', [g.op('Mul', [P, G])], { keepdims: 0 }), twoB]),
    g.op('Div', [diagSum, batch]),
  ]);
  const capped = g.op('Greater', [logScale, cap]);
  grads.set('logScale', named(g, 'Where', [capped, scalar(g, 'zero', 0), g.op('Mul', [dScale, scale])], 'logScale'));

  const slots = paramSlots(spec.a, spec.b, spec.frozen);
  const onHost = new Set(spec.mode === 'grad' ? slots.map((s) => s.name) : (spec.hostSlots ?? []));
  for (const slot of slots) if (onHost.has(slot.name)) g.output(gradOf(grads, slot), 'float32', slot.dims);
  if (spec.mode === 'grad') return g;
  const hyper = adamHyper(g);
  const scalars = new Map<string, AdamScalars>();
  for (const slot of slots) {
    if (onHost.has(slot.name)) continue;
    let k = scalars.get(slot.side);
    if (!k) scalars.set(slot.side, (k = adamScalars(g, hyper, g.input(stepNames.step(slot.side), 'float32', []))));
    const m = g.input(stepNames.m(slot.name), 'float32', slot.dims);
    const v = g.input(stepNames.v(slot.name), 'float32', slot.dims);
    const isScale = slot.field === 'logScale';
    const names = {
      p: isScale ? 'logScale.unclamped' : stepNames.updated(slot.name),
      m: stepNames.mOut(slot.name),
      v: stepNames.vOut(slot.name),
    };
    const next = adamw(g, k, { p: slot.name, grad: gradOf(grads, slot), m, v, decay: slot.decay }, names);
    // CLIP's clamp: s stays at most log 100 after every update, so exp(s) <= 100.
    const p = isScale ? g.node('Min', [next.p, cap], [stepNames.updated(slot.name)])[0] : next.p;
    g.output(p, 'float32', slot.dims);
    g.output(next.m, 'float32', slot.dims);
    g.output(next.v, 'float32', slot.dims);
  }
  return g;
}

/** A node whose output is the gradient of `slot`, named so it can be a graph output as is. */
function named(g: GraphBuilder, op: string, inputs: string[], slot: string, attrs: Record<string, number> = {}): string {
  return g.node(op, inputs, [stepNames.grad(slot)], attrs)[0];
}

function sideForward(g: GraphBuilder, side: Side, shape: HeadShape): SideGraph {
  if (shape.kind === 'bag') {
    const S = g.input(stepNames.S(side), 'float32', ['B', 'U']);
    const E = g.input(stepNames.param(side, 'E'), 'float32', ['U', shape.dim]);
    const fw = bagForwardDense(g, S, E);
    return { shape, y: fw.y, n: fw.n, bag: { S } };
  }
  const x = g.input(stepNames.x(side), 'float32', ['B', shape.inDim]);
  const param = (field: string, dims: number[]) => g.input(stepNames.param(side, field), 'float32', dims);
  const p: DenseParamNames = {
    mean: param('mean', [shape.inDim]),
    W: param('W', [shape.inDim, shape.dim]),
    b: param('b', [shape.dim]),
  };
  if (shape.hidden) {
    p.mlp = {
      W1: param('W1', [shape.dim, shape.hidden]),
      b1: param('b1', [shape.hidden]),
      W2: param('W2', [shape.hidden, shape.dim]),
    };
  }
  const fw = denseForward(g, x, p);
  return { shape, y: fw.y, n: fw.n, dense: { x: fw, p } };
}

/** Gradients of one head's parameters from du, the gradient at its pre-normalisation output. */
function sideBackward(g: GraphBuilder, side: Side, s: SideGraph, du: string, grads: Map<string, string>): void {
  const name = (field: string) => stepNames.param(side, field);
  if (s.bag) {
    // T = S·E_u  =>  dE_u = Sᵀ·dT.
    grads.set(name('E'), named(g, 'Gemm', [s.bag.S, du], name('E'), { transA: 1 }));
    return;
  }
  const { x: fw, p } = s.dense!;
  let dY0 = du;
  if (fw.mlp && p.mlp) {
    // u = y0 + relu(h)·W2, h = y0·W1 + b1.
    const dR = g.op('Gemm', [du, p.mlp.W2], { transB: 1 });
    const dH = g.op('Where', [g.op('Greater', [fw.mlp.h, scalar(g, 'relu_zero', 0)]), dR, scalar(g, 'relu_zero_grad', 0)]);
    grads.set(name('W2'), named(g, 'Gemm', [fw.mlp.r, du], name('W2'), { transA: 1 }));
    grads.set(name('W1'), named(g, 'Gemm', [fw.y0, dH], name('W1'), { transA: 1 }));
    grads.set(name('b1'), named(g, 'ReduceSum', [dH, axes(g, 0)], name('b1'), { keepdims: 0 }));
    dY0 = g.op('Add', [du, g.op('Gemm', [dH, p.mlp.W1], { transB: 1 })]);
  }
  // y0 = xc·W + b.
  grads.set(name('W'), named(g, 'Gemm', [fw.xc, dY0], name('W'), { transA: 1 }));
  grads.set(name('b'), named(g, 'ReduceSum', [dY0, axes(g, 0)], name('b'), { keepdims: 0 }));
}

/** Row- or column-wise softmax of L and its log-sum-exp, max-shifted for stability. */
function softmaxWithLse(g: GraphBuilder, L: string, axis: number): { p: string; lse: string } {
  const max = g.op('ReduceMax', [L, axes(g, axis)], { keepdims: 1 });
  const e = g.op('Exp', [g.op('Sub', [L, max])]);
  const sum = g.op('ReduceSum', [e, axes(g, axis)], { keepdims: 1 });
  return { p: g.op('Div', [e, sum]), lse: g.op('Add', [g.op('Log', [sum]), max]) };
}

function gradOf(grads: Map<string, string>, slot: ParamSlot): string {
  const grad = grads.get(slot.name);
  if (!grad) throw new RosettaError('INTERNAL', `step graph has no gradient for ${slot.name}`);
  return grad;
}
