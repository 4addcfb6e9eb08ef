import { describe, expect, it } from 'vitest';
import { forEachPowerSpectrum, frameCount, stftPlan } from './stft.ts';

describe('forEachPowerSpectrum', () => {
  it('matches a direct DFT of each windowed frame (half-size complex FFT trick)', () => {
    const plan = stftPlan(16000);
    expect([plan.win, plan.hop, plan.nfft, plan.bins]).toEqual([400, 160, 512, 257]);
    const x = new Float32Array(1200);
    let seed = 3;
    for (let i = 0; i < x.length; i++) {
      seed = (seed * 16807) % 2147483647;
      x[i] = seed / 2147483647 - 0.5 + 0.3 * Math.sin(i * 0.3);
    }
    const seen: number[] = [];
    forEachPowerSpectrum(x, plan, (t, power, start) => {
      seen.push(t);
      for (const k of [0, 1, 17, 100, 255, 256]) {
        let re = 0;
        let im = 0;
        for (let n = 0; n < plan.win; n++) {
          const v = x[start + n] * plan.window[n];
          re += v * Math.cos((2 * Math.PI * k * n) / plan.nfft);
          im -= v * Math.sin((2 * Math.PI * k * n) / plan.nfft);
        }
        expect(power[k]).toBeCloseTo(re * re + im * im, 10);
      }
    });
    expect(seen).toEqual([0, 1, 2, 3, 4, 5]);
    expect(frameCount(plan, 1200)).toBe(6);
  });

  it('spreads A²/2 of a sine over the bins (power sums to the mean square)', () => {
    const plan = stftPlan(44100);
    const x = new Float32Array(4410);
    for (let i = 0; i < x.length; i++) x[i] = 0.5 * Math.sin((2 * Math.PI * 1000 * i) / 44100);
    forEachPowerSpectrum(x, plan, (t, power) => {
      if (t !== 2) return;
      const total = power.reduce((a, b) => a + b, 0);
      expect(total).toBeCloseTo(0.125, 2);
    });
  });
});
