// One converter per Keras layer class, keyed by `class_name`. Inside the graph 4-D tensors are
// NCHW (what ONNX convolutions want); `shape` stays in Keras terms (channels last, no batch).
import { RosettaError } from '../errors.ts';
import { float, type GraphBuilder } from '../onnxgraph/index.ts';
import type { KerasLayer } from './topology.ts';
import type { KerasWeight } from './weights.ts';

export interface Tensor {
  /** ONNX value name. */
  value: string;
  /** Keras shape without the batch: [H, W, C] (stored NCHW in the graph) or [C]. */
  shape: number[];
}

export interface LayerContext {
  g: GraphBuilder;
  layer: KerasLayer;
  inputs: Tensor[];
  /** The layer's weight `<layer>/<suffix>`; throws if it is missing unless `optional`. */
  weight(suffix: string, optional?: boolean): KerasWeight | undefined;
}

export type LayerConverter = (ctx: LayerContext) => Tensor;

/** Keras layer classes this converter understands. */
export const layerConverters: Record<string, LayerConverter> = {
  ZeroPadding2D: zeroPadding2d,
  Conv2D: conv2d,
  DepthwiseConv2D: depthwiseConv2d,
  BatchNormalization: batchNorm,
  ReLU: relu,
  Activation: (ctx) => activation(ctx, one(ctx), str(ctx, 'activation')),
  Add: add,
  Concatenate: concatenate,
  MaxPooling2D: (ctx) => pool2d(ctx, 'MaxPool'),
  AveragePooling2D: (ctx) => pool2d(ctx, 'AveragePool'),
  GlobalAveragePooling2D: (ctx) => globalPool(ctx, 'GlobalAveragePool'),
  GlobalMaxPooling2D: (ctx) => globalPool(ctx, 'GlobalMaxPool'),
  Flatten: flatten,
  Dense: dense,
  // Inference only: dropout is the identity.
  Dropout: (ctx) => one(ctx),
};

function zeroPadding2d(ctx: LayerContext): Tensor {
  const x = rank3(ctx);
  const [[top, bottom], [left, right]] = paddingPairs(ctx);
  const pads = ctx.g.int64s(`${ctx.layer.name}_pads`, [0, 0, top, left, 0, 0, bottom, right]);
  const value = ctx.g.op('Pad', [x.value, pads], {}, ctx.layer.name);
  const [h, w, c] = x.shape;
  return { value, shape: [h + top + bottom, w + left + right, c] };
}

function conv2d(ctx: LayerContext): Tensor {
  const x = rank3(ctx);
  channelsLast(ctx);
  const groups = optNum(ctx, 'groups') ?? 1;
  const kernel = ctx.weight('kernel')!;
  const [kh, kw, cinPerGroup, filters] = kernel.shape;
  if (cinPerGroup * groups !== x.shape[2]) shapeError(ctx, `kernel expects ${cinPerGroup * groups} input channels, got ${x.shape[2]}`);
  // Keras [kh, kw, cin, cout] -> ONNX [cout, cin, kh, kw].
  const w = ctx.g.initializer(`${ctx.layer.name}_W`, permute(kernel.values, kernel.shape, [3, 2, 0, 1]), [filters, cinPerGroup, kh, kw]);
  return convCommon(ctx, x, w, filters, [kh, kw], groups);
}

function depthwiseConv2d(ctx: LayerContext): Tensor {
  const x = rank3(ctx);
  channelsLast(ctx);
  const kernel = ctx.weight('depthwise_kernel')!;
  const [kh, kw, cin, mult] = kernel.shape;
  if (cin !== x.shape[2]) shapeError(ctx, `kernel expects ${cin} channels, got ${x.shape[2]}`);
  // Keras [kh, kw, cin, mult] -> ONNX [cin * mult, 1, kh, kw]; output channel c * mult + m, as in TF.
  const w = ctx.g.initializer(`${ctx.layer.name}_W`, permute(kernel.values, kernel.shape, [2, 3, 0, 1]), [cin * mult, 1, kh, kw]);
  return convCommon(ctx, x, w, cin * mult, [kh, kw], cin);
}

function convCommon(ctx: LayerContext, x: Tensor, w: string, filters: number, kernel: [number, number], group: number): Tensor {
  const strides = pair(ctx, 'strides', 1);
  const dilations = pair(ctx, 'dilation_rate', 1);
  const padding = str(ctx, 'padding');
  const geo = windowGeometry(ctx, x.shape, kernel, strides, dilations, padding);
  const inputs = [x.value, w];
  if (ctx.layer.config.use_bias !== false) {
    const bias = ctx.weight('bias')!;
    inputs.push(ctx.g.initializer(`${ctx.layer.name}_B`, bias.values, [filters]));
  }
  const y = ctx.g.op('Conv', inputs, { kernel_shape: kernel, strides, dilations, pads: geo.pads, group }, ctx.layer.name);
  return activation(ctx, { value: y, shape: [geo.outH, geo.outW, filters] }, optStr(ctx, 'activation') ?? 'linear');
}

function batchNorm(ctx: LayerContext): Tensor {
  const x = one(ctx);
  const rank = x.shape.length + 1;
  const rawAxis = optNum(ctx, 'axis') ?? -1;
  const axis = rawAxis < 0 ? rank + rawAxis : rawAxis;
  if (axis !== rank - 1) unsupported(ctx, `axis ${ctx.layer.config.axis} (only the channel axis)`);
  const c = x.shape[x.shape.length - 1];
  const n = ctx.layer.name;
  const vec = (suffix: string, fallback: number): string => {
    const wt = ctx.weight(suffix, true);
    if (wt && wt.values.length !== c) shapeError(ctx, `${suffix} has ${wt.values.length} values for ${c} channels`);
    return ctx.g.initializer(`${n}_${suffix}`, wt ? wt.values : new Float32Array(c).fill(fallback), [c]);
  };
  if (ctx.layer.config.scale !== false && !ctx.weight('gamma', true)) shapeError(ctx, 'gamma is missing');
  if (ctx.layer.config.center !== false && !ctx.weight('beta', true)) shapeError(ctx, 'beta is missing');
  const inputs = [x.value, vec('gamma', 1), vec('beta', 0), vec('moving_mean', 0), vec('moving_variance', 1)];
  const epsilon = optNum(ctx, 'epsilon') ?? 1e-3;
  return { value: ctx.g.op('BatchNormalization', inputs, { epsilon: float(epsilon) }, n), shape: x.shape };
}

function relu(ctx: LayerContext): Tensor {
  const x = one(ctx);
  const maxValue = optNum(ctx, 'max_value');
  const slope = optNum(ctx, 'negative_slope') ?? 0;
  const threshold = optNum(ctx, 'threshold') ?? 0;
  if (threshold !== 0) unsupported(ctx, `threshold ${threshold}`);
  if (slope !== 0) {
    if (maxValue !== undefined) unsupported(ctx, 'negative_slope together with max_value');
    return { value: ctx.g.op('LeakyRelu', [x.value], { alpha: float(slope) }, ctx.layer.name), shape: x.shape };
  }
  if (maxValue === undefined) return { value: ctx.g.op('Relu', [x.value], {}, ctx.layer.name), shape: x.shape };
  return clip(ctx, x, 0, maxValue);
}

function clip(ctx: LayerContext, x: Tensor, lo: number, hi: number): Tensor {
  const n = ctx.layer.name;
  const value = ctx.g.op('Clip', [x.value, ctx.g.floats(`${n}_min`, [lo]), ctx.g.floats(`${n}_max`, [hi])], {}, n);
  return { value, shape: x.shape };
}

/** Applies a Keras activation by name (also used for the `activation` field of Conv2D/Dense). */
function activation(ctx: LayerContext, x: Tensor, name: string): Tensor {
  const simple: Record<string, string> = { relu: 'Relu', sigmoid: 'Sigmoid', tanh: 'Tanh', elu: 'Elu', softplus: 'Softplus' };
  const n = `${ctx.layer.name}_${name}`;
  if (name === 'linear') return x;
  if (name === 'relu6') return clip(ctx, x, 0, 6);
  if (simple[name]) return { value: ctx.g.op(simple[name], [x.value], {}, n), shape: x.shape };
  if (name === 'softmax') {
    // Keras softmax is over the last (channel) axis, which is axis 1 once 4-D tensors are NCHW.
    return { value: ctx.g.op('Softmax', [x.value], { axis: 1 }, n), shape: x.shape };
  }
  return unsupported(ctx, `activation '${name}'`);
}

function add(ctx: LayerContext): Tensor {
  if (ctx.inputs.length < 2) shapeError(ctx, `needs at least 2 inputs, got ${ctx.inputs.length}`);
  const [first, ...rest] = ctx.inputs;
  for (const t of rest) {
    if (t.shape.join() !== first.shape.join()) shapeError(ctx, `adds [${first.shape}] and [${t.shape}]`);
  }
  let value = first.value;
  for (const t of rest) value = ctx.g.op('Add', [value, t.value], {}, ctx.layer.name);
  return { value, shape: first.shape };
}

function concatenate(ctx: LayerContext): Tensor {
  const rank = ctx.inputs[0].shape.length;
  const kerasAxis = optNum(ctx, 'axis') ?? -1;
  const axis = kerasAxis < 0 ? rank + 1 + kerasAxis : kerasAxis;
  if (axis < 1 || axis > rank) shapeError(ctx, `axis ${kerasAxis} is out of range for rank ${rank + 1}`);
  // NHWC axis -> NCHW axis for 4-D; 2-D tensors keep theirs.
  const onnxAxis = rank === 3 ? [0, 2, 3, 1][axis] : axis;
  const shape = [...ctx.inputs[0].shape];
  shape[axis - 1] = 0;
  for (const t of ctx.inputs) {
    const mismatch = t.shape.some((d, i) => i !== axis - 1 && d !== ctx.inputs[0].shape[i]);
    if (t.shape.length !== rank || mismatch) shapeError(ctx, `cannot concatenate [${ctx.inputs[0].shape}] and [${t.shape}] on axis ${kerasAxis}`);
    shape[axis - 1] += t.shape[axis - 1];
  }
  return { value: ctx.g.op('Concat', ctx.inputs.map((t) => t.value), { axis: onnxAxis }, ctx.layer.name), shape };
}

function pool2d(ctx: LayerContext, op: 'MaxPool' | 'AveragePool'): Tensor {
  const x = rank3(ctx);
  channelsLast(ctx);
  const kernel = pair(ctx, 'pool_size', 2);
  const strides = ctx.layer.config.strides == null ? kernel : pair(ctx, 'strides', 1);
  const geo = windowGeometry(ctx, x.shape, kernel, strides, [1, 1], str(ctx, 'padding'));
  // TF's 'same' average pooling divides by the number of real pixels, i.e. count_include_pad=0
  // (ONNX's default); MaxPool ignores padded cells the way TF does.
  const value = ctx.g.op(op, [x.value], { kernel_shape: kernel, strides, pads: geo.pads }, ctx.layer.name);
  return { value, shape: [geo.outH, geo.outW, x.shape[2]] };
}

function globalPool(ctx: LayerContext, op: 'GlobalAveragePool' | 'GlobalMaxPool'): Tensor {
  const x = rank3(ctx);
  channelsLast(ctx);
  const pooled = ctx.g.op(op, [x.value], {}, ctx.layer.name);
  const c = x.shape[2];
  if (ctx.layer.config.keepdims === true) return { value: pooled, shape: [1, 1, c] };
  return { value: ctx.g.op('Flatten', [pooled], { axis: 1 }, `${ctx.layer.name}_flat`), shape: [c] };
}

function flatten(ctx: LayerContext): Tensor {
  const x = one(ctx);
  if (x.shape.length === 1) return x;
  // Keras flattens in channels-last order, so go back to NHWC first.
  const nhwc = ctx.g.op('Transpose', [x.value], { perm: [0, 2, 3, 1] }, `${ctx.layer.name}_nhwc`);
  return { value: ctx.g.op('Flatten', [nhwc], { axis: 1 }, ctx.layer.name), shape: [x.shape.reduce((a, b) => a * b, 1)] };
}

function dense(ctx: LayerContext): Tensor {
  const x = one(ctx);
  if (x.shape.length !== 1) unsupported(ctx, `input of rank ${x.shape.length + 1} (only [batch, features])`);
  const kernel = ctx.weight('kernel')!;
  const [inDim, units] = kernel.shape;
  if (inDim !== x.shape[0]) shapeError(ctx, `kernel expects ${inDim} features, got ${x.shape[0]}`);
  const inputs = [x.value, ctx.g.initializer(`${ctx.layer.name}_W`, kernel.values, [inDim, units])];
  if (ctx.layer.config.use_bias !== false) inputs.push(ctx.g.initializer(`${ctx.layer.name}_B`, ctx.weight('bias')!.values, [units]));
  const y = ctx.g.op('Gemm', inputs, {}, ctx.layer.name);
  return activation(ctx, { value: y, shape: [units] }, optStr(ctx, 'activation') ?? 'linear');
}

interface Geometry {
  pads: [number, number, number, number];
  outH: number;
  outW: number;
}

/**
 * Output size and explicit ONNX pads for a sliding window. TF's 'same' pads
 * `total = max((out - 1) * stride + effectiveKernel - in, 0)` with the odd pixel at the end
 * (bottom/right); ONNX's SAME_UPPER agrees, but explicit pads keep the graph free of auto_pad
 * corner cases and let us check shapes here.
 */
export function windowGeometry(
  ctx: Pick<LayerContext, 'layer'>,
  shape: readonly number[],
  kernel: readonly number[],
  strides: readonly number[],
  dilations: readonly number[],
  padding: string,
): Geometry {
  const dims = [0, 1].map((i) => {
    const input = shape[i];
    const effective = (kernel[i] - 1) * dilations[i] + 1;
    if (padding === 'valid') return { out: Math.floor((input - effective) / strides[i]) + 1, before: 0, after: 0 };
    if (padding === 'same') {
      const out = Math.ceil(input / strides[i]);
      const total = Math.max((out - 1) * strides[i] + effective - input, 0);
      return { out, before: Math.floor(total / 2), after: total - Math.floor(total / 2) };
    }
    return unsupported(ctx, `padding '${padding}'`);
  });
  const [h, w] = dims;
  if (h.out < 1 || w.out < 1) shapeError(ctx, `window ${kernel} does not fit input ${shape[0]}x${shape[1]}`);
  return { pads: [h.before, w.before, h.after, w.after], outH: h.out, outW: w.out };
}

/** Reorders a row-major tensor's axes: out axis i is input axis perm[i]. */
export function permute(values: Float32Array, shape: readonly number[], perm: readonly number[]): Float32Array {
  const outShape = perm.map((p) => shape[p]);
  const inStrides = stridesOf(shape);
  const permStrides = perm.map((p) => inStrides[p]);
  const out = new Float32Array(values.length);
  const idx = new Array<number>(shape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let d = 0; d < idx.length; d++) src += idx[d] * permStrides[d];
    out[o] = values[src];
    for (let d = idx.length - 1; d >= 0; d--) {
      if (++idx[d] < outShape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

function one(ctx: LayerContext): Tensor {
  if (ctx.inputs.length !== 1) shapeError(ctx, `expects 1 input, got ${ctx.inputs.length}`);
  return ctx.inputs[0];
}

function rank3(ctx: LayerContext): Tensor {
  const x = one(ctx);
  if (x.shape.length !== 3) shapeError(ctx, `expects a [batch, H, W, C] input, got [batch, ${x.shape}]`);
  return x;
}

function channelsLast(ctx: LayerContext): void {
  const f = ctx.layer.config.data_format;
  if (f !== undefined && f !== null && f !== 'channels_last') unsupported(ctx, `data_format '${String(f)}'`);
}

function paddingPairs(ctx: LayerContext): [[number, number], [number, number]] {
  const p = ctx.layer.config.padding;
  if (typeof p === 'number') return [[p, p], [p, p]];
  if (Array.isArray(p) && p.length === 2) {
    const [a, b] = p;
    if (typeof a === 'number' && typeof b === 'number') return [[a, a], [b, b]];
    if (Array.isArray(a) && Array.isArray(b)) return [[a[0], a[1]], [b[0], b[1]]];
  }
  return unsupported(ctx, `padding ${JSON.stringify(p)}`);
}

function pair(ctx: LayerContext, key: string, fallback: number): [number, number] {
  const v = ctx.layer.config[key];
  if (v === undefined || v === null) return [fallback, fallback];
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2 && v.every((n) => Number.isInteger(n))) return [v[0], v[1]];
  return unsupported(ctx, `${key} ${JSON.stringify(v)}`);
}

function optNum(ctx: LayerContext, key: string): number | undefined {
  const v = ctx.layer.config[key];
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v) && v.length === 1 && typeof v[0] === 'number') return v[0];
  if (typeof v !== 'number') return unsupported(ctx, `${key} ${JSON.stringify(v)}`);
  return v;
}

function optStr(ctx: LayerContext, key: string): string | undefined {
  const v = ctx.layer.config[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') return unsupported(ctx, `${key} ${JSON.stringify(v)}`);
  return v;
}

function str(ctx: LayerContext, key: string): string {
  return optStr(ctx, key) ?? unsupported(ctx, `missing ${key}`);
}

function unsupported(ctx: Pick<LayerContext, 'layer'>, what: string): never {
  throw new RosettaError(
    'MODEL_INVALID',
    `Keras layer '${ctx.layer.name}' (${ctx.layer.class_name}) has unsupported ${what}`,
  );
}

function shapeError(ctx: Pick<LayerContext, 'layer'>, what: string): never {
  throw new RosettaError('MODEL_INVALID', `Keras layer '${ctx.layer.name}' (${ctx.layer.class_name}): ${what}`);
}
