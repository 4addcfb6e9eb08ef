import { describe, expect, it } from 'vitest';
import { hzToMel, logMelSpectrogram, melToHz, melFilterbank } from './mel.ts';
import { stftPlan } from './stft.ts';

function sine(freq: number, rate: number, seconds: number, amp = 0.5): Float32Array {
  const x = new Float32Array(Math.round(rate * seconds));
  for (let i = 0; i < x.length; i++) x[i] = amp * Math.sin((2 * Math.PI * freq * i) / rate);
  return x;
}

describe('mel scale (Slaney)', () => {
  it('is linear below 1 kHz and logarithmic above, and inverts', () => {
    expect(hzToMel(1000)).toBeCloseTo(15, 10);
    expect(hzToMel(500)).toBeCloseTo(7.5, 10);
    expect(hzToMel(6400)).toBeCloseTo(15 + 27, 10);
    for (const hz of [0, 100, 999, 1000, 3000, 8000]) expect(melToHz(hzToMel(hz))).toBeCloseTo(hz, 6);
  });

  it('builds 64 filters up to 8 kHz with increasing centres', () => {
    const bank = melFilterbank(stftPlan(16000), 64, 0, 8000);
    expect(bank.bands).toBe(64);
    for (let b = 1; b < 64; b++) expect(bank.centres[b]).toBeGreaterThan(bank.centres[b - 1]);
    expect(bank.centres[63]).toBeLessThan(8000);
    for (const w of bank.weights) expect(w.length).toBeGreaterThan(0);
  });
});

describe('logMelSpectrogram', () => {
  it('frames 1 s at 16 kHz into 98 frames of 64 bands (25 ms window, 10 ms hop)', () => {
    const m = logMelSpectrogram(new Float32Array(16000), 16000);
    expect(m.frames).toBe(98);
    expect(m.bands).toBe(64);
    expect(m.data.length).toBe(98 * 64);
  });

  it('peaks in the band centred nearest the frequency of a pure tone', () => {
    const bank = melFilterbank(stftPlan(16000), 64, 0, 8000);
    for (const freq of [440, 1000, 3000, 6000]) {
      const m = logMelSpectrogram(sine(freq, 16000, 0.5), 16000);
      const t = 10;
      let best = 0;
      for (let b = 1; b < m.bands; b++) if (m.data[t * m.bands + b] > m.data[t * m.bands + best]) best = b;
      const nearest = bank.centres.reduce((bi, c, i) => (Math.abs(c - freq) < Math.abs(bank.centres[bi] - freq) ? i : bi), 0);
      expect(Math.abs(best - nearest)).toBeLessThanOrEqual(1);
    }
  });

  it('gives the same levels at 44.1 kHz as at 16 kHz for the same tone (rate-independent scale)', () => {
    const a = logMelSpectrogram(sine(1000, 16000, 0.5), 16000);
    const b = logMelSpectrogram(sine(1000, 44100, 0.5), 44100);
    const peak = (m: typeof a): number => Math.max(...m.data.subarray(10 * m.bands, 11 * m.bands));
    expect(Math.abs(peak(a) - peak(b))).toBeLessThan(0.3);
  });

  it('floors silence at log(eps) and stays finite for a clip shorter than one window', () => {
    const silent = logMelSpectrogram(new Float32Array(16000), 16000);
    for (const v of silent.data) expect(v).toBeCloseTo(Math.log(1e-10), 5);
    const tiny = logMelSpectrogram(new Float32Array([0.5, -0.5, 0.25]), 16000);
    expect(tiny.frames).toBe(1);
    expect(tiny.data.every(Number.isFinite)).toBe(true);
  });

  it('rejects nonsense options with INVALID_ARGUMENT', () => {
    expect(() => logMelSpectrogram(new Float32Array(10), 0)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => logMelSpectrogram(new Float32Array(10), 16000, { bands: 0 })).toThrow(/bands/);
    expect(() => logMelSpectrogram(new Float32Array(10), 16000, { fMin: 9000 })).toThrow(/fMin/);
  });
});
