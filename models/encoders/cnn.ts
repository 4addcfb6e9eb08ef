import { OnnxSession, type Device } from '../runtime/index.ts';
import type { EncoderIdentity, MediaInput, Modality, StagedEncoder } from '../types.ts';
import type { ImageRecipe } from '../image/recipe.ts';
import { l2normalize } from '../vectors.ts';

/** What a CNN encoder needs to know about its ONNX model. */
export interface CnnModel {
  modelPath: string;
  inputName: string;
  outputName: string;
  dim: number;
  recipe: ImageRecipe;
  identity: EncoderIdentity;
}

type VisualModality = Extract<Modality, 'image' | 'sketch'>;
type Preprocess = (input: MediaInput, recipe: ImageRecipe) => Promise<Float32Array>;

/**
 * An image or sketch encoder over one ONNX session: `prepare` turns a file into the model's
 * input tensor (the step that can fail per file), `run` stacks a batch and runs the network.
 *
 * @example
 * const enc = await createCnnEncoder('image', model, imageToTensor);
 * const [row] = await enc.encode([{ name: 'cat.jpg', data }]); // Float32Array(model.dim), unit length
 */
export async function createCnnEncoder<M extends VisualModality>(
  modality: M,
  model: CnnModel,
  preprocess: Preprocess,
  options: { device?: Device; identity?: EncoderIdentity; intraOpThreads?: number } = {},
): Promise<StagedEncoder<M, Float32Array>> {
  const session = await OnnxSession.create(model.modelPath, {
    device: options.device ?? 'cpu',
    expectInputs: [model.inputName],
    expectOutputs: [model.outputName],
    // One inference thread, off the main thread: decoding the next batch (sharp) takes the other
    // core meanwhile. Measured on 2 cores: 80 images/s end to end against 66 with two threads.
    intraOpThreads: options.intraOpThreads ?? 1,
    thread: 'worker',
  });
  const size = model.recipe.size;
  const dims = (n: number) =>
    model.recipe.layout === 'NHWC' ? [n, size, size, 3] : [n, 3, size, size];

  const prepare = (input: MediaInput) => preprocess(input, model.recipe);
  const run = async (batch: Float32Array[]): Promise<Float32Array[]> => {
    if (batch.length === 0) return [];
    const per = batch[0].length;
    const stacked = new Float32Array(per * batch.length);
    batch.forEach((t, i) => stacked.set(t, i * per));
    const out = await session.run({ [model.inputName]: { data: stacked, dims: dims(batch.length), transfer: true } }, [
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
