import os from 'node:os';
import pLimit from 'p-limit';
import { RosettaError } from '../errors.ts';
import { OnnxSession, type Device } from '../runtime/index.ts';
import type { EncoderIdentity, MediaInput, Modality, StagedEncoder } from '../types.ts';
import type { ImageRecipe } from '../image/recipe.ts';
import { l2normalize } from '../vectors.ts';

/** What a CNN encoder needs to know about its ONNX model. */
export interface CnnModel {
  modelPath: string;
  /** NHWC uint8 [N, size, size, 3]: the model scales its own pixels (see ImageBackbone). */
  inputName: string;
  outputName: string;
  dim: number;
  recipe: ImageRecipe;
  identity: EncoderIdentity;
}

type VisualModality = Extract<Modality, 'image' | 'sketch'>;
/** A file to recipe.size x recipe.size RGB bytes, row-major. */
type Preprocess = (input: MediaInput, recipe: ImageRecipe) => Promise<Uint8Array>;

export interface CnnEncoderOptions {
  device?: Device;
  identity?: EncoderIdentity;
  intraOpThreads?: number;
  /**
   * Files prepared at once; more wait their turn (Infinity: no limit). Default: the cores the
   * network leaves free (at least 1). Each sharp decode runs on its own threads, and on 2 cores
   * four of them at once took CPU from the network's thread: end to end 91 images/s against 97
   * with one (bare network 126/s, same run). See decodeSlotsFor in registry.ts for sketches.
   */
  decodeSlots?: number;
}

/** The cores the network leaves free, at least 1: how many files an encoder decodes at once by default. */
export function defaultDecodeSlots(intraOpThreads = 1): number {
  return Math.max(1, os.availableParallelism() - intraOpThreads);
}

/**
 * An image or sketch encoder over one ONNX session: `prepare` turns a file into the model's
 * input pixels (the step that can fail per file), `run` stacks a batch and runs the network.
 *
 * The model takes 8-bit pixels and scales them itself: a batch of 16 is 2.4 MB to move to the
 * worker instead of 9.6 MB of floats, and the per-pixel scaling leaves the main thread, which
 * also decodes the next batch.
 *
 * @example
 * const enc = await createCnnEncoder('image', model, imageToPixels);
 * const [row] = await enc.encode([{ name: 'cat.jpg', data }]); // Float32Array(model.dim), unit length
 */
export async function createCnnEncoder<M extends VisualModality>(
  modality: M,
  model: CnnModel,
  preprocess: Preprocess,
  options: CnnEncoderOptions = {},
): Promise<StagedEncoder<M, Uint8Array>> {
  const intraOpThreads = options.intraOpThreads ?? 1;
  const session = await OnnxSession.create(model.modelPath, {
    device: options.device ?? 'cpu',
    expectInputs: [model.inputName],
    expectOutputs: [model.outputName],
    // One inference thread, off the main thread: decoding the next batch (sharp) takes the other
    // core meanwhile. Measured on 2 cores: 80 images/s end to end against 66 with two threads.
    intraOpThreads,
    thread: 'worker',
  });
  const size = model.recipe.size;
  const perImage = size * size * 3;
  const decode = pLimit(options.decodeSlots ?? defaultDecodeSlots(intraOpThreads));

  const prepare = (input: MediaInput) => decode(() => preprocess(input, model.recipe));
  const run = async (batch: Uint8Array[]): Promise<Float32Array[]> => {
    if (batch.length === 0) return [];
    const stacked = new Uint8Array(perImage * batch.length);
    batch.forEach((pixels, i) => {
      if (pixels.length !== perImage) throw new RosettaError('INTERNAL', `a prepared ${modality} holds ${pixels.length} bytes, not ${size}x${size}x3`);
      stacked.set(pixels, i * perImage);
    });
    const out = await session.run({ [model.inputName]: { data: stacked, dims: [batch.length, size, size, 3], transfer: true } }, [
      model.outputName,
    ]);
    const { data } = out[model.outputName];
    return batch.map((_, i) => l2normalize(data.slice(i * model.dim, (i + 1) * model.dim)));
  };

  return {
    modality,
    kind: 'dense',
    dim: model.dim,
    identity: options.identity ?? model.identity,
    prepare,
    run,
    encode: async (inputs) => run(await Promise.all(inputs.map(prepare))),
    close: () => session.close(),
  };
}
