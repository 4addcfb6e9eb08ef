import { describe, expect, it } from 'vitest';
import { RosettaError } from '../errors.ts';
import { parseManifest } from './manifest.ts';
import { knownKinds } from './registry.ts';

const file = '/srv/models/clip-visual.encoder.json';
const clipVisual = {
  name: 'clip-vit-b32-visual',
  version: '1',
  modality: 'image',
  onnx: 'clip/visual.onnx',
  inputs: { pixel_values: 'image' },
  output: 'image_embeds',
  dim: 512,
  normalize: true,
  preprocess: {
    kind: 'image',
    size: 224,
    resize: 'shortest-side-crop',
    kernel: 'cubic',
    layout: 'NCHW',
    scale: 1,
    mean: [0.48145466, 0.4578275, 0.40821073],
    std: [0.26862954, 0.26130258, 0.27577711],
  },
};

function invalid(raw: unknown): RosettaError {
  try {
    parseManifest(file, raw);
  } catch (err) {
    expect(err).toBeInstanceOf(RosettaError);
    expect((err as RosettaError).code).toBe('MODEL_INVALID');
    expect((err as RosettaError).message).toContain(file);
    return err as RosettaError;
  }
  throw new Error('manifest was accepted');
}

describe('parseManifest', () => {
  it("accepts CLIP's visual manifest and resolves the ONNX path beside the manifest", () => {
    const parsed = parseManifest(file, clipVisual);
    expect(parsed.onnxPath).toBe('/srv/models/clip/visual.onnx');
    expect(parsed.files).toEqual([file, '/srv/models/clip/visual.onnx']);
    expect(parsed.manifest.maxBatch).toBe(16);
    expect(parsed.recipe).toEqual(clipVisual.preprocess);
  });

  it('lists the text tokenizer among the files', () => {
    const parsed = parseManifest(file, {
      ...clipVisual,
      modality: 'text',
      inputs: { input_ids: 'tokens', attention_mask: 'mask' },
      preprocess: { kind: 'tokenizer', tokenizer: 'clip/tokenizer.json', maxLength: 77, pad: '<|endoftext|>' },
    });
    expect(parsed.files).toContain('/srv/models/clip/tokenizer.json');
    expect(parsed.recipe).toMatchObject({ dtype: 'int64', truncation: 'keep-last', padding: 'max-length' });
  });

  it('rejects a manifest missing fields with MODEL_INVALID naming every missing key', () => {
    const { name: _n, dim: _d, output: _o, ...rest } = clipVisual;
    const err = invalid(rest);
    expect(err.message).toMatch(/name: missing/);
    expect(err.message).toMatch(/dim: missing/);
    expect(err.message).toMatch(/output: missing/);
  });

  it('rejects wrong types, unknown keys and a bad recipe field in one message', () => {
    const err = invalid({
      ...clipVisual,
      dim: '512',
      normalise: true,
      preprocess: { ...clipVisual.preprocess, mean: [0.5, 0.5], colour: 'rgb' },
    });
    for (const key of ['dim:', 'normalise: unknown key', 'preprocess.mean', 'preprocess.colour: unknown key']) {
      expect(err.message).toContain(key);
    }
  });

  it('rejects an unknown modality with MODEL_INVALID', () => {
    expect(invalid({ ...clipVisual, modality: 'video' }).message).toContain('modality:');
  });

  it('rejects an unknown recipe kind, naming the kinds the modality knows', () => {
    const err = invalid({ ...clipVisual, modality: 'audio', inputs: { x: 'audio' }, preprocess: { kind: 'mfcc' } });
    expect(err.message).toContain("kind 'mfcc'");
    for (const kind of knownKinds('audio')) expect(err.message).toContain(kind);
    expect(knownKinds('audio')).toContain('waveform');
  });

  it('rejects a recipe kind of another modality (image recipe on text)', () => {
    expect(invalid({ ...clipVisual, modality: 'text' }).message).toContain("no text preprocessing of kind 'image'");
  });

  it('rejects input roles the modality does not take, and a missing main input', () => {
    const err = invalid({ ...clipVisual, inputs: { input_ids: 'tokens' } });
    expect(err.message).toContain("inputs.input_ids: role 'tokens'");
    expect(err.message).toContain("exactly one input with role 'image'");
  });

  it('rejects an unknown input role', () => {
    expect(invalid({ ...clipVisual, inputs: { pixel_values: 'pixels' } }).message).toContain('inputs.pixel_values');
  });

  it('rejects a name that could not be stored in an identity key', () => {
    expect(invalid({ ...clipVisual, name: 'clip@v2' }).message).toContain('name:');
  });

  it('rejects JSON that is not an object', () => {
    expect(invalid([clipVisual]).message).toContain('must be a JSON object');
  });

  describe('log-mel band edges', () => {
    const clap = (over: object) => ({
      ...clipVisual,
      modality: 'audio',
      inputs: { input_features: 'audio' },
      preprocess: { kind: 'log-mel', sampleRate: 16000, seconds: 10, bands: 64, layout: 'N1TM', ...over },
    });

    it('accepts edges inside [0, sampleRate / 2]', () => {
      expect(parseManifest(file, clap({ fMin: 50, fMax: 8000 })).recipe).toMatchObject({ fMin: 50, fMax: 8000 });
    });

    it('rejects an fMin at or above fMax, naming both keys', () => {
      expect(invalid(clap({ fMin: 6000, fMax: 1000 })).message).toBe(
        `invalid encoder manifest ${file}: preprocess.fMin (6000) must be below preprocess.fMax (1000)`,
      );
      expect(invalid(clap({ fMin: 1000, fMax: 1000 })).message).toContain('preprocess.fMin (1000) must be below preprocess.fMax (1000)');
    });

    it('rejects an fMin at or above the default fMax (8000 Hz, or the Nyquist frequency when lower)', () => {
      expect(invalid(clap({ fMin: 9000 })).message).toContain('preprocess.fMin (9000) must be below the default fMax (8000)');
      expect(invalid(clap({ sampleRate: 8000, fMin: 5000 })).message).toContain('preprocess.fMin (5000) must be below the default fMax (4000)');
    });

    it('rejects an fMax above the Nyquist frequency instead of clamping it', () => {
      expect(invalid(clap({ fMax: 12000 })).message).toContain('preprocess.fMax (12000) must be at most half of preprocess.sampleRate (8000)');
    });
  });
});
