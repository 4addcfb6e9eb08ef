// Keras functional model (TF.js layers format) -> ONNX, for inference with onnxruntime.
import { RosettaError } from '../errors.ts';
import { GraphBuilder, type Dim } from '../onnxgraph/index.ts';
import { layerConverters, type Tensor } from './layers.ts';
import { poolHead, type Pooling } from './pooling.ts';
import { layersNeededFor, layersOf, type KerasModelTopology } from './topology.ts';
import type { KerasWeight } from './weights.ts';

/** Bump when the converter's output for the same weights changes; caches key on it. */
export const CONVERTER_VERSION = 'keras2onnx-1';

export interface OutputSpec {
  /** ONNX output name. */
  name: string;
  /** Keras layer whose output is pooled. */
  layer: string;
  pool: Pooling;
  /** GeM power (pool 'gem'); default 3. */
  gemP?: number;
}

/** Per channel: (x * multiply[c] - subtract[c]) / divide[c]. */
export interface PixelScaling {
  multiply: readonly number[];
  subtract: readonly number[];
  divide: readonly number[];
}

export interface ConvertOptions {
  outputs: readonly OutputSpec[];
  /** ONNX input name; default 'image'. */
  inputName?: string;
  /** Input height and width; default the Keras model's own. Every window and pad is fixed from it. */
  inputSize?: [number, number];
  opset?: number;
  metadata?: Record<string, string>;
  /**
   * Take 8-bit pixels instead of floats: the input becomes NHWC uint8 and the graph computes
   * `(x * multiply[c] - subtract[c]) / divide[c]` per channel before the first layer. Callers
   * then send a quarter of the bytes and skip a per-pixel pass in JavaScript. With multiply 1
   * and a subtract that float32 holds exactly (e.g. 127.5), only the division rounds.
   */
  pixelInput?: PixelScaling;
}

export interface ConvertedModel {
  bytes: Uint8Array;
  inputName: string;
  /** `['N', H, W, C]`: NHWC, float32 (uint8 with `pixelInput`), batch dynamic. */
  inputDims: Dim[];
  outputs: (OutputSpec & { dims: Dim[] })[];
  /** Keras layers converted (those the outputs depend on). */
  layerCount: number;
}

/**
 * Converts the part of a Keras model that the requested outputs need. The ONNX model takes
 * `image` as NHWC float32, or uint8 with `pixelInput` (transposed to NCHW once inside), and returns one pooled tensor per
 * output. Layers outside that part are never looked at, so an unsupported head does not matter.
 *
 * @example
 * const m = convertKerasModel(a.modelTopology, decodeWeights(a.weightSpecs, a.weightData), {
 *   outputs: [{ name: 'embedding', layer: 'block_10_expand_relu', pool: 'gem' }],
 * });
 * m.outputs[0].dims // ['N', 384]
 */
export function convertKerasModel(
  topology: KerasModelTopology,
  weights: ReadonlyMap<string, KerasWeight>,
  options: ConvertOptions,
): ConvertedModel {
  if (options.outputs.length === 0) {
    throw new RosettaError('INVALID_ARGUMENT', 'options.outputs must name at least one layer');
  }
  const layers = layersOf(topology);
  const needed = layersNeededFor(
    layers,
    options.outputs.map((o) => o.layer),
  );
  const unknown = needed.filter((l) => l.class_name !== 'InputLayer' && !(l.class_name in layerConverters));
  if (unknown.length > 0) {
    throw new RosettaError(
      'MODEL_INVALID',
      `Keras layer class ${[...new Set(unknown.map((l) => `'${l.class_name}'`))].join(', ')} is not supported ` +
        `(layer ${unknown.map((l) => `'${l.name}'`).join(', ')}); supported: ${Object.keys(layerConverters).join(', ')}`,
    );
  }

  const g = new GraphBuilder(topology.model_config.config.name ?? 'keras', {
    opset: options.opset ?? 17,
    producer: `rosetta ${CONVERTER_VERSION}`,
    metadata: { converter: CONVERTER_VERSION, ...options.metadata },
  });
  const inputName = options.inputName ?? 'image';
  const tensors = new Map<string, Tensor>();
  let inputDims: Dim[] | undefined;

  for (const layer of needed) {
    if (layer.class_name === 'InputLayer') {
      if (inputDims) throw new RosettaError('MODEL_INVALID', 'models with several inputs are not supported');
      const declared = layer.config.batch_input_shape as (number | null)[] | undefined;
      if (!Array.isArray(declared) || declared.length !== 4 || typeof declared[3] !== 'number') {
        throw new RosettaError('MODEL_INVALID', `input layer '${layer.name}' must be [batch, H, W, C]; got ${JSON.stringify(declared)}`);
      }
      const [h, w] = options.inputSize ?? [declared[1], declared[2]];
      if (!Number.isInteger(h) || !Number.isInteger(w) || (h as number) < 1 || (w as number) < 1) {
        throw new RosettaError('INVALID_ARGUMENT', `inputSize must be two positive integers; got ${h}x${w}`);
      }
      const c = declared[3];
      inputDims = ['N', h as number, w as number, c];
      const input = g.input(inputName, options.pixelInput ? 'uint8' : 'float32', inputDims);
      const transposed = g.op('Transpose', [input], { perm: [0, 3, 1, 2] }, 'to_nchw');
      const nchw = options.pixelInput ? scaledPixels(g, transposed, c, options.pixelInput) : transposed;
      tensors.set(layer.name, { value: nchw, shape: [h as number, w as number, c] });
      continue;
    }
    const inputs = (layer.inbound_nodes[0] ?? []).map(([name]) => tensors.get(name)!);
    const out = layerConverters[layer.class_name]({
      g,
      layer,
      inputs,
      weight: (suffix, optional) => {
        const found = weights.get(`${layer.name}/${suffix}`);
        if (!found && !optional) {
          throw new RosettaError('MODEL_INVALID', `weight '${layer.name}/${suffix}' is missing from the weights manifest`);
        }
        return found;
      },
    });
    tensors.set(layer.name, out);
  }
  if (!inputDims) throw new RosettaError('MODEL_INVALID', 'the requested layers do not depend on an InputLayer');

  const outputs = options.outputs.map((spec) => {
    const pooled = poolHead(g, tensors.get(spec.layer)!, spec.pool, spec.name, spec.gemP);
    const dims: Dim[] = ['N', ...pooled.shape];
    g.output(pooled.value, 'float32', dims, spec.name);
    return { ...spec, dims };
  });
  return { bytes: g.serialize(), inputName, inputDims, outputs, layerCount: needed.length };
}

/**
 * NCHW uint8 pixels as floats, (x * multiply[c] - subtract[c]) / divide[c]. Scaled after the
 * transpose, not before: in front of it the model ran 25 % slower on ORT's CPU provider (6.9
 * against 5.5 ms per image), as if the transpose could then no longer be folded into the first
 * convolution. A division, not a multiplication by the inverse: for the built-in recipe,
 * (x - 127.5) / 127.5 rounds once and gives the float32 that JavaScript's
 * ((x / 255) - 0.5) / 0.5 gives, for every x (backbone.test.ts).
 */
function scaledPixels(g: GraphBuilder, pixels: string, channels: number, scaling: PixelScaling): string {
  for (const [what, values] of Object.entries(scaling) as [string, readonly number[]][]) {
    if (values.length !== channels || !values.every(Number.isFinite) || (what === 'divide' && values.includes(0))) {
      throw new RosettaError('INVALID_ARGUMENT', `pixelInput.${what} must hold ${channels} finite numbers (one per channel${what === 'divide' ? ', none 0' : ''}); got [${values.join(', ')}]`);
    }
  }
  const floats = g.op('Cast', [pixels], { to: 1 }, 'pixels_to_float');
  const perChannel = (name: string, values: readonly number[]) => g.floats(name, values, [1, channels, 1, 1]);
  const shifted = g.op('Sub', [g.op('Mul', [floats, perChannel('pixel_multiply', scaling.multiply)]), perChannel('pixel_subtract', scaling.subtract)]);
  return g.op('Div', [shifted, perChannel('pixel_divide', scaling.divide)], {}, 'scaled_pixels');
}
