// Tiny random-weight ONNX models with CLIP's and CLAP's input/output signatures, small enough
// that a test can compute their output by hand.
import { GraphBuilder } from '../../models/onnxgraph/index.ts';

/** Deterministic uniform(-1, 1) weights (mulberry32), so a seed names a model. */
export function randomWeights(count: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

export interface TinyModel {
  bytes: Uint8Array;
  /** The projection matrix, row-major [features, dim]. */
  projection: Float32Array;
}

/**
 * CLIP visual tower stand-in: `pixel_values` [N,3,S,S] -> per-channel mean -> x W[3,D] -> `image_embeds` [N,D].
 * A constant image's embedding is therefore ((v/255 - mean) / std) . W, computable by hand.
 */
export function tinyClipVisual(opts: { dim: number; size?: number; seed?: number; output?: string; batch?: number }): TinyModel {
  const size = opts.size ?? 224;
  const batch = opts.batch ?? 'N'; // a number: an export with a fixed batch axis
  const g = new GraphBuilder('tiny-clip-visual');
  const x = g.input('pixel_values', 'float32', [batch, 3, size, size]);
  const pooled = g.op('Flatten', [g.op('GlobalAveragePool', [x])], { axis: 1 });
  const projection = randomWeights(3 * opts.dim, opts.seed ?? 1);
  const w = g.initializer('visual_projection', projection, [3, opts.dim]);
  g.output(g.op('MatMul', [pooled, w]), 'float32', [batch, opts.dim], opts.output ?? 'image_embeds');
  return { bytes: g.serialize(), projection };
}

/**
 * A visual model with CLIP's signature and broken outputs. 'nan': 0/0 for every input (the
 * load-time test run included). 'zero': all-zero rows for every input. 'sqrt': the square root
 * of the channel means, so NaN for an image whose normalized channel mean is negative and finite
 * for one whose channels are all positive (white), and zeros for the blank test input.
 * 'batch-1-inside': declares a dynamic batch axis but reshapes to a batch of 1 inside, so only
 * single items run (an export whose fixed batch its input shape does not show).
 */
export function tinyBrokenVisual(opts: { dim: number; kind: 'nan' | 'zero' | 'sqrt' | 'batch-1-inside'; size?: number }): TinyModel {
  const size = opts.size ?? 224;
  const g = new GraphBuilder(`tiny-broken-visual-${opts.kind}`);
  const x = g.input('pixel_values', 'float32', ['N', 3, size, size]);
  let pooled = g.op('Flatten', [g.op('GlobalAveragePool', [x])], { axis: 1 });
  if (opts.kind === 'sqrt') pooled = g.op('Sqrt', [pooled]);
  if (opts.kind === 'batch-1-inside') pooled = g.op('Reshape', [pooled, g.int64s('batch_of_one', [1, 3])]);
  const zero = opts.kind === 'nan' || opts.kind === 'zero';
  const projection = zero ? new Float32Array(3 * opts.dim) : randomWeights(3 * opts.dim, 1);
  const z = g.op('MatMul', [pooled, g.initializer('visual_projection', projection, [3, opts.dim])]);
  g.output(opts.kind === 'nan' ? g.op('Div', [z, z]) : z, 'float32', ['N', opts.dim], 'image_embeds');
  return { bytes: g.serialize(), projection };
}

/**
 * CLIP text tower stand-in: `input_ids` [N,L] -> Gather(embedding [V,H]) -> mean over the
 * `attention_mask`ed positions (plain mean without a mask) -> x W[H,D] -> `text_embeds` [N,D].
 */
export function tinyClipText(opts: {
  vocab: number;
  hidden?: number;
  dim: number;
  seed?: number;
  mask?: boolean;
  idType?: 'int64' | 'int32';
}): TinyModel & { embedding: Float32Array } {
  const hidden = opts.hidden ?? 8;
  const idType = opts.idType ?? 'int64';
  const g = new GraphBuilder('tiny-clip-text');
  const ids = g.input('input_ids', idType, ['N', 'L']);
  const embedding = randomWeights(opts.vocab * hidden, (opts.seed ?? 2) * 7);
  const tokens = g.op('Gather', [g.initializer('token_embedding', embedding, [opts.vocab, hidden]), ids]);
  let pooled: string;
  if (opts.mask ?? true) {
    const mask = g.op('Cast', [g.input('attention_mask', idType, ['N', 'L'])], { to: 1 });
    const summed = g.op('ReduceSum', [g.op('Mul', [tokens, g.op('Unsqueeze', [mask, g.int64s('two', [2])])]), g.int64s('one', [1])], {
      keepdims: 0,
    });
    const count = g.op('ReduceSum', [mask, g.int64s('one_b', [1])], { keepdims: 1 });
    pooled = g.op('Div', [summed, count]);
  } else {
    pooled = g.op('ReduceMean', [tokens], { axes: [1], keepdims: 0 });
  }
  const projection = randomWeights(hidden * opts.dim, (opts.seed ?? 2) * 13);
  const w = g.initializer('text_projection', projection, [hidden, opts.dim]);
  g.output(g.op('MatMul', [pooled, w]), 'float32', ['N', opts.dim], 'text_embeds');
  return { bytes: g.serialize(), projection, embedding };
}

/** CLAP-like audio tower on log-mel: `input_features` [N,1,T,M] -> mean over time -> x W[M,D] -> `audio_embeds`. */
export function tinyClapMel(opts: { mels: number; dim: number; seed?: number }): TinyModel {
  const g = new GraphBuilder('tiny-clap-mel');
  const x = g.input('input_features', 'float32', ['N', 1, 'T', opts.mels]);
  const pooled = g.op('ReduceMean', [x], { axes: [1, 2], keepdims: 0 });
  const projection = randomWeights(opts.mels * opts.dim, opts.seed ?? 3);
  g.output(g.op('MatMul', [pooled, g.initializer('audio_projection', projection, [opts.mels, opts.dim])]), 'float32', [
    'N',
    opts.dim,
  ], 'audio_embeds');
  return { bytes: g.serialize(), projection };
}

/**
 * Raw-waveform audio tower: `input_values` [N,S] -> 16 equal segments -> mean |x| per segment
 * (a loudness envelope) -> x W[16,D] -> `audio_embeds`. S must be a multiple of 16.
 */
export function tinyWaveformModel(opts: { dim: number; seed?: number }): TinyModel {
  const g = new GraphBuilder('tiny-waveform');
  const x = g.input('input_values', 'float32', ['N', 'S']);
  const segments = g.op('Reshape', [g.op('Abs', [x]), g.int64s('shape', [0, 16, -1])]);
  const envelope = g.op('ReduceMean', [segments], { axes: [2], keepdims: 0 });
  const projection = randomWeights(16 * opts.dim, opts.seed ?? 4);
  g.output(g.op('MatMul', [envelope, g.initializer('audio_projection', projection, [16, opts.dim])]), 'float32', [
    'N',
    opts.dim,
  ], 'audio_embeds');
  return { bytes: g.serialize(), projection };
}

/**
 * A text tower with a learned position table of `positions` rows, like CLIP's 77: token plus
 * position embeddings, mean over positions, x W. Sequences longer than the table fail in ONNX
 * Runtime (the position rows no longer line up with the tokens), as a real export does.
 */
export function tinyPositionalText(opts: { vocab: number; dim: number; positions: number; hidden?: number }): TinyModel {
  const hidden = opts.hidden ?? 8;
  const g = new GraphBuilder('tiny-positional-text');
  const ids = g.input('input_ids', 'int64', ['N', 'L']);
  const tokens = g.op('Gather', [g.initializer('token_embedding', randomWeights(opts.vocab * hidden, 21), [opts.vocab, hidden]), ids]);
  const length = g.op('Gather', [g.op('Shape', [ids]), g.int64s('length_axis', [1], [])], { axis: 0 });
  const range = g.op('Range', [g.int64s('zero', [0], []), length, g.int64s('step', [1], [])]);
  const table = g.initializer('position_embedding', randomWeights(opts.positions * hidden, 22), [opts.positions, hidden]);
  const pooled = g.op('ReduceMean', [g.op('Add', [tokens, g.op('Gather', [table, range])])], { axes: [1], keepdims: 0 });
  const projection = randomWeights(hidden * opts.dim, 23);
  g.output(g.op('MatMul', [pooled, g.initializer('text_projection', projection, [hidden, opts.dim])]), 'float32', ['N', opts.dim], 'text_embeds');
  return { bytes: g.serialize(), projection };
}
