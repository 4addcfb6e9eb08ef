import { RosettaError } from '../errors.ts';
import { forEachPowerSpectrum, frameCount, stftPlan, type StftPlan } from './stft.ts';

export interface MelOptions {
  /** Number of mel bands (default 64). */
  bands?: number;
  /** Lowest filter edge in Hz (default 0). */
  fMin?: number;
  /** Highest filter edge in Hz (default 8000, capped at the Nyquist frequency). */
  fMax?: number;
  /** Analysis window in ms (default 25; a periodic Hann window). */
  windowMs?: number;
  /** Hop between frames in ms (default 10). */
  hopMs?: number;
  /** Added before the log so that silence stays finite: log(mel + eps). Default 1e-10. */
  eps?: number;
}

export interface LogMel {
  frames: number;
  bands: number;
  /** frames x bands, row-major. */
  data: Float32Array;
}

export const melDefaults = { bands: 64, fMin: 0, fMax: 8000, windowMs: 25, hopMs: 10, eps: 1e-10 } as const;

/**
 * Slaney's mel scale (the Auditory Toolbox's, librosa's default): linear below 1 kHz, logarithmic
 * above. Chosen over HTK's 2595·log10(1 + f/700) because it is what most audio-tagging models
 * and librosa use, so values are comparable with published features.
 */
export function hzToMel(hz: number): number {
  const fSp = 200 / 3;
  const minLogHz = 1000;
  const logStep = Math.log(6.4) / 27;
  return hz < minLogHz ? hz / fSp : minLogHz / fSp + Math.log(hz / minLogHz) / logStep;
}

export function melToHz(mel: number): number {
  const fSp = 200 / 3;
  const minLogMel = 1000 / fSp;
  const logStep = Math.log(6.4) / 27;
  return mel < minLogMel ? mel * fSp : 1000 * Math.exp(logStep * (mel - minLogMel));
}

/** Triangular filters stored sparsely: band b covers bins [start[b], start[b] + weights[b].length). */
export interface MelFilterbank {
  bands: number;
  start: Int32Array;
  /** Views into `flat`, one per band. */
  weights: Float64Array[];
  /** Every band's weights end to end (band b's from offset[b] to offset[b + 1]): one array to walk. */
  flat: Float64Array;
  offset: Int32Array;
  /** Centre frequency of each band in Hz. */
  centres: Float64Array;
}

const banks = new Map<string, MelFilterbank>();

/**
 * Slaney-normalised triangular filters (each divided by its width in Hz, as librosa's
 * norm='slaney'), so a band's value is a power density and wide high bands do not dominate.
 */
export function melFilterbank(plan: StftPlan, bands: number, fMin: number, fMax: number): MelFilterbank {
  const key = `${plan.sampleRate}/${plan.nfft}/${bands}/${fMin}/${fMax}`;
  const cached = banks.get(key);
  if (cached) return cached;
  const top = Math.min(fMax, plan.sampleRate / 2);
  const lowMel = hzToMel(fMin);
  const highMel = hzToMel(top);
  const edges = new Float64Array(bands + 2);
  for (let i = 0; i < bands + 2; i++) edges[i] = melToHz(lowMel + ((highMel - lowMel) * i) / (bands + 1));
  const binHz = plan.sampleRate / plan.nfft;
  const start = new Int32Array(bands);
  const weights: Float64Array[] = [];
  const centres = new Float64Array(bands);
  for (let b = 0; b < bands; b++) {
    const [lo, mid, hi] = [edges[b], edges[b + 1], edges[b + 2]];
    centres[b] = mid;
    const norm = 2 / (hi - lo);
    const first = Math.max(0, Math.ceil(lo / binHz));
    const last = Math.min(plan.bins - 1, Math.floor(hi / binHz));
    const w: number[] = [];
    for (let k = first; k <= last; k++) {
      const f = k * binHz;
      const up = (f - lo) / (mid - lo);
      const down = (hi - f) / (hi - mid);
      w.push(Math.max(0, Math.min(up, down)) * norm);
    }
    start[b] = first;
    weights.push(Float64Array.from(w));
  }
  const offset = new Int32Array(bands + 1);
  for (let b = 0; b < bands; b++) offset[b + 1] = offset[b] + weights[b].length;
  const flat = new Float64Array(offset[bands]);
  for (let b = 0; b < bands; b++) flat.set(weights[b], offset[b]);
  const bank = { bands, start, weights: weights.map((_, b) => flat.subarray(offset[b], offset[b + 1])), flat, offset, centres };
  banks.set(key, bank);
  return bank;
}

/** Mel band powers of one power spectrum, into `out`. */
export function melPowers(power: Float64Array, bank: MelFilterbank, out: Float64Array): void {
  const { flat, offset, start, bands } = bank;
  for (let b = 0; b < bands; b++) {
    const shift = start[b] - offset[b];
    let acc = 0;
    for (let i = offset[b], end = offset[b + 1]; i < end; i++) acc += flat[i] * power[shift + i];
    out[b] = acc;
  }
}

export function resolveMelOptions(options: MelOptions = {}): Required<MelOptions> {
  const o = { ...melDefaults, ...options };
  const positive = (v: number, name: string): void => {
    if (!(Number.isFinite(v) && v > 0)) throw new RosettaError('INVALID_ARGUMENT', `mel option ${name} must be a positive number, got ${v}`);
  };
  positive(o.bands, 'bands');
  positive(o.windowMs, 'windowMs');
  positive(o.hopMs, 'hopMs');
  positive(o.eps, 'eps');
  positive(o.fMax, 'fMax');
  if (!Number.isInteger(o.bands)) throw new RosettaError('INVALID_ARGUMENT', `mel option bands must be an integer, got ${o.bands}`);
  if (!(o.fMin >= 0 && o.fMin < o.fMax)) throw new RosettaError('INVALID_ARGUMENT', `mel option fMin must be in [0, fMax), got ${o.fMin}`);
  return o;
}

/**
 * Log-mel spectrogram: 25 ms periodic Hann windows every 10 ms, FFT (fft.js) zero-padded to a
 * power of two, power spectrum, 64 Slaney mel bands from 0 to 8 kHz, then log(mel + 1e-10).
 * Frames start at sample 0 (no centring); a signal shorter than one window gives one frame.
 *
 * @example
 * const { frames, bands, data } = logMelSpectrogram(samples16k, 16000);
 * // 1 s at 16 kHz -> frames 98, bands 64, data.length 6272; data[t * bands + b]
 */
export function logMelSpectrogram(samples: Float32Array, sampleRate: number, options?: MelOptions): LogMel {
  if (!(Number.isFinite(sampleRate) && sampleRate > 0)) {
    throw new RosettaError('INVALID_ARGUMENT', `sampleRate must be a positive number, got ${sampleRate}`);
  }
  const o = resolveMelOptions(options);
  const plan = stftPlan(sampleRate, o.windowMs, o.hopMs);
  const bank = melFilterbank(plan, o.bands, o.fMin, o.fMax);
  const frames = frameCount(plan, samples.length);
  const data = new Float32Array(frames * o.bands);
  const mel = new Float64Array(o.bands);
  forEachPowerSpectrum(samples, plan, (t, power) => {
    melPowers(power, bank, mel);
    for (let b = 0; b < o.bands; b++) data[t * o.bands + b] = Math.log(mel[b] + o.eps);
  });
  return { frames, bands: o.bands, data };
}

