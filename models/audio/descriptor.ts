import { createHash } from 'node:crypto';
import { RosettaError } from '../errors.ts';
import type { DecodedAudio } from './decode.ts';
import { analyseFrames, type AnalysisParams, type FrameFeatures } from './features.ts';
import { resamplerParams, resample } from './resample.ts';

/*
 * A fixed-length, hand-made audio descriptor: summary statistics of a log-mel spectrogram
 * (16 kHz, 25 ms Hann windows, 10 ms hop, 64 Slaney-scale, Slaney-normalised bands to 8 kHz,
 * log(mel + 1e-10)) and a few classic spectral and temporal features. No learned weights; the
 * "parameters" hashed into the encoder identity are the constants below.
 *
 * Long clips are windowed, not truncated: the statistics are computed over 10 s windows with
 * 5 s hops (the last window is aligned to the clip's end), and the descriptor holds the mean
 * and the maximum of each statistic across windows. A 60 s clip uses all 60 s (11 windows); a
 * clip of 10 s or less is one window, where mean and max coincide.
 *
 * Silence and very short clips give a finite descriptor, never an error: log(mel + 1e-10)
 * floors silence at about -23, every ratio has a guarded denominator, and clips shorter than
 * 50 ms are zero-padded to 50 ms (3 frames) before analysis, with their true length kept in
 * the duration feature. A clip with no samples at all is refused with EMPTY_INPUT.
 *
 * Layout of one window's statistics (WINDOW_STATS = 271 values):
 *   [0, 64)    mean log-mel per band          [64, 128)  std of log-mel per band
 *   [128, 192) mean |delta| per band          [192, 256) mean |delta-delta| per band
 *   256-263    mean, std of: spectral centroid, bandwidth and 85% rolloff (of the power
 *              spectrum up to 8 kHz, as fractions of 8 kHz), and flatness (over the mel bands)
 *   264-267    frame energy in dB: mean, std, max, 10th percentile
 *   268-269    zero-crossing rate: mean, std
 *   270        onset rate (onsets per second, spectral-flux peak picking)
 * The descriptor: [0, 271) window mean, [271, 542) window max, 542 log duration (ln seconds).
 * Every value is standardised with fixed constants (SCALING) so that each group is of order
 * one and none dominates a distance; the alignment stage whitens on top of that.
 */

const ANALYSIS: AnalysisParams = {
  sampleRate: 16_000,
  bands: 64,
  fMax: 8000,
  windowMs: 25,
  hopMs: 10,
  eps: 1e-10,
  rolloffFraction: 0.85,
  onset: { peakRadius: 3, meanRadius: 10, delta: 0.5, minGap: 5 },
};

const WINDOW_SECONDS = 10;
const WINDOW_HOP_SECONDS = 5;
const MIN_SECONDS = 0.05;

/**
 * (value - centre) / scale for each group, chosen from the spread of the features over tones,
 * noise, speech and silence so that typical values land in about [-3, 3].
 */
const SCALING = {
  melMean: [-15, 6],
  melStd: [1.5, 1.5],
  melDelta: [0.5, 0.5],
  melDelta2: [0.8, 0.8],
  shapeMean: [0.3, 0.2],
  shapeStd: [0.1, 0.1],
  flatnessMean: [0.3, 0.3],
  flatnessStd: [0.1, 0.1],
  rmsDb: [-40, 20],
  rmsDbStd: [10, 10],
  zcrMean: [0.15, 0.15],
  zcrStd: [0.05, 0.05],
  onsetRate: [1.5, 1.5],
  logDuration: [1.5, 1.5],
} as const satisfies Record<string, readonly [number, number]>;

const BANDS = ANALYSIS.bands;
const WINDOW_STATS = 4 * BANDS + 8 + 4 + 2 + 1;

/** Length of the vector audioDescriptor returns. */
export const AUDIO_DESCRIPTOR_DIM = 2 * WINDOW_STATS + 1;

/** Every constant that shapes the descriptor; its hash is the encoder's weightsHash. */
export const audioDescriptorParams = {
  analysis: ANALYSIS,
  melScale: 'slaney',
  melNorm: 'slaney',
  window: 'hann-periodic',
  resampler: resamplerParams,
  windowSeconds: WINDOW_SECONDS,
  windowHopSeconds: WINDOW_HOP_SECONDS,
  minSeconds: MIN_SECONDS,
  scaling: SCALING,
  dim: AUDIO_DESCRIPTOR_DIM,
} as const;

export const audioDescriptorHash = createHash('sha256').update(JSON.stringify(audioDescriptorParams)).digest('hex');

/**
 * The fixed-length descriptor of a clip (any rate; resampled to 16 kHz first when needed).
 *
 * @example
 * const v = audioDescriptor(await decodeAudio({ name: 'a.wav', data }));
 * // Float32Array(543), every value finite, typically within [-5, 5]
 */
export function audioDescriptor(audio: DecodedAudio): Float32Array {
  assertDescribable(audio);
  let samples = resample(audio.samples, audio.sampleRate, ANALYSIS.sampleRate);
  const minLength = Math.ceil(MIN_SECONDS * ANALYSIS.sampleRate);
  if (samples.length < minLength) {
    const padded = new Float32Array(minLength);
    padded.set(samples);
    samples = padded;
  }
  const f = analyseFrames(samples, ANALYSIS);
  const windows = descriptorWindows(f.frames, Math.round((WINDOW_SECONDS * 1000) / ANALYSIS.hopMs), Math.round((WINDOW_HOP_SECONDS * 1000) / ANALYSIS.hopMs));
  const mean = new Float64Array(WINDOW_STATS);
  const max = new Float64Array(WINDOW_STATS).fill(-Infinity);
  const stats = new Float64Array(WINDOW_STATS);
  for (const [a, b] of windows) {
    windowStats(f, a, b, stats);
    for (let i = 0; i < WINDOW_STATS; i++) {
      mean[i] += stats[i] / windows.length;
      if (stats[i] > max[i]) max[i] = stats[i];
    }
  }
  const out = new Float32Array(AUDIO_DESCRIPTOR_DIM);
  out.set(mean, 0);
  out.set(max, WINDOW_STATS);
  out[2 * WINDOW_STATS] = standardise(Math.log(Math.max(audio.duration, 0.01)), SCALING.logDuration);
  return out;
}

/** Throws the RosettaError audioDescriptor would throw for this audio, if any. */
export function assertDescribable(audio: DecodedAudio): void {
  if (audio.samples.length === 0) throw new RosettaError('EMPTY_INPUT', 'audioDescriptor: the audio has no samples');
  if (!(Number.isInteger(audio.sampleRate) && audio.sampleRate > 0)) {
    throw new RosettaError('INVALID_ARGUMENT', `audioDescriptor: sampleRate must be a positive integer, got ${audio.sampleRate}`);
  }
}

/**
 * Frame ranges [start, end) of the analysis windows: one window when the clip fits, else
 * windows every `hop` frames and a last one ending at the last frame, so every frame is used.
 *
 * @example
 * descriptorWindows(2998, 1000, 500) // [[0,1000],[500,1500],[1000,2000],[1500,2500],[1998,2998]]
 */
export function descriptorWindows(frames: number, size: number, hop: number): Array<[number, number]> {
  if (frames <= size) return [[0, frames]];
  const out: Array<[number, number]> = [];
  let start = 0;
  for (; start + size <= frames; start += hop) out.push([start, start + size]);
  if (out[out.length - 1][1] < frames) out.push([frames - size, frames]);
  return out;
}

function windowStats(f: FrameFeatures, a: number, b: number, out: Float64Array): void {
  const n = b - a;
  const L = f.logMel;
  let o = 0;
  for (let k = 0; k < BANDS; k++) {
    let s = 0;
    let s2 = 0;
    let d1 = 0;
    let d2 = 0;
    for (let t = a; t < b; t++) {
      const v = L[t * BANDS + k];
      s += v;
      s2 += v * v;
      if (t > a) d1 += Math.abs(v - L[(t - 1) * BANDS + k]);
      if (t > a + 1) d2 += Math.abs(v - 2 * L[(t - 1) * BANDS + k] + L[(t - 2) * BANDS + k]);
    }
    const m = s / n;
    out[o + k] = standardise(m, SCALING.melMean);
    out[o + BANDS + k] = standardise(Math.sqrt(Math.max(0, s2 / n - m * m)), SCALING.melStd);
    out[o + 2 * BANDS + k] = standardise(n > 1 ? d1 / (n - 1) : 0, SCALING.melDelta);
    out[o + 3 * BANDS + k] = standardise(n > 2 ? d2 / (n - 2) : 0, SCALING.melDelta2);
  }
  o = 4 * BANDS;
  for (const series of [f.centroid, f.bandwidth, f.rolloff]) {
    const [m, sd] = meanStd(series, a, b);
    out[o++] = standardise(m, SCALING.shapeMean);
    out[o++] = standardise(sd, SCALING.shapeStd);
  }
  const [fm, fsd] = meanStd(f.flatness, a, b);
  out[o++] = standardise(fm, SCALING.flatnessMean);
  out[o++] = standardise(fsd, SCALING.flatnessStd);

  const [rm, rsd] = meanStd(f.rmsDb, a, b);
  const sorted = f.rmsDb.slice(a, b).sort();
  out[o++] = standardise(rm, SCALING.rmsDb);
  out[o++] = standardise(rsd, SCALING.rmsDbStd);
  out[o++] = standardise(sorted[n - 1], SCALING.rmsDb);
  out[o++] = standardise(sorted[Math.floor(0.1 * (n - 1))], SCALING.rmsDb);

  const [zm, zsd] = meanStd(f.zcr, a, b);
  out[o++] = standardise(zm, SCALING.zcrMean);
  out[o++] = standardise(zsd, SCALING.zcrStd);

  let count = 0;
  for (let t = a; t < b; t++) count += f.onsets[t];
  out[o++] = standardise(count / (n * f.hopSeconds), SCALING.onsetRate);
}

function meanStd(x: Float32Array, a: number, b: number): [number, number] {
  let s = 0;
  let s2 = 0;
  for (let t = a; t < b; t++) {
    s += x[t];
    s2 += x[t] * x[t];
  }
  const n = b - a;
  const m = s / n;
  return [m, Math.sqrt(Math.max(0, s2 / n - m * m))];
}

function standardise(v: number, [centre, scale]: readonly [number, number]): number {
  return (v - centre) / scale;
}
