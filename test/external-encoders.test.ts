// External ONNX encoders end to end: tiny CLIP/CLAP-shaped models written with manifests into a
// temp folder, loaded the way `rosetta` loads them, and run on real image and WAV files.
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDecoderPool, decodeAudio, logMelSpectrogram } from '../models/audio/index.ts';
import { pcm16Wav } from '../indexer/job/testing.ts';
import {
  describeExternalEncoders,
  fitSamples,
  loadExternalEncoder,
  loadExternalEncoders,
  type ExternalEncoder,
  type ExternalMediaEncoder,
} from '../models/external/index.ts';
import { RosettaError } from '../models/errors.ts';
import type { MediaInput } from '../models/types.ts';
import { loadConfig } from '../bin/config.ts';
import { runRosetta } from './helpers/cli.ts';
import {
  tinyBrokenVisual,
  tinyClapMel,
  tinyClipText,
  tinyClipVisual,
  tinyPositionalText,
  tinyWaveformModel,
} from './helpers/tiny-onnx.ts';

const DIM = 8;
const tokenizerFixture = fileURLToPath(new URL('./fixtures/external/tokenizer.json', import.meta.url));
const clipMean: [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
const clipStd: [number, number, number] = [0.26862954, 0.26130258, 0.27577711];
const clipRecipe = {
  kind: 'image',
  size: 224,
  resize: 'shortest-side-crop',
  kernel: 'cubic',
  layout: 'NCHW',
  scale: 1,
  mean: clipMean,
  std: clipStd,
};

const visual = tinyClipVisual({ dim: DIM });
const text = tinyClipText({ vocab: 34, dim: DIM });
const mel = tinyClapMel({ mels: 64, dim: DIM });
const wave = tinyWaveformModel({ dim: DIM });

function manifest(over: Record<string, unknown>): Record<string, unknown> {
  return { version: '1', normalize: true, dim: DIM, ...over };
}
const manifests = {
  visual: manifest({
    name: 'tiny-clip-visual',
    modality: 'image',
    onnx: 'clip/visual.onnx',
    inputs: { pixel_values: 'image' },
    output: 'image_embeds',
    maxBatch: 2,
    preprocess: clipRecipe,
  }),
  sketch: manifest({
    name: 'tiny-clip-sketch',
    modality: 'sketch',
    onnx: 'clip/visual.onnx',
    inputs: { pixel_values: 'image' },
    output: 'image_embeds',
    preprocess: { ...clipRecipe, resize: 'pad' },
  }),
  text: manifest({
    name: 'tiny-clip-text',
    modality: 'text',
    onnx: 'clip/text.onnx',
    inputs: { input_ids: 'tokens', attention_mask: 'mask' },
    output: 'text_embeds',
    preprocess: { kind: 'tokenizer', tokenizer: 'clip/tokenizer.json', maxLength: 12, pad: '<|endoftext|>' },
  }),
  clap: manifest({
    name: 'tiny-clap',
    modality: 'audio',
    onnx: 'clap.onnx',
    inputs: { input_features: 'audio' },
    output: 'audio_embeds',
    preprocess: { kind: 'log-mel', sampleRate: 16000, seconds: 1, padding: 'repeat', bands: 64, layout: 'N1TM' },
  }),
  wave: manifest({
    name: 'tiny-wave',
    modality: 'audio',
    onnx: 'wave.onnx',
    inputs: { input_values: 'audio' },
    output: 'audio_embeds',
    preprocess: { kind: 'waveform', sampleRate: 16000, seconds: 1, padding: 'zero' },
  }),
};

/** Writes ONNX files and manifests into a fresh folder under `root`. */
function writeModels(
  root: string,
  name: string,
  files: { manifests: Record<string, unknown>; onnx?: Record<string, Uint8Array>; tokenizer?: boolean },
): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'clip'), { recursive: true });
  for (const [file, bytes] of Object.entries(files.onnx ?? {})) writeFileSync(join(dir, file), bytes);
  if (files.tokenizer) copyFileSync(tokenizerFixture, join(dir, 'clip/tokenizer.json'));
  for (const [base, m] of Object.entries(files.manifests)) {
    writeFileSync(join(dir, `${base}.encoder.json`), JSON.stringify(m, null, 2));
  }
  return dir;
}

/** 16-bit PCM mono WAV, written by hand so the test needs no audio fixture. */
function wav(samples: Float32Array, sampleRate: number): Buffer {
  return pcm16Wav(Int16Array.from(samples, (s) => Math.max(-32768, Math.min(32767, Math.round(s * 32768)))), sampleRate);
}

const norm = (v: Float32Array) => Math.hypot(...v);
const cosine = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i], 0) / (norm(a) * norm(b));
function unit(v: number[]): number[] {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}
/** x [k] times W [k, DIM], row-major. */
function project(x: number[], w: Float32Array): number[] {
  return Array.from({ length: DIM }, (_, j) => x.reduce((s, xc, c) => s + xc * w[c * DIM + j], 0));
}
function expectClose(actual: Float32Array, expected: number[], atol: number): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((v, i) => expect(Math.abs(v - expected[i])).toBeLessThanOrEqual(atol));
}
async function rejection(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error('expected a rejection');
}

let root: string;
let dir: string;
let encoders: ExternalEncoder[];
const byName = (name: string) => encoders.find((e) => e.identity.name === name)!;
const media = (name: string) => byName(name) as ExternalMediaEncoder;
let images: Record<'scene' | 'quadrants' | 'solid', MediaInput>;
let clips: Record<'speech' | 'chirp' | 'square' | 'halfSquare', MediaInput>;
const fixture = (path: string): MediaInput => {
  const file = fileURLToPath(new URL(`./fixtures/${path}`, import.meta.url));
  return { name: file, data: readFileSync(file) };
};

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'rosetta-external-'));
  dir = writeModels(root, 'models', {
    manifests: manifests,
    onnx: { 'clip/visual.onnx': visual.bytes, 'clip/text.onnx': text.bytes, 'clap.onnx': mel.bytes, 'wave.onnx': wave.bytes },
    tokenizer: true,
  });
  images = {
    scene: fixture('images/scene.jpg'),
    quadrants: fixture('images/quadrants.jpg'),
    solid: {
      name: 'solid.png',
      data: await sharp({ create: { width: 300, height: 200, channels: 3, background: { r: 200, g: 100, b: 50 } } }).png().toBuffer(),
    },
  };
  const square = Float32Array.from({ length: 16000 }, (_, i) => (i % 2 === 0 ? 0.5 : -0.5));
  clips = {
    speech: fixture('audio/speech.wav'),
    chirp: fixture('audio/chirp.wav'),
    square: { name: 'square.wav', data: wav(square, 16000) },
    halfSquare: { name: 'half-square.wav', data: wav(square.slice(0, 8000), 16000) },
  };
  encoders = await loadExternalEncoders(dir, { device: 'cpu' });
});

afterAll(async () => {
  await Promise.all((encoders ?? []).map((e) => e.close()));
  await closeDecoderPool();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('loading external encoders', () => {
  it('loads one encoder per manifest with the modality and dim of its manifest', () => {
    expect(encoders.map((e) => [e.identity.name, e.modality, e.dim, e.kind]).sort()).toEqual([
      ['tiny-clap', 'audio', DIM, 'dense'],
      ['tiny-clip-sketch', 'sketch', DIM, 'dense'],
      ['tiny-clip-text', 'text', DIM, 'dense'],
      ['tiny-clip-visual', 'image', DIM, 'dense'],
      ['tiny-wave', 'audio', DIM, 'dense'],
    ]);
  });

  it('pins the identity to the sha256 of the ONNX bytes and a digest of the preprocessing', () => {
    const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
    expect(byName('tiny-clip-visual').identity).toMatchObject({ name: 'tiny-clip-visual', weightsHash: sha(visual.bytes) });
    expect(byName('tiny-clip-visual').identity.version).toMatch(/^1\+[0-9a-f]{8}$/);
    // Same ONNX file, another recipe (sketch vs image): the identities must differ.
    expect(byName('tiny-clip-sketch').identity.version).not.toBe(byName('tiny-clip-visual').identity.version);
    expect(byName('tiny-clip-text').identity.weightsHash).toBe(sha(text.bytes));
    expect(byName('tiny-clap').identity.weightsHash).toBe(sha(mel.bytes));
  });

  it('describes every manifest as ready, with its files', async () => {
    const described = await describeExternalEncoders(dir);
    expect(described.map((d) => [d.name, d.modality, d.ready])).toEqual([
      ['tiny-clap', 'audio', true],
      ['tiny-clip-sketch', 'sketch', true],
      ['tiny-clip-text', 'text', true],
      ['tiny-clip-visual', 'image', true],
      ['tiny-wave', 'audio', true],
    ]);
    expect(described.find((d) => d.name === 'tiny-clip-text')!.files).toEqual([
      join(dir, 'text.encoder.json'),
      join(dir, 'clip/text.onnx'),
      join(dir, 'clip/tokenizer.json'),
    ]);
  });

  it('loads a single encoder by name and checks its modality', async () => {
    const enc = await loadExternalEncoder(dir, 'tiny-clip-text', { modality: 'text' });
    try {
      expect(enc.identity.name).toBe('tiny-clip-text');
    } finally {
      await enc.close();
    }
    const wrong = await rejection(loadExternalEncoder(dir, 'tiny-clip-text', { modality: 'image' }));
    expect(wrong).toMatchObject({ code: 'MODEL_INVALID', message: expect.stringContaining('is a text encoder, not image') });
    const missing = await rejection(loadExternalEncoder(dir, 'clip-large'));
    expect(missing).toMatchObject({ code: 'MODEL_NOT_READY', message: expect.stringContaining("'clip-large'") });
  });

  it('finds nothing in a folder that does not exist', async () => {
    expect(await loadExternalEncoders(join(root, 'absent'))).toEqual([]);
    expect(await describeExternalEncoders(join(root, 'absent'))).toEqual([]);
  });
});

describe('image encoder (CLIP visual signature)', () => {
  it('encodes images to unit-length rows of the manifest dim', async () => {
    const rows = await byName('tiny-clip-visual').encode([images.scene, images.quadrants] as never);
    expect(rows).toHaveLength(2);
    for (const row of rows as Float32Array[]) {
      expect(row).toBeInstanceOf(Float32Array);
      expect(row.length).toBe(DIM);
      expect(Math.abs(norm(row) - 1)).toBeLessThan(1e-5);
    }
    expect(cosine(rows[0] as Float32Array, rows[1] as Float32Array)).toBeLessThan(0.999);
  });

  it('gives the same vector for the same image, alone or in a batch split over maxBatch', async () => {
    const enc = media('tiny-clip-visual');
    const [alone] = await enc.encode([images.scene]);
    const batch = await enc.encode([images.quadrants, images.solid, images.scene]); // maxBatch 2 -> two runs
    expectClose(batch[2], Array.from(alone), 1e-6);
    const [again] = await enc.run([await enc.prepare(images.scene)]);
    expect(again).toEqual(alone);
  });

  it('matches a hand computation for a solid-colour image', async () => {
    // Every pixel is (200, 100, 50), so the pooled input is ((v/255 - mean) / std) per channel.
    const x = [200, 100, 50].map((v, c) => (v / 255 - clipMean[c]) / clipStd[c]);
    const [row] = await media('tiny-clip-visual').encode([images.solid]);
    // The tensor itself is exact; ONNX Runtime's float32 average over 224 x 224 pixels is not (~4e-5 seen).
    expectClose(row, unit(project(x, visual.projection)), 5e-4);
  });

  it('runs sketches through the sketch preprocessing with the same model', async () => {
    const strokes = fixture('images/sketch-strokes.png');
    const [row] = await media('tiny-clip-sketch').encode([strokes]);
    expect(row.length).toBe(DIM);
    expect(Math.abs(norm(row) - 1)).toBeLessThan(1e-5);
  });

  it('passes a truncated JPEG through as CORRUPT_MEDIA from the image decoder', async () => {
    const bad = fixture('images/truncated.jpg');
    const err = await rejection(media('tiny-clip-visual').prepare(bad));
    expect(err.code).toBe('CORRUPT_MEDIA');
    expect(err.message).toContain('truncated.jpg');
  });
});

describe('text encoder (CLIP text signature)', () => {
  const enc = () => byName('tiny-clip-text') as ExternalEncoder & { encode(t: string[]): Promise<Float32Array[]> };

  it('matches a hand computation: masked mean of token embeddings, projected, normalized', async () => {
    const ids = [32, 0, 9, 11, 0, 19, 33]; // <|startoftext|> a photo of a cat <|endoftext|>
    const hidden = 8;
    const pooled = Array.from({ length: hidden }, (_, h) => ids.reduce((s, id) => s + text.embedding[id * hidden + h], 0) / ids.length);
    const [row] = await enc().encode(['A photo of a cat']);
    expectClose(row, unit(project(pooled, text.projection)), 1e-5);
  });

  it('gives unit rows, the same vector for the same text and different vectors for different texts', async () => {
    const [cat, dog, cat2] = await enc().encode(['a photo of a cat', 'a photo of a dog', 'a photo of a cat']);
    expect(cat.length).toBe(DIM);
    expect(Math.abs(norm(cat) - 1)).toBeLessThan(1e-5);
    expect(cat2).toEqual(cat);
    expect(cosine(cat, dog)).toBeLessThan(0.999);
  });

  it('truncates text longer than maxLength to its first tokens plus the end token', async () => {
    const long = 'the cat the dog the bird the cat the dog the bird the cat';
    const [row] = await enc().encode([long]);
    // maxLength 12: <|startoftext|> + the first 10 words + <|endoftext|>
    const [expected] = await enc().encode(['the cat the dog the bird the cat the dog']);
    expectClose(row, Array.from(expected), 1e-6);
  });

  it('rejects an empty text with EMPTY_INPUT and encodes nothing of the batch', async () => {
    const err = await rejection(enc().encode(['a cat', '   ']));
    expect(err).toMatchObject({ code: 'EMPTY_INPUT', message: expect.stringContaining('text 1') });
  });
});

describe('audio encoders (CLAP-like log-mel and raw waveform)', () => {
  it('encodes WAV files through log-mel to unit rows that differ between clips', async () => {
    const enc = media('tiny-clap');
    const [speech, chirp, speech2] = await enc.encode([clips.speech, clips.chirp, clips.speech]);
    expect(speech.length).toBe(DIM);
    expect(Math.abs(norm(speech) - 1)).toBeLessThan(1e-5);
    expect(speech2).toEqual(speech);
    expect(cosine(speech, chirp)).toBeLessThan(0.999);
  });

  it('feeds [N, 1, frames, bands] log-mel of the clip fitted to one second', async () => {
    // The tiny model averages the log-mel over time; recompute that from the same samples.
    const { samples: decoded } = await decodeAudio(clips.speech, { sampleRate: 16000 });
    const samples = fitSamples(decoded, 16000, 'repeat');
    const spec = logMelSpectrogram(samples, 16000, { bands: 64 });
    const meanBands = Array.from({ length: 64 }, (_, b) => {
      let s = 0;
      for (let t = 0; t < spec.frames; t++) s += spec.data[t * 64 + b];
      return s / spec.frames;
    });
    const [row] = await media('tiny-clap').encode([clips.speech]);
    expectClose(row, unit(project(meanBands, mel.projection)), 1e-3);
  });

  it('matches a hand computation on a raw waveform, with silence padding a short clip', async () => {
    const enc = media('tiny-wave');
    // |x| = 0.5 everywhere: all 16 segment means are 0.5.
    const [full] = await enc.encode([clips.square]);
    expectClose(full, unit(project(new Array(16).fill(0.5), wave.projection)), 1e-5);
    // Half a second, zero-padded to one: the first 8 segments are 0.5, the rest 0.
    const [half] = await enc.encode([clips.halfSquare]);
    expectClose(half, unit(project([...new Array(8).fill(0.5), ...new Array(8).fill(0)], wave.projection)), 1e-5);
  });

  it('passes a truncated WAV through with the audio decoder’s error', async () => {
    const err = await rejection(media('tiny-clap').prepare(fixture('audio/header-only.wav')));
    expect(err.code).toMatch(/CORRUPT_MEDIA|EMPTY_INPUT/);
    expect(err.message).toContain('header-only.wav');
  });
});

describe('refusing bad models and manifests', () => {
  let n = 0;
  const setup = (files: Parameters<typeof writeModels>[2]) => writeModels(root, `case-${++n}`, files);

  it('rejects an invalid manifest with MODEL_INVALID naming the file and every bad key', async () => {
    const d = setup({ manifests: { broken: { ...manifests.visual, dim: 'eight', normalise: false, modality: 'smell' } } });
    const err = await rejection(loadExternalEncoders(d));
    expect(err.code).toBe('MODEL_INVALID');
    for (const part of [join(d, 'broken.encoder.json'), 'dim:', 'normalise: unknown key', 'modality:']) {
      expect(err.message).toContain(part);
    }
    const [described] = await describeExternalEncoders(d);
    expect(described).toMatchObject({ name: 'tiny-clip-visual', ready: false, modality: null, reason: expect.stringContaining('dim:') });
  });

  it('rejects an unknown preprocessing kind with MODEL_INVALID naming the known ones', async () => {
    const d = setup({ manifests: { m: { ...manifests.clap, preprocess: { kind: 'cqt', sampleRate: 16000 } } }, onnx: { 'clap.onnx': mel.bytes } });
    const err = await rejection(loadExternalEncoders(d));
    expect(err).toMatchObject({ code: 'MODEL_INVALID', message: expect.stringMatching(/kind 'cqt'.*waveform, log-mel/) });
  });

  it('rejects a missing ONNX file with MODEL_NOT_READY, and lists it as not ready', async () => {
    const d = setup({ manifests: { v: manifests.visual } });
    const err = await rejection(loadExternalEncoders(d));
    expect(err).toMatchObject({ code: 'MODEL_NOT_READY', message: expect.stringContaining(join(d, 'clip/visual.onnx')) });
    const [described] = await describeExternalEncoders(d);
    expect(described).toMatchObject({ ready: false, modality: 'image', reason: expect.stringContaining('missing file') });
  });

  it('rejects a missing tokenizer with MODEL_NOT_READY', async () => {
    const d = setup({ manifests: { t: manifests.text }, onnx: { 'clip/text.onnx': text.bytes } });
    const err = await rejection(loadExternalEncoders(d));
    expect(err).toMatchObject({ code: 'MODEL_NOT_READY', message: expect.stringContaining('tokenizer.json') });
  });

  it('rejects an input name the model does not have with MODEL_INVALID', async () => {
    const d = setup({ manifests: { v: { ...manifests.visual, inputs: { images: 'image' } } }, onnx: { 'clip/visual.onnx': visual.bytes } });
    const err = await rejection(loadExternalEncoders(d));
    expect(err).toMatchObject({ code: 'MODEL_INVALID', message: expect.stringMatching(/no input named images.*pixel_values/) });
  });

  it('rejects an output name the model does not have with MODEL_INVALID', async () => {
    const d = setup({ manifests: { v: { ...manifests.visual, output: 'pooler_output' } }, onnx: { 'clip/visual.onnx': visual.bytes } });
    const err = await rejection(loadExternalEncoders(d));
    expect(err).toMatchObject({ code: 'MODEL_INVALID', message: expect.stringContaining('pooler_output') });
  });

  it('rejects a model input the manifest gives no role with MODEL_INVALID', async () => {
    const d = setup({
      manifests: { t: { ...manifests.text, inputs: { input_ids: 'tokens' } } },
      onnx: { 'clip/text.onnx': text.bytes },
      tokenizer: true,
    });
    const err = await rejection(loadExternalEncoders(d));
    expect(err).toMatchObject({ code: 'MODEL_INVALID', message: expect.stringContaining('attention_mask') });
  });

  it('rejects a wrong output dimension with MODEL_INVALID at load', async () => {
    const d = setup({ manifests: { v: { ...manifests.visual, dim: 512 } }, onnx: { 'clip/visual.onnx': visual.bytes } });
    const err = await rejection(loadExternalEncoders(d));
    expect(err).toMatchObject({ code: 'MODEL_INVALID', message: expect.stringContaining(`[1, ${DIM}]; the manifest says [1, 512]`) });
  });

  it('rejects int32 ids for a model that takes int64 with MODEL_INVALID at load', async () => {
    const d = setup({
      manifests: { t: { ...manifests.text, preprocess: { ...(manifests.text.preprocess as object), dtype: 'int32' } } },
      onnx: { 'clip/text.onnx': text.bytes },
      tokenizer: true,
    });
    const err = await rejection(loadExternalEncoders(d));
    expect(err).toMatchObject({ code: 'MODEL_INVALID', message: expect.stringContaining('test run') });
  });

  it('rejects a file that is not ONNX with MODEL_INVALID', async () => {
    const d = setup({ manifests: { v: manifests.visual }, onnx: { 'clip/visual.onnx': new TextEncoder().encode('not a model') } });
    expect(await rejection(loadExternalEncoders(d))).toMatchObject({ code: 'MODEL_INVALID' });
  });

  it('rejects two manifests with the same name with MODEL_INVALID naming both files', async () => {
    const d = setup({ manifests: { a: manifests.visual, b: manifests.visual }, onnx: { 'clip/visual.onnx': visual.bytes } });
    const err = await rejection(loadExternalEncoders(d));
    expect(err).toMatchObject({ code: 'MODEL_INVALID', message: expect.stringMatching(/a\.encoder\.json and .*b\.encoder\.json/) });
  });

  it('lists two manifests with the same name as not ready, both naming the clash, even across modalities', async () => {
    const d = setup({
      manifests: { a: manifests.visual, b: { ...manifests.text, name: 'tiny-clip-visual' } },
      onnx: { 'clip/visual.onnx': visual.bytes, 'clip/text.onnx': text.bytes },
      tokenizer: true,
    });
    const described = await describeExternalEncoders(d);
    const clash = `two encoder manifests are named 'tiny-clip-visual': ${join(d, 'a.encoder.json')} and ${join(d, 'b.encoder.json')}`;
    expect(described.map((r) => [r.modality, r.ready, r.reason])).toEqual([
      ['image', false, clash],
      ['text', false, clash],
    ]);
    const err = await rejection(loadExternalEncoder(d, 'tiny-clip-visual'));
    expect(err).toMatchObject({ code: 'MODEL_INVALID', message: clash });
  });

  it('rejects an fMin above fMax with MODEL_INVALID naming the manifest and both keys, also in the listing', async () => {
    const preprocess = { ...(manifests.clap.preprocess as object), fMin: 6000, fMax: 1000 };
    const d = setup({ manifests: { m: { ...manifests.clap, preprocess } }, onnx: { 'clap.onnx': mel.bytes } });
    const message = `${join(d, 'm.encoder.json')}: preprocess.fMin (6000) must be below preprocess.fMax (1000)`;
    expect(await rejection(loadExternalEncoders(d))).toMatchObject({ code: 'MODEL_INVALID', message: expect.stringContaining(message) });
    const [described] = await describeExternalEncoders(d);
    expect(described).toMatchObject({ ready: false, modality: 'audio', reason: expect.stringContaining(message) });
  });

  it('rejects an fMax above the Nyquist frequency with MODEL_INVALID instead of clamping it', async () => {
    const preprocess = { ...(manifests.clap.preprocess as object), fMax: 12000 };
    const d = setup({ manifests: { m: { ...manifests.clap, preprocess } }, onnx: { 'clap.onnx': mel.bytes } });
    expect(await rejection(loadExternalEncoders(d))).toMatchObject({
      code: 'MODEL_INVALID',
      message: expect.stringContaining(`${join(d, 'm.encoder.json')}: preprocess.fMax (12000) must be at most half of preprocess.sampleRate (8000)`),
    });
  });

  it('rejects a pad token outside the vocabulary with MODEL_INVALID naming the manifest and preprocess.pad', async () => {
    for (const pad of ['<pad>', 999]) {
      const preprocess = { ...(manifests.text.preprocess as object), pad };
      const d = setup({ manifests: { t: { ...manifests.text, preprocess } }, onnx: { 'clip/text.onnx': text.bytes }, tokenizer: true });
      const err = await rejection(loadExternalEncoders(d));
      expect(err).toMatchObject({ code: 'MODEL_INVALID', message: expect.stringContaining(`${join(d, 't.encoder.json')}: preprocess.pad: `) });
      expect(err.message).toContain(typeof pad === 'number' ? `id ${pad}` : `'${pad}'`);
    }
  });

  it('rejects a corrupt or foreign tokenizer file with MODEL_INVALID naming the manifest and preprocess.tokenizer', async () => {
    for (const [content, says] of [['{"version":"1.0","model":', 'not valid JSON'], ['{"hello":1}', 'not a usable']] as const) {
      const d = setup({ manifests: { t: manifests.text }, onnx: { 'clip/text.onnx': text.bytes } });
      writeFileSync(join(d, 'clip/tokenizer.json'), content);
      const err = await rejection(loadExternalEncoders(d));
      expect(err).toMatchObject({ code: 'MODEL_INVALID', message: expect.stringContaining(`${join(d, 't.encoder.json')}: preprocess.tokenizer: `) });
      expect(err.message).toContain(says);
    }
  });

  it('reports a pick whose manifest is not valid JSON with the JSON error, not "no encoder named"', async () => {
    const d = setup({ manifests: {} });
    writeFileSync(join(d, 'a.encoder.json'), JSON.stringify(manifests.visual).slice(0, -20));
    const err = await rejection(loadExternalEncoder(d, 'tiny-clip-visual', { modality: 'image' }));
    expect(err).toMatchObject({ code: 'MODEL_INVALID', message: expect.stringContaining(`${join(d, 'a.encoder.json')} is not valid JSON`) });
    // Any other name: not found, and the unreadable manifest is named with its error.
    const other = await rejection(loadExternalEncoder(d, 'clip-large'));
    expect(other).toMatchObject({ code: 'MODEL_NOT_READY', message: expect.stringMatching(/no external encoder named 'clip-large'.*unreadable: .*a\.encoder\.json is not valid JSON/) });
  });
});

describe('refusing bad outputs and failing runs', () => {
  let n = 0;
  const setup = (files: Parameters<typeof writeModels>[2]) => writeModels(root, `run-case-${++n}`, files);
  const white = async (): Promise<MediaInput> => ({
    name: 'white.png',
    data: await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 255, g: 255, b: 255 } } }).png().toBuffer(),
  });

  it('turns a run ONNX Runtime refuses (text past the position table) into MODEL_INVALID naming the manifest, the ONNX file and its error', async () => {
    const positional = tinyPositionalText({ vocab: 34, dim: DIM, positions: 5 });
    const preprocess = { ...(manifests.text.preprocess as object), padding: 'longest' };
    const d = setup({
      manifests: { t: { ...manifests.text, inputs: { input_ids: 'tokens' }, preprocess } },
      onnx: { 'clip/text.onnx': positional.bytes },
      tokenizer: true,
    });
    const enc = (await loadExternalEncoder(d, 'tiny-clip-text')) as ExternalEncoder & { encode(t: string[]): Promise<Float32Array[]> };
    try {
      expect((await enc.encode(['a cat']))[0]).toHaveLength(DIM); // 4 tokens fit the 5 positions
      const err = await rejection(enc.encode(['the cat the dog the bird']));
      expect(err).toBeInstanceOf(RosettaError);
      expect(err.code).toBe('MODEL_INVALID');
      for (const part of [join(d, 't.encoder.json'), `failed to run ${join(d, 'clip/text.onnx')} on a batch of 1`, 'Non-zero status code', 'preprocess.maxLength']) {
        expect(err.message).toContain(part);
      }
    } finally {
      await enc.close();
    }
  });

  it('caps maxBatch at 1 for an export whose batch axis is fixed at 1, giving the same vectors', async () => {
    const d = setup({
      manifests: { v: { ...manifests.visual, maxBatch: undefined } },
      onnx: { 'clip/visual.onnx': tinyClipVisual({ dim: DIM, batch: 1 }).bytes },
    });
    const enc = (await loadExternalEncoder(d, 'tiny-clip-visual')) as ExternalMediaEncoder;
    try {
      const rows = await enc.encode([images.scene, images.quadrants, images.solid]);
      const expected = await media('tiny-clip-visual').encode([images.scene, images.quadrants, images.solid]);
      rows.forEach((row, i) => expectClose(row, Array.from(expected[i]), 1e-6));
    } finally {
      await enc.close();
    }
  });

  it('refuses an export with a fixed batch of 2 at load with MODEL_INVALID naming the input', async () => {
    const d = setup({ manifests: { v: manifests.visual }, onnx: { 'clip/visual.onnx': tinyClipVisual({ dim: DIM, batch: 2 }).bytes } });
    const err = await rejection(loadExternalEncoders(d));
    expect(err).toMatchObject({
      code: 'MODEL_INVALID',
      message: expect.stringContaining(`${join(d, 'v.encoder.json')}: input 'pixel_values' of ${join(d, 'clip/visual.onnx')} has a fixed batch size of 2`),
    });
  });

  it('says to set maxBatch when a batch fails in an export whose shapes do not show its fixed batch', async () => {
    const d = setup({
      manifests: { v: { ...manifests.visual, maxBatch: undefined } },
      onnx: { 'clip/visual.onnx': tinyBrokenVisual({ dim: DIM, kind: 'batch-1-inside' }).bytes },
    });
    const enc = (await loadExternalEncoder(d, 'tiny-clip-visual')) as ExternalMediaEncoder;
    try {
      expect((await enc.encode([images.scene]))[0]).toHaveLength(DIM);
      const err = await rejection(enc.encode([images.scene, images.quadrants]));
      expect(err).toMatchObject({ code: 'MODEL_INVALID', message: expect.stringContaining(join(d, 'v.encoder.json')) });
      expect(err.message).toContain("on a batch of 2");
      expect(err.message).toContain("set 'maxBatch'");
    } finally {
      await enc.close();
    }
  });

  it('rejects an export whose test run gives NaN with MODEL_INVALID at load', async () => {
    const d = setup({ manifests: { v: manifests.visual }, onnx: { 'clip/visual.onnx': tinyBrokenVisual({ dim: DIM, kind: 'nan' }).bytes } });
    expect(await rejection(loadExternalEncoders(d))).toMatchObject({
      code: 'MODEL_INVALID',
      message: `${join(d, 'v.encoder.json')}: output 'image_embeds' of ${join(d, 'clip/visual.onnx')} has a non-finite value (NaN) at 0 for input 0 of the batch`,
    });
  });

  it('rejects a row with a non-finite value on a real run, naming the output and the input', async () => {
    const d = setup({ manifests: { v: manifests.visual }, onnx: { 'clip/visual.onnx': tinyBrokenVisual({ dim: DIM, kind: 'sqrt' }).bytes } });
    const enc = (await loadExternalEncoder(d, 'tiny-clip-visual')) as ExternalMediaEncoder;
    try {
      const whiteImage = await white();
      expect((await enc.encode([whiteImage]))[0].every(Number.isFinite)).toBe(true);
      const err = await rejection(enc.encode([whiteImage, images.solid])); // solid's green channel is below CLIP's mean
      expect(err).toMatchObject({
        code: 'MODEL_INVALID',
        message: expect.stringContaining("output 'image_embeds' of " + join(d, 'clip/visual.onnx') + ' has a non-finite value (NaN) at 0 for input 1 of the batch'),
      });
    } finally {
      await enc.close();
    }
  });

  it('rejects an all-zero output row on a real run, with normalize on or off', async () => {
    for (const normalize of [true, false]) {
      const d = setup({ manifests: { v: { ...manifests.visual, normalize } }, onnx: { 'clip/visual.onnx': tinyBrokenVisual({ dim: DIM, kind: 'zero' }).bytes } });
      const enc = (await loadExternalEncoder(d, 'tiny-clip-visual')) as ExternalMediaEncoder;
      try {
        const err = await rejection(enc.encode([images.scene]));
        expect(err).toMatchObject({
          code: 'MODEL_INVALID',
          message: expect.stringContaining(`${join(d, 'v.encoder.json')}: output 'image_embeds' of ${join(d, 'clip/visual.onnx')} is all zeros for input 0 of the batch`),
        });
      } finally {
        await enc.close();
      }
    }
  });
});

describe('picking external encoders (config and `rosetta models list`)', () => {
  it('refuses a modality picked twice with INVALID_ARGUMENT naming it', () => {
    for (const encoders of ['image=a,image=b', 'image=a, text=t, image=a']) {
      expect(() => loadConfig({ encoders }, {})).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('image is picked twice') }));
    }
    expect(() => loadConfig({}, { ROSETTA_ENCODERS: 'audio=x,audio=y' })).toThrow(/ROSETTA_ENCODERS.*audio is picked twice/);
  });

  it('shows a pick of an invalid manifest or one of another modality on that manifest\'s row only, with the reason', async () => {
    const d = writeModels(root, 'picks', {
      manifests: { broken: { ...manifests.visual, name: 'broken', modality: 'video' }, text: manifests.text },
      onnx: { 'clip/text.onnx': text.bytes },
      tokenizer: true,
    });
    const { code, stdout } = await runRosetta('--models-dir', d, '--encoders', 'image=broken,sketch=tiny-clip-text', 'models', 'list', '--json');
    expect(code).toBe(0);
    type Row = { modality: string | null; name: string; source: string; ready: boolean; reason?: string; selected: boolean };
    const rows = (JSON.parse(stdout) as { encoders: Row[] }).encoders.filter((r) => r.source === 'external');
    expect(rows.map((r) => r.name).sort()).toEqual(['broken', 'tiny-clip-text']);
    expect(rows.find((r) => r.name === 'broken')).toMatchObject({ modality: null, ready: false, selected: true, reason: expect.stringContaining('modality:') });
    expect(rows.find((r) => r.name === 'tiny-clip-text')).toMatchObject({
      modality: 'text',
      ready: false,
      reason: 'picked for sketch by --encoders / ROSETTA_ENCODERS, but it is a text encoder',
    });
  });
});
