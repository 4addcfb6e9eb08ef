// The converted ONNX graphs against the original Keras models run by TF.js (pure-JS CPU backend),
// on a seeded random image and a real OpenMoji rendering, for every layer the image backbone
// exposes. ROSETTA_SLOW_TESTS=1 checks InceptionV3 at its native 299 px instead of 107 (~90 s).
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { isRosettaError } from '../models/errors.ts';
import { listBackboneVariants } from '../models/image/backbone.ts';
import {
  GEM_EPS,
  convertKerasModel,
  decodeWeights,
  layersNeededFor,
  layersOf,
  loadTfjsArtifacts,
  nsfwjsModelDir,
  type KerasModelTopology,
  type NsfwjsModel,
  type OutputSpec,
  type Pooling,
  type TfjsArtifacts,
  type WeightSpec,
} from '../models/keras/index.ts';
import { OnnxSession } from '../models/runtime/index.ts';

const ATOL = 1e-4;
const slow = process.env.ROSETTA_SLOW_TESTS === '1';

/** The part of the model the targets need, at `size` px, with only the weights it uses (TF.js loads strictly). */
function truncate(a: TfjsArtifacts, targets: string[], size: number): { topology: KerasModelTopology; specs: WeightSpec[]; data: Uint8Array } {
  const needed = layersNeededFor(layersOf(a.modelTopology), targets);
  const names = new Set(needed.map((l) => l.name));
  const layers = structuredClone(needed);
  for (const l of layers) if (l.class_name === 'InputLayer') (l.config.batch_input_shape as number[]).splice(1, 2, size, size);
  const topology = structuredClone(a.modelTopology);
  topology.model_config.config.layers = layers;
  topology.model_config.config.output_layers = targets.map((t) => [t, 0, 0]);
  const specs: WeightSpec[] = [];
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const spec of a.weightSpecs) {
    const bytes = spec.shape.reduce((x, y) => x * y, 1) * ({ uint8: 1, uint16: 2, float16: 2 }[spec.quantization?.dtype ?? ''] ?? 4);
    if (names.has(spec.name.split('/')[0])) {
      specs.push(spec);
      chunks.push(a.weightData.subarray(offset, offset + bytes));
    }
    offset += bytes;
  }
  const data = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  chunks.reduce((o, c) => (data.set(c, o), o + c.length), 0);
  return { topology, specs, data };
}

/** Deterministic pseudo-random numbers in [-1, 1) (mulberry32). */
function seeded(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  });
}

/** OpenMoji 1F98A (fox) in colour, rendered at `size` px on white and scaled to [-1, 1]. */
async function openmoji(size: number): Promise<Float32Array> {
  const file = createRequire(import.meta.url).resolve('openmoji/color/svg/1F98A.svg');
  const { data } = await sharp(await readFile(file), { density: size })
    .flatten({ background: '#ffffff' })
    .resize(size, size, { fit: 'contain', background: '#ffffff' })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return Float32Array.from(data, (v) => v / 127.5 - 1);
}

function tfPool(x: tf.Tensor4D, pool: Pooling): tf.Tensor {
  if (pool === 'avg') return x.mean([1, 2]);
  if (pool === 'max') return x.max([1, 2]);
  if (pool === 'gem') return x.clipByValue(GEM_EPS, Infinity).pow(3).mean([1, 2]).pow(1 / 3);
  if (pool === 'avgmax') return tf.concat([x.mean([1, 2]), x.max([1, 2])], 1);
  return x;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

interface Case {
  model: NsfwjsModel;
  size: number;
  /** Layers compared raw and pooled. */
  pooled: { layer: string; pool: Pooling }[];
  /** Layers compared raw only. */
  raw: string[];
}

const exposed = listBackboneVariants().map((v) => ({ layer: v.layer, pool: v.pool }));
const cases: Case[] = [
  // Every layer and pooling the image backbone exposes, at its own size, plus the classifier head,
  // which exercises the rest of the converter (Flatten, Dense, Dropout, AveragePooling2D, softmax).
  { model: 'mobilenet_v2', size: 224, pooled: exposed, raw: ['dense_3'] },
  // InceptionV3 is not exposed (no better than MobileNetV2 at 8x the cost) but keeps Concatenate,
  // MaxPooling2D, 'same' AveragePooling2D and gamma-less BatchNormalization honest. At 107 px the
  // pure-JS run takes seconds instead of minutes, and maps of both parities occur.
  { model: 'inception_v3', size: slow ? 299 : 107, pooled: [{ layer: 'mixed5', pool: 'max' }], raw: ['mixed2'] },
];

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe.each(cases)('$model at $size px matches TF.js', ({ model, size, pooled, raw }) => {
  const diffs: Record<string, number> = {};

  it(`within ${ATOL} on every checked layer, raw and pooled`, async () => {
    const a = await loadTfjsArtifacts(nsfwjsModelDir(model));
    const targets = [...new Set([...pooled.map((p) => p.layer), ...raw])];
    const cut = truncate(a, targets, size);
    const tfModel = await tf.loadLayersModel({
      load: async () => ({
        modelTopology: cut.topology as unknown as tf.io.ModelArtifacts['modelTopology'],
        weightSpecs: cut.specs as tf.io.WeightsManifestEntry[],
        weightData: cut.data.slice().buffer,
      }),
    });
    const px = size * size * 3;
    const input = new Float32Array(2 * px);
    input.set(seeded(px, 42));
    input.set(await openmoji(size), px);

    const outputs: OutputSpec[] = [
      ...targets.map((layer) => ({ name: `${layer}.none`, layer, pool: 'none' as const })),
      ...pooled.map((p) => ({ name: `${p.layer}.${p.pool}`, layer: p.layer, pool: p.pool })),
    ];
    const converted = convertKerasModel(a.modelTopology, decodeWeights(a.weightSpecs, a.weightData), {
      outputs,
      inputSize: [size, size],
    });
    const session = await OnnxSession.create(converted.bytes);
    const onnxOut = await session.run({ image: { data: input, dims: [2, size, size, 3] } });
    await session.close();

    const tfOut = tf.tidy(() => {
      const raw = tfModel.predict(tf.tensor4d(input, [2, size, size, 3])) as tf.Tensor | tf.Tensor[];
      const byLayer = new Map(targets.map((t, i) => [t, Array.isArray(raw) ? raw[i] : raw]));
      return outputs.map((o) => tfPool(byLayer.get(o.layer) as tf.Tensor4D, o.pool).dataSync());
    });
    tfModel.dispose();

    outputs.forEach((o, i) => {
      expect(onnxOut[o.name].dims.slice(1)).toEqual(converted.outputs[i].dims.slice(1));
      diffs[o.name] = maxAbsDiff(onnxOut[o.name].data, tfOut[i]);
    });
    console.log(`${model} ${size}px max |onnx - tfjs|:`, Object.entries(diffs).map(([k, d]) => `${k} ${d.toExponential(2)}`).join(', '));
    for (const [name, d] of Object.entries(diffs)) expect(d, name).toBeLessThanOrEqual(ATOL);
  }, slow ? 900_000 : undefined);
});

describe('converted model shapes', () => {
  let a: TfjsArtifacts;
  beforeAll(async () => {
    a = await loadTfjsArtifacts(nsfwjsModelDir('mobilenet_v2'));
  });

  it('declares NHWC input with a dynamic batch and pooled outputs of the layer width', () => {
    const m = convertKerasModel(a.modelTopology, decodeWeights(a.weightSpecs, a.weightData), {
      outputs: [
        { name: 'gem', layer: 'block_10_depthwise_relu', pool: 'gem' },
        { name: 'avgmax', layer: 'block_10_depthwise_relu', pool: 'avgmax' },
        { name: 'map', layer: 'block_6_expand_relu', pool: 'none' },
      ],
    });
    expect(m.inputDims).toEqual(['N', 224, 224, 3]);
    expect(m.outputs.map((o) => o.dims)).toEqual([['N', 384], ['N', 768], ['N', 28, 28, 192]]);
  });

  it('runs at another input size, with shapes onnxruntime agrees with', async () => {
    const m = convertKerasModel(a.modelTopology, decodeWeights(a.weightSpecs, a.weightData), {
      outputs: [{ name: 'map', layer: 'block_10_project_BN', pool: 'none' }],
      inputSize: [97, 130],
    });
    // Four stride-2 stages, each a fixed [[0,1],[0,1]] pad then a valid 3x3: n -> floor((n - 2) / 2) + 1.
    expect(m.outputs[0].dims).toEqual(['N', 6, 8, 96]);
    const session = await OnnxSession.create(m.bytes);
    const out = await session.run({ image: { data: seeded(97 * 130 * 3, 1), dims: [1, 97, 130, 3] } });
    await session.close();
    expect(out.map.dims).toEqual([1, 6, 8, 96]);
  });

  it('rejects an unknown layer class in the part being converted, naming the layer', () => {
    const topology = structuredClone(a.modelTopology);
    const layer = topology.model_config.config.layers.find((l) => l.name === 'block_3_expand')!;
    layer.class_name = 'SeparableConv2D';
    const weights = decodeWeights(a.weightSpecs, a.weightData);
    const err = (() => {
      try {
        convertKerasModel(topology, weights, { outputs: [{ name: 'e', layer: 'block_5_add', pool: 'avg' }] });
      } catch (e) {
        return e;
      }
    })();
    expect(isRosettaError(err, 'MODEL_INVALID')).toBe(true);
    expect((err as Error).message).toMatch(/'SeparableConv2D' is not supported \(layer 'block_3_expand'\)/);
    // Layers past the requested output are never converted, so they cannot fail it.
    expect(() => convertKerasModel(topology, weights, { outputs: [{ name: 'e', layer: 'block_2_add', pool: 'avg' }] })).not.toThrow();
  });
});
