// Audio recipes: a fixed-length window of the decoded clip, fed either as raw samples or as a
// log-mel spectrogram. Clips are cut or padded to exactly `seconds` so a batch stacks.
import { z } from 'zod';
import { decodeAudio, logMelSpectrogram } from '../audio/index.ts';
import type { MediaInput } from '../types.ts';
import type { MediaKind, MediaPipeline } from './pipeline.ts';

const window = {
  /** Rate the clip is resampled to before anything else. */
  sampleRate: z.int().min(1000).max(384_000),
  /** Length of the window the model sees; longer clips keep their first `seconds`. */
  seconds: z.number().positive().max(600),
  /** How a shorter clip is filled: with silence, or by repeating it (CLAP's "repeatpad"). */
  padding: z.enum(['zero', 'repeat']).default('zero'),
};

export const waveformRecipeSchema = z.strictObject({
  kind: z.literal('waveform'),
  ...window,
  /** 'NT': [batch, samples]; 'N1T': [batch, 1, samples]. */
  layout: z.enum(['NT', 'N1T']).default('NT'),
});
export type WaveformRecipe = z.infer<typeof waveformRecipeSchema>;

/** `{modality: 'audio', preprocess: {kind: 'waveform', sampleRate: 16000, seconds: 10}}`. */
export const waveformKind: MediaKind<WaveformRecipe> = {
  input: 'media',
  schema: waveformRecipeSchema,
  required: 'audio',
  optional: [],
  files: () => [],
  async create(recipe) {
    const length = windowLength(recipe);
    return fromSamples(recipe, length, (samples) => samples, (n) =>
      recipe.layout === 'NT' ? [n, length] : [n, 1, length],
    );
  },
};

export const logMelRecipeSchema = z.strictObject({
  kind: z.literal('log-mel'),
  ...window,
  /** Mel bands (CLAP: 64). The remaining options default to the audio module's (25 ms / 10 ms, 0-8000 Hz). */
  bands: z.int().min(1).max(512),
  fMin: z.number().nonnegative().optional(),
  fMax: z.number().positive().optional(),
  windowMs: z.number().positive().optional(),
  hopMs: z.number().positive().optional(),
  /** 'N1TM': [batch, 1, frames, bands] (CLAP); 'NTM'; 'NMT': [batch, bands, frames] (Whisper); 'N1MT'. */
  layout: z.enum(['N1TM', 'NTM', 'NMT', 'N1MT']),
}).superRefine((r, ctx) => {
  // Checked here rather than left to the spectrogram so that the message names the manifest keys
  // and `rosetta models list` reports it. An fMax above the Nyquist frequency is refused, not
  // clamped: the bands would silently differ from the ones the model was trained on.
  const nyquist = r.sampleRate / 2;
  if (r.fMax !== undefined && r.fMax > nyquist) {
    ctx.addIssue({
      code: 'custom',
      path: ['fMax'],
      message: `(${r.fMax}) must be at most half of preprocess.sampleRate (${nyquist})`,
      params: { inline: true },
    });
  } else if (r.fMin !== undefined && r.fMin >= (r.fMax ?? Math.min(defaultFMax, nyquist))) {
    const top = r.fMax !== undefined ? `preprocess.fMax (${r.fMax})` : `the default fMax (${Math.min(defaultFMax, nyquist)})`;
    ctx.addIssue({ code: 'custom', path: ['fMin'], message: `(${r.fMin}) must be below ${top}`, params: { inline: true } });
  }
});

/** The audio module's default top band edge (models/audio/mel.ts), capped there at the Nyquist frequency. */
const defaultFMax = 8000;
export type LogMelRecipe = z.infer<typeof logMelRecipeSchema>;

/**
 * `{modality: 'audio', preprocess: {kind: 'log-mel', sampleRate: 48000, seconds: 10, bands: 64, layout: 'N1TM'}}`.
 * The spectrogram is the audio module's natural-log mel (the one the built-in encoder uses).
 */
export const logMelKind: MediaKind<LogMelRecipe> = {
  input: 'media',
  schema: logMelRecipeSchema,
  required: 'audio',
  optional: [],
  files: () => [],
  async create(recipe) {
    const length = windowLength(recipe);
    const { bands, fMin, fMax, windowMs, hopMs } = recipe;
    // Unset keys are left out, not passed as undefined, which would override the defaults.
    const options = Object.fromEntries(
      Object.entries({ bands, fMin, fMax, windowMs, hopMs }).filter(([, v]) => v !== undefined),
    );
    // Every clip is fitted to `length` samples first, so the frame count is the same for all.
    const frames = logMelSpectrogram(new Float32Array(length), recipe.sampleRate, options).frames;
    const bandsFirst = recipe.layout === 'NMT' || recipe.layout === 'N1MT';
    const transform = (samples: Float32Array) => {
      const mel = logMelSpectrogram(samples, recipe.sampleRate, options);
      return bandsFirst ? transpose(mel.data, mel.frames, mel.bands) : mel.data;
    };
    const dims = (n: number) => {
      const inner = bandsFirst ? [bands, frames] : [frames, bands];
      return recipe.layout.startsWith('N1') ? [n, 1, ...inner] : [n, ...inner];
    };
    return fromSamples(recipe, length, transform, dims);
  },
};

function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}

/** Number of samples in the model's window. */
export function windowLength(recipe: { sampleRate: number; seconds: number }): number {
  return Math.round(recipe.sampleRate * recipe.seconds);
}

/**
 * Cuts or pads `samples` to exactly `length`.
 *
 * @example
 * fitSamples(Float32Array.of(1, 2), 5, 'repeat') // Float32Array [1, 2, 1, 2, 1]
 */
export function fitSamples(samples: Float32Array, length: number, padding: 'zero' | 'repeat'): Float32Array {
  if (samples.length >= length) return samples.slice(0, length);
  const out = new Float32Array(length);
  out.set(samples);
  if (padding === 'repeat' && samples.length > 0) {
    for (let at = samples.length; at < length; at += samples.length) {
      out.set(samples.subarray(0, Math.min(samples.length, length - at)), at);
    }
  }
  return out;
}

/** A pipeline that decodes, fits the window, then applies `transform` to the samples. */
export function fromSamples(
  recipe: { sampleRate: number; padding: 'zero' | 'repeat' },
  length: number,
  transform: (samples: Float32Array) => Float32Array,
  dims: (n: number) => number[],
): MediaPipeline {
  return {
    async prepare(input: MediaInput) {
      const { samples } = await decodeAudio(input, { sampleRate: recipe.sampleRate });
      return transform(fitSamples(samples, length, recipe.padding));
    },
    dummy: async () => transform(new Float32Array(length)),
    dims,
  };
}
