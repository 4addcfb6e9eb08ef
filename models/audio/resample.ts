import { RosettaError } from '../errors.ts';
import { polyphaseSimd, type PolyphaseSimd } from './polyphase-simd.ts';

/*
 * Band-limited resampling by a Kaiser-windowed sinc, evaluated as a polyphase filter.
 *
 * Hand-written because no installed package resamples in-process (audio-decode only decodes),
 * and linear interpolation would fold everything above the new Nyquist back into the band
 * (a 12 kHz whistle at 44.1 kHz would land at 4 kHz after going to 16 kHz).
 *
 * Design: the cutoff sits at 95% of the lower of the two Nyquist frequencies; the kernel spans
 * 16 zero crossings of that cutoff on each side; Kaiser beta 6 gives about 63 dB of stopband
 * attenuation with a transition band of about 0.12 x the lower rate (16 kHz -> ~1.9 kHz, so
 * 44.1 -> 16 kHz passes up to ~6.6 kHz and stops from ~8.6 kHz). That is plenty for a
 * descriptor built from 64 log-mel bands, at 96 multiply-adds per output sample for
 * 44.1 -> 16 kHz. Those run in WebAssembly SIMD (polyphase-simd.ts): 10 s of 44.1 kHz audio
 * takes about 3 CPU ms there against 30 ms in the JavaScript loop kept as the fallback. A
 * shorter filter would have cost the top mel bands; the SIMD loop made it unnecessary.
 *
 * When the rate ratio reduces to L/M with L <= 4096 (every common rate pair) each output sample
 * uses one of L exact precomputed phases; otherwise the nearest of 1024 phases is used, a timing
 * error under 1/2048 of an input sample (noise below -70 dB for an 8 kHz tone).
 */

const ZERO_CROSSINGS = 16;
const KAISER_BETA = 6;
const ROLLOFF = 0.95;
const MAX_EXACT_PHASES = 4096;
const APPROX_PHASES = 1024;

export const resamplerParams = { ZERO_CROSSINGS, KAISER_BETA, ROLLOFF, MAX_EXACT_PHASES, APPROX_PHASES } as const;

interface Kernel {
  /** Number of phases, L (exact) or APPROX_PHASES. */
  phases: number;
  exact: boolean;
  /** Taps per phase. */
  taps: number;
  /** phases x taps, row p holds the weights for a fractional position p / phases. */
  table: Float32Array;
  /** Reduced ratio: output = input * up / down. */
  up: number;
  down: number;
  /** Exact kernels: where each output of one period reads. */
  steps: Steps;
}

const kernels = new Map<string, Kernel>();

/**
 * Resamples mono audio from one rate to another with a band-limited (anti-aliased) filter.
 * Output length is ceil(input.length * to / from). Returns the input itself when the rates match.
 *
 * @example
 * const y = resample(x44100, 44100, 16000); // y.length === Math.ceil(x44100.length * 16000 / 44100)
 */
export function resample(input: Float32Array, from: number, to: number): Float32Array {
  return resampleWith(input, from, to, polyphaseSimd());
}

/** resample() on the plain JavaScript loop, the fallback where WebAssembly SIMD is missing. */
export function resampleScalar(input: Float32Array, from: number, to: number): Float32Array {
  return resampleWith(input, from, to, null);
}

function resampleWith(input: Float32Array, from: number, to: number, simd: PolyphaseSimd | null): Float32Array {
  for (const [name, rate] of [['from', from], ['to', to]] as const) {
    if (!(Number.isInteger(rate) && rate > 0)) {
      throw new RosettaError('INVALID_ARGUMENT', `resample: ${name} must be a positive integer rate in Hz, got ${rate}`);
    }
  }
  if (from === to) return input;
  const k = kernelFor(from, to);
  const outLength = Math.ceil((input.length * k.up) / k.down);
  const out = new Float32Array(outLength);
  if (input.length === 0) return out;
  // Blocks of outputs: the input each block needs is copied (zero-padded at the clip's ends) so
  // that the inner loop needs no bounds checks and the SIMD memory stays small for long clips.
  // An exact kernel's blocks hold whole periods of `up` outputs, which all share one table of
  // input offsets and phase rows (the next period starts `down` inputs later).
  const blockLength = k.exact ? k.up * Math.max(1, Math.floor(BLOCK_OUTPUTS / k.up)) : BLOCK_OUTPUTS;
  const half = k.taps / 2;
  for (let n0 = 0; n0 < outLength; n0 += blockLength) {
    const n = Math.min(blockLength, outLength - n0);
    const steps = k.exact ? k.steps : approxSteps(k, from / to, n0, n);
    // Input index of output n0's first tap, and how many inputs the block reads.
    const first = (k.exact ? (n0 / k.up) * k.down : steps.first) - half + 1;
    const periods = k.exact ? Math.ceil(n / k.up) : 1;
    const span = (periods - 1) * k.down + steps.offs[Math.min(n, steps.offs.length) - 1] + k.taps;
    if (simd) dotsSimd(simd, k, input, first, span, steps, n, out, n0);
    else dotsScalar(k, input, first, span, steps, n, out, n0);
  }
  return out;
}

/** Outputs computed per block; their input (at most 48 x this for 768 kHz -> 16 kHz) is copied. */
const BLOCK_OUTPUTS = 1 << 15;

/** Where each output of a block (or, exact kernels, of one period) reads. */
interface Steps {
  /** Inexact kernels: input index (before the taps' offset) of the block's first output. */
  first: number;
  /** Per output: its input index minus `first`. */
  offs: Int32Array;
  /** Per output: its phase row. */
  rows: Int32Array;
}

/** The steps of one period of an exact kernel: output r reads from floor(r * down / up). */
function exactSteps(up: number, down: number): Steps {
  const offs = new Int32Array(up);
  const rows = new Int32Array(up);
  for (let r = 0; r < up; r++) {
    const pos = r * down;
    offs[r] = Math.floor(pos / up);
    rows[r] = pos - offs[r] * up;
  }
  return { first: 0, offs, rows };
}

/** The steps of a block of an inexact kernel: the nearest of its phases to each output's time. */
function approxSteps(k: Kernel, step: number, n0: number, n: number): Steps {
  const offs = new Int32Array(n);
  const rows = new Int32Array(n);
  let first = 0;
  for (let j = 0; j < n; j++) {
    const t = (n0 + j) * step;
    let i0 = Math.floor(t);
    let p = Math.round((t - i0) * k.phases);
    if (p === k.phases) {
      p = 0;
      i0++;
    }
    if (j === 0) first = i0;
    offs[j] = i0 - first;
    rows[j] = p;
  }
  return { first, offs, rows };
}

/** input[first, first + span), zero where it falls outside the clip, written into `to` at `at`. */
function copyPadded(input: Float32Array, first: number, span: number, to: Float32Array, at: number): void {
  const a = Math.max(0, first);
  const b = Math.min(input.length, first + span);
  to.fill(0, at, at + span);
  if (b > a) to.set(input.subarray(a, b), at + (a - first));
}

function dotsScalar(k: Kernel, input: Float32Array, first: number, span: number, steps: Steps, n: number, out: Float32Array, n0: number): void {
  const x = new Float32Array(span);
  copyPadded(input, first, span, x, 0);
  const { taps, table, up, down } = k;
  const period = k.exact ? up : n;
  let base = 0;
  let r = 0;
  for (let j = 0; j < n; j++) {
    out[n0 + j] = dot(x, base + steps.offs[r], table, steps.rows[r] * taps, taps);
    if (++r === period) {
      r = 0;
      base += down;
    }
  }
}

/** The same loop in WebAssembly (polyphase-simd.ts); memory: table | offs | rows | input | output. */
function dotsSimd(simd: PolyphaseSimd, k: Kernel, input: Float32Array, first: number, span: number, steps: Steps, n: number, out: Float32Array, n0: number): void {
  const period = k.exact ? k.up : n;
  const tableBytes = 4 * k.table.length;
  const offsAt = tableBytes;
  const rowsAt = offsAt + 4 * period;
  const xAt = rowsAt + 4 * period;
  const outAt = xAt + 4 * span;
  const need = outAt + 4 * n;
  const { memory } = simd;
  if (memory.buffer.byteLength < need) {
    memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
    loaded = null;
  }
  const heap = memory.buffer;
  // The table (and an exact kernel's steps) stays in memory until another kernel needs it.
  if (loaded !== k || !k.exact) {
    new Float32Array(heap, 0, k.table.length).set(k.table);
    const offs = new Int32Array(heap, offsAt, period);
    const rows = new Int32Array(heap, rowsAt, period);
    for (let r = 0; r < period; r++) {
      offs[r] = 4 * steps.offs[r];
      rows[r] = 4 * steps.rows[r] * k.taps;
    }
    loaded = k;
  }
  copyPadded(input, first, span, new Float32Array(heap), xAt / 4);
  simd.dots(xAt, outAt, offsAt, rowsAt, n, 4 * k.taps, period, 4 * k.down);
  out.set(new Float32Array(heap, outAt, n), n0);
}

/** The kernel whose table is in the SIMD memory. */
let loaded: Kernel | null = null;

/** Dot product of n (a multiple of 4) values; four accumulators break the add dependency chain. */
function dot(x: Float32Array, xi: number, h: Float32Array, hi: number, n: number): number {
  let a0 = 0;
  let a1 = 0;
  let a2 = 0;
  let a3 = 0;
  for (let i = 0; i < n; i += 4) {
    a0 += x[xi + i] * h[hi + i];
    a1 += x[xi + i + 1] * h[hi + i + 1];
    a2 += x[xi + i + 2] * h[hi + i + 2];
    a3 += x[xi + i + 3] * h[hi + i + 3];
  }
  return a0 + a1 + a2 + a3;
}

function kernelFor(from: number, to: number): Kernel {
  const key = `${from}>${to}`;
  const cached = kernels.get(key);
  if (cached) return cached;
  const g = gcd(from, to);
  const up = to / g;
  const down = from / g;
  const exact = up <= MAX_EXACT_PHASES;
  const phases = exact ? up : APPROX_PHASES;
  // Cutoff as a fraction of the input Nyquist; the kernel's half-width in input samples.
  const scale = Math.min(1, to / from);
  const cutoff = ROLLOFF * scale;
  const halfWidth = ZERO_CROSSINGS / scale;
  // A multiple of 8 for the unrolled dot products; taps beyond halfWidth get zero weight.
  const taps = 8 * Math.ceil(halfWidth / 4);
  const table = new Float32Array(phases * taps);
  const i0Beta = besselI0(KAISER_BETA);
  for (let p = 0; p < phases; p++) {
    const frac = p / phases;
    let sum = 0;
    const row = new Float64Array(taps);
    for (let j = 0; j < taps; j++) {
      // Distance from tap j (input index i0 - half + 1 + j) to the output position i0 + frac.
      const d = j - taps / 2 + 1 - frac;
      const r = d / halfWidth;
      if (Math.abs(r) >= 1) continue;
      const w = besselI0(KAISER_BETA * Math.sqrt(1 - r * r)) / i0Beta;
      row[j] = cutoff * sinc(cutoff * d) * w;
      sum += row[j];
    }
    // Unit DC gain for every phase, so a constant stays constant (no phase-dependent ripple).
    for (let j = 0; j < taps; j++) table[p * taps + j] = row[j] / sum;
  }
  const steps = exact ? exactSteps(up, down) : { first: 0, offs: new Int32Array(0), rows: new Int32Array(0) };
  const kernel = { phases, exact, taps, table, up, down, steps };
  kernels.set(key, kernel);
  return kernel;
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = Math.PI * x;
  return Math.sin(px) / px;
}

/** Zeroth-order modified Bessel function of the first kind, by its power series. */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 50; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-16) break;
  }
  return sum;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}
