import { melFilterbank, melPowers } from './mel.ts';
import { forEachPowerSpectrum, frameCount, stftPlan } from './stft.ts';

/** Per-frame analysis of a clip: everything the descriptor summarises. */
export interface FrameFeatures {
  frames: number;
  bands: number;
  /** Seconds between frames. */
  hopSeconds: number;
  /** frames x bands log-mel, row-major. */
  logMel: Float32Array;
  /** Frame energy in dB (10·log10(mean x² + 1e-10)). */
  rmsDb: Float32Array;
  /** Fraction of adjacent samples that change sign. */
  zcr: Float32Array;
  /** Spectral centroid, bandwidth and 85% rolloff as fractions of fMax. */
  centroid: Float32Array;
  bandwidth: Float32Array;
  rolloff: Float32Array;
  /** Spectral flatness over the mel bands: geometric / arithmetic mean, in (0, 1]. */
  flatness: Float32Array;
  /** Onset strength: the mean over bands of the rise in log-mel from the previous frame. */
  flux: Float32Array;
  /** 1 where an onset was picked. */
  onsets: Uint8Array;
}

export interface AnalysisParams {
  sampleRate: number;
  bands: number;
  fMax: number;
  windowMs: number;
  hopMs: number;
  eps: number;
  rolloffFraction: number;
  onset: OnsetParams;
}

export interface OnsetParams {
  /** A peak must be the largest flux within ±this many frames. */
  peakRadius: number;
  /** ...and exceed the mean flux within ±this many frames... */
  meanRadius: number;
  /** ...by at least this much (log units per band). */
  delta: number;
  /** Frames that must separate two onsets. */
  minGap: number;
}

/**
 * Runs the STFT once and derives every per-frame feature from the same power spectrum, so the
 * descriptor costs one FFT per 10 ms frame.
 */
export function analyseFrames(samples: Float32Array, p: AnalysisParams): FrameFeatures {
  const plan = stftPlan(p.sampleRate, p.windowMs, p.hopMs);
  const bank = melFilterbank(plan, p.bands, 0, p.fMax);
  const frames = frameCount(plan, samples.length);
  const bands = p.bands;
  const logMel = new Float32Array(frames * bands);
  const rmsDb = new Float32Array(frames);
  const zcr = new Float32Array(frames);
  const centroid = new Float32Array(frames);
  const bandwidth = new Float32Array(frames);
  const rolloff = new Float32Array(frames);
  const flatness = new Float32Array(frames);
  const binHz = p.sampleRate / plan.nfft;
  const topBin = Math.min(plan.bins - 1, Math.floor(p.fMax / binHz));
  const melEps = p.eps;
  const mel = new Float64Array(bands);

  const signChanges = signChangeCounts(samples);

  forEachPowerSpectrum(samples, plan, (t, power, start) => {
    // Time domain: energy and zero crossings over the (unwindowed) frame.
    const end = Math.min(samples.length, start + plan.win);
    let energy = 0;
    for (let i = start; i < end; i++) energy += samples[i] * samples[i];
    rmsDb[t] = 10 * Math.log10(energy / plan.win + 1e-10);
    zcr[t] = (signChanges[end] - signChanges[Math.min(start + 1, end)]) / (plan.win - 1);

    // Spectral shape up to fMax: one pass for the moments, a second (early-exit) for rolloff.
    let total = 0;
    let m1 = 0;
    let m2 = 0;
    for (let k = 0; k <= topBin; k++) {
      const pk = power[k];
      total += pk;
      m1 += k * pk;
      m2 += k * k * pk;
    }
    let roll = 0;
    if (total > 0) {
      const target = p.rolloffFraction * total;
      let cumulative = 0;
      for (roll = 0; roll < topBin; roll++) {
        cumulative += power[roll];
        if (cumulative >= target) break;
      }
    }
    const c = total > 0 ? m1 / total : 0;
    centroid[t] = (c * binHz) / p.fMax;
    bandwidth[t] = total > 0 ? (Math.sqrt(Math.max(0, m2 / total - c * c)) * binHz) / p.fMax : 0;
    rolloff[t] = (roll * binHz) / p.fMax;

    // Log-mel, and flatness from the same bands (no logs beyond the 64 the log-mel needs).
    const off = t * bands;
    melPowers(power, bank, mel);
    let logSum = 0;
    let linSum = 0;
    for (let b = 0; b < bands; b++) {
      const v = mel[b] + melEps;
      const l = Math.log(v);
      logMel[off + b] = l;
      logSum += l;
      linSum += v;
    }
    flatness[t] = Math.exp(logSum / bands) / (linSum / bands);
  });

  const flux = onsetStrength(logMel, frames, bands);
  const onsets = pickOnsets(flux, p.onset);
  return { frames, bands, hopSeconds: plan.hop / p.sampleRate, logMel, rmsDb, zcr, centroid, bandwidth, rolloff, flatness, flux, onsets };
}

let signScratch = new Int32Array(0);
const MAX_SCRATCH = 60 * 16_000 + 1;

/**
 * c[i] = how many of the sample pairs (j - 1, j), j < i, change sign (x < 0 on one side only),
 * so a frame [start, end) has c[end] - c[start + 1] zero crossings. Counted once per sample
 * rather than once per frame (frames overlap 2.5 times), and without branches: a branch on the
 * sign of noise mispredicts half the time. Energy and crossings per frame took 1.3-2 CPU ms
 * per 10 s clip with that branch, 0.7 ms this way.
 */
function signChangeCounts(samples: Float32Array): Int32Array {
  const n = samples.length;
  const bits = new Int32Array(samples.buffer, samples.byteOffset, n);
  // Reused from clip to clip (up to a minute's worth): a fresh 640 KB array per 10 s clip cost
  // more in page faults than this loop. Only analyseFrames reads it, before it returns.
  if (signScratch.length < n + 1 && n + 1 <= MAX_SCRATCH) signScratch = new Int32Array(n + 1);
  const counts = signScratch.length >= n + 1 ? signScratch : new Int32Array(n + 1);
  counts[0] = 0;
  // -1 where x < 0, else 0, from the float's bits: sign bit set, and not -0 (bits - 1 then wraps
  // to a positive number). NaN is not audio and counts either way.
  const negative = (b: number): number => ((b - 1) >> 31) & (b >> 31);
  let prev = n > 0 ? negative(bits[0]) : 0;
  let c = 0;
  for (let i = 0; i < n; i++) {
    const neg = negative(bits[i]);
    c += (neg ^ prev) & 1;
    prev = neg;
    counts[i + 1] = c;
  }
  return counts;
}

/** Mean positive rise of log-mel per band from the previous frame; 0 for the first frame. */
export function onsetStrength(logMel: Float32Array, frames: number, bands: number): Float32Array {
  const flux = new Float32Array(frames);
  for (let t = 1; t < frames; t++) {
    let s = 0;
    const a = t * bands;
    const b = a - bands;
    for (let k = 0; k < bands; k++) {
      const d = logMel[a + k] - logMel[b + k];
      // Not `if (d > 0)`: that branch mispredicts on noise.
      s += d > 0 ? d : 0;
    }
    flux[t] = s / bands;
  }
  return flux;
}

/**
 * Peak picking in the style of librosa's onset_detect, but with an absolute threshold: the
 * flux is in log units, so a fixed delta means the same loudness jump in every clip, and
 * silence or steady noise (whose flux hovers near its local mean) gives no onsets.
 */
export function pickOnsets(flux: Float32Array, o: OnsetParams): Uint8Array {
  const n = flux.length;
  const onsets = new Uint8Array(n);
  // Prefix sums for the moving mean.
  const prefix = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i] + flux[i];
  let last = -Infinity;
  for (let t = 1; t < n; t++) {
    const v = flux[t];
    const lo = Math.max(0, t - o.meanRadius);
    const hi = Math.min(n, t + o.meanRadius + 1);
    if (v < (prefix[hi] - prefix[lo]) / (hi - lo) + o.delta) continue;
    let isPeak = true;
    for (let j = Math.max(0, t - o.peakRadius); j <= Math.min(n - 1, t + o.peakRadius); j++) {
      if (flux[j] > v) {
        isPeak = false;
        break;
      }
    }
    if (isPeak && t - last >= o.minGap) {
      onsets[t] = 1;
      last = t;
    }
  }
  return onsets;
}
