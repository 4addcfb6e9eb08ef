// The built-in image CNN: frozen ImageNet layers of the Keras models that nsfwjs ships,
// converted to ONNX once and cached. See "Image embedding choice" in models/README.md.
import { createHash } from 'node:crypto';
import { access, mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RosettaError } from '../errors.ts';
import {
  CONVERTER_VERSION,
  convertKerasModel,
  decodeWeights,
  hashTfjsModelDir,
  loadTfjsArtifacts,
  nsfwjsModelDir,
  type NsfwjsModel,
  type PixelScaling,
  type Pooling,
} from '../keras/index.ts';
import type { EncoderIdentity } from '../types.ts';
import type { ImageRecipe } from './recipe.ts';

export interface BackboneVariant {
  id: string;
  model: NsfwjsModel;
  /** Keras layer pooled into the embedding; always one whose weights nsfwjs kept frozen (ImageNet). */
  layer: string;
  pool: Pooling;
  dim: number;
  recipe: ImageRecipe;
  isDefault: boolean;
  /** Measured on the OpenMoji split (models/keras/study.ts): what it is good for and what it costs. */
  note: string;
}

export interface ImageBackbone {
  /** The cached ONNX file. */
  modelPath: string;
  /** NHWC uint8 [N, size, size, 3]: RGB pixels, resized by `recipe`; its scale, mean and std are applied inside the model. */
  inputName: string;
  /** float32 [N, dim], not normalised. */
  outputName: string;
  dim: number;
  recipe: ImageRecipe;
  identity: EncoderIdentity;
}

// Keras applications train MobileNetV2 and InceptionV3 on x/127.5 - 1, i.e. (x/255 - 0.5)/0.5.
// (nsfwjs feeds x/255 to its retrained head; for the chosen layer the two score within 0.1 points,
// so we keep the range these ImageNet layers were trained on.) 'squash' and bilinear match how
// nsfwjs resizes (tf.image.resizeBilinear to size x size) and keep the whole picture.
const imagenetTf = (size: number): ImageRecipe => ({
  size,
  resize: 'squash',
  kernel: 'linear',
  layout: 'NHWC',
  scale: 1,
  mean: [0.5, 0.5, 0.5],
  std: [0.5, 0.5, 0.5],
});

// Scores are the mean of line-art->colour R@1 and R@10, colour->subgroup P@10 and
// skin-tone->base R@10 on the OpenMoji split; cost is CPU-ms per 224-px image (see the README).
const variants: readonly BackboneVariant[] = [
  {
    id: 'mobilenet_v2.block_10_depthwise_relu.max',
    model: 'mobilenet_v2',
    layer: 'block_10_depthwise_relu',
    pool: 'max',
    dim: 384,
    recipe: imagenetTf(224),
    isDefault: true,
    note: 'deepest non-linear frozen layer, global max: best measured score (69.3), 8.6 CPU-ms/image',
  },
  {
    id: 'mobilenet_v2.block_10_depthwise_relu.avgmax',
    model: 'mobilenet_v2',
    layer: 'block_10_depthwise_relu',
    pool: 'avgmax',
    dim: 768,
    recipe: imagenetTf(224),
    isDefault: false,
    note: 'same layer, [average, max]: ties the default on emoji (68.9) and keeps average statistics, at twice the width',
  },
  {
    id: 'mobilenet_v2.block_10_project_BN.max',
    model: 'mobilenet_v2',
    layer: 'block_10_project_BN',
    pool: 'max',
    dim: 96,
    recipe: imagenetTf(224),
    isDefault: false,
    note: 'compact linear bottleneck (96 values), score 65.1, same cost',
  },
];

/**
 * The embeddings this module can build; exactly one has `isDefault`.
 *
 * @example
 * listBackboneVariants().find((v) => v.isDefault)?.id // 'mobilenet_v2.block_10_depthwise_relu.max'
 */
export function listBackboneVariants(): readonly BackboneVariant[] {
  return variants;
}

export const defaultCacheDir = fileURLToPath(new URL('../cache/', import.meta.url));

/**
 * Converts the chosen variant to ONNX unless a cached copy exists, and says how to use it.
 * The cache file name carries a hash of the source weights, the converter version and the
 * variant, so any change produces a new file instead of a stale one.
 *
 * @example
 * const b = await ensureImageBackbone();
 * // { modelPath: '.../models/cache/image-mobilenet_v2.block_10_depthwise_relu.max-0e8607b7ff68755f.onnx',
 * //   inputName: 'image', outputName: 'embedding', dim: 384, recipe: { size: 224, ... },
 * //   identity: { name: 'image-cnn/mobilenet_v2.block_10_depthwise_relu.max', version: 'keras2onnx-1+dcd90fb1', weightsHash: '8277456a14f3...' } }
 */
export async function ensureImageBackbone(options: { cacheDir?: string; variant?: string } = {}): Promise<ImageBackbone> {
  const { variant, cacheDir, sourceDir, weightsHash, key, modelPath } = await locateBackbone(options);

  if (!(await exists(modelPath))) {
    const artifacts = await loadTfjsArtifacts(sourceDir);
    const converted = convertKerasModel(artifacts.modelTopology, decodeWeights(artifacts.weightSpecs, artifacts.weightData), {
      outputs: [{ name: 'embedding', layer: variant.layer, pool: variant.pool }],
      inputName: 'image',
      inputSize: [variant.recipe.size, variant.recipe.size],
      pixelInput: pixelScaling(variant.recipe),
      metadata: { variant: variant.id, weightsHash, cacheKey: key },
    });
    const dim = converted.outputs[0].dims[1];
    if (dim !== variant.dim) {
      throw new RosettaError('MODEL_INVALID', `variant '${variant.id}' should give ${variant.dim} values per image; the converted model gives ${dim}`);
    }
    try {
      await mkdir(cacheDir, { recursive: true });
      // Write then rename: a crash or a second process never leaves a half-written model behind.
      const partial = `${modelPath}.${process.pid}.partial`;
      await writeFile(partial, converted.bytes);
      await rename(partial, modelPath);
    } catch (err) {
      throw new RosettaError('INTERNAL', `cannot write the image model to ${cacheDir}: ${(err as Error).message}`, { cause: err });
    }
  }
  return {
    modelPath,
    inputName: 'image',
    outputName: 'embedding',
    dim: variant.dim,
    recipe: variant.recipe,
    // The recipe changes the vectors without changing the file, so it is part of the version.
    // Scaling the pixels inside the model (pixelInput) did not change the identity: its vectors
    // are the float-input model's, bit for bit (backbone.test.ts).
    identity: { name: `image-cnn/${variant.id}`, version: `${CONVERTER_VERSION}+${recipeDigest(variant.recipe)}`, weightsHash },
  };
}

/**
 * Where the chosen variant's ONNX file lives (whether or not it has been converted yet).
 *
 * @example
 * const { modelPath, variant } = await locateBackbone(); // no conversion, reads the weights to hash them
 */
export async function locateBackbone(options: { cacheDir?: string; variant?: string } = {}) {
  const variant = findVariant(options.variant);
  const cacheDir = options.cacheDir ?? defaultCacheDir;
  const sourceDir = nsfwjsModelDir(variant.model);
  const weightsHash = await hashTfjsModelDir(sourceDir);
  const spec = { converter: CONVERTER_VERSION, weightsHash, layer: variant.layer, pool: variant.pool, size: variant.recipe.size, input: 'uint8, (x * scale - 255 * mean) / (255 * std) after the NCHW transpose' };
  const key = createHash('sha256').update(JSON.stringify(spec)).digest('hex');
  const modelPath = path.join(cacheDir, `image-${variant.id}-${key.slice(0, 16)}.onnx`);
  return { variant, cacheDir, sourceDir, weightsHash, key, modelPath, name: `image-cnn/${variant.id}` };
}

/**
 * The recipe's `((v / 255) * scale - mean) / std` as the model computes it from uint8 pixels:
 * `(v * scale - 255 * mean) / (255 * std)`, the same value with one rounding.
 */
export function pixelScaling(recipe: ImageRecipe): PixelScaling {
  return {
    multiply: recipe.std.map(() => recipe.scale),
    subtract: recipe.mean.map((mean) => 255 * mean),
    divide: recipe.std.map((std) => 255 * std),
  };
}

function recipeDigest(recipe: ImageRecipe): string {
  return createHash('sha256').update(JSON.stringify(recipe)).digest('hex').slice(0, 8);
}

function findVariant(id: string | undefined): BackboneVariant {
  const found = id === undefined ? variants.find((v) => v.isDefault) : variants.find((v) => v.id === id);
  if (!found) {
    throw new RosettaError('INVALID_ARGUMENT', `image backbone variant must be one of ${variants.map((v) => v.id).join(', ')}; got '${id}'`);
  }
  return found;
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
