import FFT from 'fft.js';
import { describe, expect, it } from 'vitest';
import { polyphaseSimd } from './polyphase-simd.ts';
import { resample, resampleScalar } from './resample.ts';

function sine(freq: number, rate: number, seconds: number, amp = 0.5): Float32Array {
  const x = new Float32Array(Math.round(rate * seconds));
  for (let i = 0; i < x.length; i++) x[i] = amp * Math.sin((2 * Math.PI * freq * i) / rate);
  return x;
}

/** Hann-windowed magnitude spectrum of the first `n` samples (n a power of two). */
function spectrum(x: Float32Array, n: number): Float64Array {
  const f = new FFT(n);
  const input = new Float64Array(n);
  for (let i = 0; i < n; i++) input[i] = x[i] * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n));
  const out = new Float64Array(2 * n);
  f.realTransform(out, input);
  const mag = new Float64Array(n / 2 + 1);
  for (let k = 0; k <= n / 2; k++) mag[k] = Math.hypot(out[2 * k], out[2 * k + 1]);
  return mag;
}

const argmax = (a: Float64Array): number => a.reduce((best, v, i) => (v > a[best] ? i : best), 0);
const rms = (x: Float32Array, from = 0, to = x.length): number => {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i] * x[i];
  return Math.sqrt(s / (to - from));
};

describe('resample', () => {
  it('keeps a 1 kHz sine at 44.1 kHz a 1 kHz sine at 16 kHz (FFT peak within one bin)', () => {
    const y = resample(sine(1000, 44100, 1), 44100, 16000);
    expect(y.length).toBe(16000);
    const n = 8192;
    const peak = argmax(spectrum(y.subarray(2000), n));
    const expected = (1000 * n) / 16000;
    expect(Math.abs(peak - expected)).toBeLessThanOrEqual(1);
    // Passband gain: the amplitude is kept within 0.1 dB (rms of a 0.5 sine is 0.354).
    expect(rms(y, 1000, 15000)).toBeCloseTo(0.5 / Math.SQRT2, 2);
  });

  it('attenuates a tone above the new Nyquist frequency by more than 50 dB (anti-aliasing)', () => {
    // 12 kHz at 44.1 kHz would alias to 4 kHz at 16 kHz without the filter.
    const x = sine(12000, 44100, 1);
    const y = resample(x, 44100, 16000);
    const attenuationDb = 20 * Math.log10(rms(y, 1000, 15000) / rms(x));
    expect(attenuationDb).toBeLessThan(-50);
  });

  it('passes 6 kHz (inside the band) at 48 kHz -> 16 kHz with under 0.5 dB loss', () => {
    const x = sine(6000, 48000, 1);
    const y = resample(x, 48000, 16000);
    expect(Math.abs(20 * Math.log10(rms(y, 1000, 15000) / rms(x)))).toBeLessThan(0.5);
  });

  it('upsamples 8 kHz -> 16 kHz keeping the frequency and adding nothing above 4 kHz', () => {
    const y = resample(sine(440, 8000, 1), 8000, 16000);
    expect(y.length).toBe(16000);
    const n = 8192;
    const mag = spectrum(y.subarray(2000), n);
    expect(Math.abs(argmax(mag) - (440 * n) / 16000)).toBeLessThanOrEqual(1);
    const above = mag.subarray(Math.ceil((4400 * n) / 16000));
    expect(Math.max(...above) / mag[argmax(mag)]).toBeLessThan(1e-3);
  });

  it('handles rates with no small common ratio (nearest-phase path) without shifting pitch', () => {
    const y = resample(sine(1000, 44056, 1), 44056, 16000);
    expect(y.length).toBe(Math.ceil((44056 * 16000) / 44056));
    const n = 8192;
    expect(Math.abs(argmax(spectrum(y.subarray(2000), n)) - (1000 * n) / 16000)).toBeLessThanOrEqual(1);
  });

  it('keeps a constant constant (unit DC gain) and returns the input when rates match', () => {
    const x = new Float32Array(4410).fill(0.25);
    const y = resample(x, 44100, 16000);
    for (let i = 100; i < y.length - 100; i++) expect(Math.abs(y[i] - 0.25)).toBeLessThan(1e-4);
    expect(resample(x, 16000, 16000)).toBe(x);
    expect(resample(new Float32Array(0), 44100, 16000).length).toBe(0);
  });

  it('gives the same output from the WebAssembly SIMD loop as from the JavaScript one (within 1e-6)', () => {
    expect(polyphaseSimd(), 'this Node has WebAssembly SIMD').not.toBeNull();
    let seed = 11;
    const noise = (n: number): Float32Array => Float32Array.from({ length: n }, () => (seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5);
    // 100k samples at 44.1 kHz span two blocks of outputs; 44056 Hz takes the nearest-phase path.
    for (const [from, to, n] of [[44100, 16000, 100_000], [48000, 16000, 4801], [8000, 16000, 999], [44056, 16000, 50_000], [16000, 44100, 3], [96000, 16000, 1]]) {
      const x = noise(n);
      const a = resample(x, from, to);
      const b = resampleScalar(x, from, to);
      expect(a.length, `${from} -> ${to}`).toBe(b.length);
      let worst = 0;
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
      expect(worst, `${from} -> ${to}`).toBeLessThan(1e-6);
    }
  });

  it('rejects a non-integer or non-positive rate with INVALID_ARGUMENT', () => {
    expect(() => resample(new Float32Array(4), 0, 16000)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => resample(new Float32Array(4), 44100.5, 16000)).toThrow(/from must be a positive integer/);
  });
});
