// The trainable parameters of the Stage-2 heads, their names in the step graph, and the AdamW
// state beside them. Everything is plain Float32Arrays so the trainer can feed ONNX Runtime
// without conversion and clone/compare parameters cheaply.
import { mulberry32 } from '../random.ts';
import { RosettaError } from '../errors.ts';

/**
 * A dense modality head: y = (x - mean)·W + b, optionally y += relu(y·W1 + b1)·W2, then L2-normalised.
 * Matrices are row-major: W is [inDim, dim], W1 [dim, hidden], W2 [hidden, dim].
 */
export interface DenseHeadParams {
  kind: 'dense';
  inDim: number;
  dim: number;
  /** Fixed centring (from CCA); not trained. */
  mean: Float32Array;
  W: Float32Array;
  b: Float32Array;
  mlp?: { hidden: number; W1: Float32Array; b1: Float32Array; W2: Float32Array };
}

/**
 * The text head: an embedding bag over hashed feature ids. Row r of E (row-major [ids.length, dim])
 * is the embedding of hashed id `ids[r]`; ids never seen in training have no row and contribute nothing.
 */
export interface BagHeadParams {
  kind: 'bag';
  dim: number;
  ids: Uint32Array;
  E: Float32Array;
}

export type HeadParams = DenseHeadParams | BagHeadParams;

/** Both sides of a pair batch plus s, the log inverse temperature (logits = exp(s)·cos). */
export interface AlignParams {
  a: DenseHeadParams;
  b: HeadParams;
  logScale: number;
}

/** The static shape of a head: what a graph needs to know to be built once for a training run. */
export type HeadShape =
  | { kind: 'dense'; inDim: number; dim: number; hidden?: number }
  | { kind: 'bag'; dim: number };

export type Side = 'a' | 'b';

/** CLIP's initial temperature 0.07, and its cap: exp(s) never exceeds 100. */
export const INITIAL_LOG_SCALE = Math.log(1 / 0.07);
export const MAX_LOG_SCALE = Math.log(100);

/** One trainable tensor of a head, as the step graph names it (e.g. `a.W`, `b.E`). */
export interface ParamSlot {
  name: string;
  side: Side | 'scale';
  field: 'W' | 'b' | 'W1' | 'b1' | 'W2' | 'E' | 'logScale';
  /** Dims in the graph; for `E` the first dim is the batch's unique row count `U`. */
  dims: (number | string)[];
  /** Decoupled weight decay applies to matrices only, never to biases or s. */
  decay: boolean;
}

/**
 * The trainable tensors of a model shape, in graph order.
 *
 * @example
 * paramSlots({ kind: 'dense', inDim: 4, dim: 2 }, { kind: 'bag', dim: 2 }).map((s) => s.name)
 * // ['a.W', 'a.b', 'b.E', 'logScale']
 */
export function paramSlots(a: HeadShape, b: HeadShape, frozen: Partial<Record<Side, boolean>> = {}): ParamSlot[] {
  const slots: ParamSlot[] = [];
  for (const [side, shape] of [['a', a], ['b', b]] as const) {
    if (frozen[side]) continue;
    if (shape.kind === 'bag') {
      slots.push({ name: `${side}.E`, side, field: 'E', dims: ['U', shape.dim], decay: true });
      continue;
    }
    slots.push({ name: `${side}.W`, side, field: 'W', dims: [shape.inDim, shape.dim], decay: true });
    slots.push({ name: `${side}.b`, side, field: 'b', dims: [shape.dim], decay: false });
    if (shape.hidden) {
      slots.push({ name: `${side}.W1`, side, field: 'W1', dims: [shape.dim, shape.hidden], decay: true });
      slots.push({ name: `${side}.b1`, side, field: 'b1', dims: [shape.hidden], decay: false });
      slots.push({ name: `${side}.W2`, side, field: 'W2', dims: [shape.hidden, shape.dim], decay: true });
    }
  }
  slots.push({ name: 'logScale', side: 'scale', field: 'logScale', dims: [], decay: false });
  return slots;
}

export function shapeOf(head: HeadParams): HeadShape {
  if (head.kind === 'bag') return { kind: 'bag', dim: head.dim };
  return { kind: 'dense', inDim: head.inDim, dim: head.dim, ...(head.mlp ? { hidden: head.mlp.hidden } : {}) };
}

/** The array behind a slot (for `logScale`, a fresh 1-element array). */
export function readSlot(params: AlignParams, slot: ParamSlot): Float32Array {
  if (slot.field === 'logScale') return Float32Array.of(params.logScale);
  const head = params[slot.side as Side];
  if (head.kind === 'bag') return head.E;
  if (slot.field === 'W' || slot.field === 'b') return head[slot.field];
  if (!head.mlp) throw new RosettaError('INTERNAL', `head '${slot.side}' has no MLP for slot ${slot.name}`);
  return head.mlp[slot.field as 'W1' | 'b1' | 'W2'];
}

/** Replaces the array behind a slot (the step returns fresh arrays; nothing is copied). */
export function writeSlot(params: AlignParams, slot: ParamSlot, data: Float32Array): void {
  if (slot.field === 'logScale') {
    params.logScale = data[0];
    return;
  }
  const head = params[slot.side as Side];
  if (head.kind === 'bag') head.E = data;
  else if (slot.field === 'W' || slot.field === 'b') head[slot.field] = data;
  else if (head.mlp) head.mlp[slot.field as 'W1' | 'b1' | 'W2'] = data;
}

/**
 * A dense head initialised as the CCA map, with an optional residual MLP whose W2 is zero so the
 * head starts exactly as the CCA map. W1 is small random (seeded) so the MLP can start learning.
 *
 * @example
 * denseHead({ mean, W, b, inDim: 1280, dim: 256, hidden: 512, seed: 1 }).mlp?.W2.every((v) => v === 0) // true
 */
export function denseHead(init: {
  inDim: number;
  dim: number;
  /** Row-major [inDim, dim]; any numeric array (CCA's Float64 `Mat.data` works as is). */
  W: ArrayLike<number>;
  mean?: ArrayLike<number>;
  b?: ArrayLike<number>;
  hidden?: number;
  seed?: number;
}): DenseHeadParams {
  const { inDim, dim, hidden } = init;
  positiveInt('inDim', inDim);
  positiveInt('dim', dim);
  const head: DenseHeadParams = {
    kind: 'dense',
    inDim,
    dim,
    mean: init.mean ? Float32Array.from(init.mean) : new Float32Array(inDim),
    W: Float32Array.from(init.W),
    b: init.b ? Float32Array.from(init.b) : new Float32Array(dim),
  };
  if (hidden !== undefined && hidden > 0) {
    positiveInt('hidden', hidden);
    // He-style scale for a ReLU layer on unit-ish inputs.
    const W1 = gaussian(dim * hidden, init.seed ?? 1, Math.sqrt(2 / dim));
    head.mlp = { hidden, W1, b1: new Float32Array(hidden), W2: new Float32Array(hidden * dim) };
  }
  checkHead(head, 'head');
  return head;
}

/** A text bag head from the compacted vocabulary and its CCA-initialised rows (E = E_rsvd · B_text, [ids.length, dim]). */
export function bagHead(ids: ArrayLike<number>, E: ArrayLike<number>, dim: number): BagHeadParams {
  const head: BagHeadParams = { kind: 'bag', dim, ids: Uint32Array.from(ids), E: Float32Array.from(E) };
  checkHead(head, 'head');
  return head;
}

/** Hashed id -> row of E. */
export function bagRowIndex(head: BagHeadParams): Map<number, number> {
  const index = new Map<number, number>();
  head.ids.forEach((id, row) => index.set(id, row));
  return index;
}

/** Validates sizes; every mismatch names the tensor and both sizes. */
export function checkHead(head: HeadParams, name: string): void {
  positiveInt(`${name}.dim`, head.dim);
  if (head.kind === 'bag') {
    if (head.ids.length === 0) throw new RosettaError('INVALID_ARGUMENT', `${name}.ids is empty: the bag needs at least one row`);
    expectLength(`${name}.E`, head.E, head.ids.length * head.dim);
    if (new Set(head.ids).size !== head.ids.length) {
      throw new RosettaError('INVALID_ARGUMENT', `${name}.ids has duplicates: each hashed id needs exactly one row`);
    }
    return;
  }
  positiveInt(`${name}.inDim`, head.inDim);
  expectLength(`${name}.mean`, head.mean, head.inDim);
  expectLength(`${name}.W`, head.W, head.inDim * head.dim);
  expectLength(`${name}.b`, head.b, head.dim);
  if (head.mlp) {
    positiveInt(`${name}.mlp.hidden`, head.mlp.hidden);
    expectLength(`${name}.mlp.W1`, head.mlp.W1, head.dim * head.mlp.hidden);
    expectLength(`${name}.mlp.b1`, head.mlp.b1, head.mlp.hidden);
    expectLength(`${name}.mlp.W2`, head.mlp.W2, head.mlp.hidden * head.dim);
  }
}

export function checkParams(params: AlignParams): void {
  if (params.a.kind !== 'dense') throw new RosettaError('INVALID_ARGUMENT', `params.a must be a dense head; got '${params.a.kind}'`);
  checkHead(params.a, 'params.a');
  checkHead(params.b, 'params.b');
  if (params.a.dim !== params.b.dim) {
    throw new RosettaError(
      'DIMENSION_MISMATCH',
      `params.a has dim ${params.a.dim} but params.b has dim ${params.b.dim}; both heads must map into one space`,
    );
  }
  if (!Number.isFinite(params.logScale) || params.logScale > MAX_LOG_SCALE + 1e-6) {
    throw new RosettaError('INVALID_ARGUMENT', `params.logScale must be finite and <= log(100); got ${params.logScale}`);
  }
}

/** A deep copy (the early-stopping snapshot). */
export function cloneParams(params: AlignParams): AlignParams {
  return { a: cloneHead(params.a), b: cloneHead(params.b), logScale: params.logScale };
}

export function cloneHead<H extends HeadParams>(head: H): H {
  if (head.kind === 'bag') return { ...head, ids: head.ids.slice(), E: head.E.slice() };
  const h = head as DenseHeadParams;
  const out: DenseHeadParams = { ...h, mean: h.mean.slice(), W: h.W.slice(), b: h.b.slice() };
  if (h.mlp) out.mlp = { hidden: h.mlp.hidden, W1: h.mlp.W1.slice(), b1: h.mlp.b1.slice(), W2: h.mlp.W2.slice() };
  return out as H;
}

/** Deterministic N(0, sd²) values (mulberry32 + Box-Muller), so a seed names an initialisation. */
export function gaussian(count: number, seed: number, sd: number): Float32Array {
  const rand = mulberry32(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - rand()));
    const t = 2 * Math.PI * rand();
    out[i] = sd * r * Math.cos(t);
    if (i + 1 < count) out[i + 1] = sd * r * Math.sin(t);
  }
  return out;
}

function positiveInt(name: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0) {
    throw new RosettaError('INVALID_ARGUMENT', `${name} must be a positive integer; got ${value}`);
  }
}

function expectLength(name: string, data: Float32Array, length: number): void {
  if (!(data instanceof Float32Array)) throw new RosettaError('INVALID_ARGUMENT', `${name} must be a Float32Array`);
  if (data.length !== length) {
    throw new RosettaError('DIMENSION_MISMATCH', `${name} has ${data.length} values; expected ${length}`);
  }
  // One NaN from an initialiser would silently poison every step after it.
  const bad = data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new RosettaError('INVALID_ARGUMENT', `${name} has a non-finite value at ${bad} (${data[bad]})`);
}

export { mulberry32 } from '../random.ts';
