import { describe, expect, it } from 'vitest';
import { AUDIO_DESCRIPTOR_DIM, audioDescriptor, audioDescriptorHash, descriptorWindows } from './descriptor.ts';
import { pickOnsets } from './features.ts';

function clip(seconds: number, f: (t: number) => number, rate = 16000): { samples: Float32Array; sampleRate: number; duration: number } {
  const samples = new Float32Array(Math.round(seconds * rate));
  for (let i = 0; i < samples.length; i++) samples[i] = f(i / rate);
  return { samples, sampleRate: rate, duration: seconds };
}

function noise(seed: number): (t: number) => number {
  let s = seed;
  return () => {
    s = (s * 16807) % 2147483647;
    return (s / 2147483647 - 0.5) * 0.6;
  };
}

const finite = (v: Float32Array): boolean => v.every(Number.isFinite);

describe('audioDescriptor', () => {
  it('has a fixed length of 543 for clips of any length', () => {
    expect(AUDIO_DESCRIPTOR_DIM).toBe(543);
    for (const s of [0.2, 3, 25]) expect(audioDescriptor(clip(s, (t) => Math.sin(2 * Math.PI * 440 * t))).length).toBe(543);
  });

  it('is finite for digital silence, a single sample and a 10 ms click', () => {
    expect(finite(audioDescriptor(clip(1, () => 0)))).toBe(true);
    expect(finite(audioDescriptor({ samples: new Float32Array([0.3]), sampleRate: 16000, duration: 1 / 16000 }))).toBe(true);
    expect(finite(audioDescriptor(clip(0.01, (t) => Math.sin(2 * Math.PI * 2000 * t))))).toBe(true);
  });

  it('resamples other rates first, so the same tone at 44.1 kHz and 16 kHz agree', () => {
    const tone = (t: number): number => 0.5 * Math.sin(2 * Math.PI * 440 * t);
    const a = audioDescriptor(clip(2, tone, 16000));
    const b = audioDescriptor(clip(2, tone, 44100));
    let maxDiff = 0;
    for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    expect(maxDiff).toBeLessThan(0.05);
  });

  it('uses all of a long clip: 25 s whose second half differs is not its first 10 s', () => {
    const tone = (t: number): number => 0.5 * Math.sin(2 * Math.PI * 440 * t);
    const n = noise(7);
    const mixed = clip(25, (t) => (t < 12.5 ? tone(t) : n(t)));
    const firstTen = { samples: mixed.samples.slice(0, 160000), sampleRate: 16000, duration: 10 };
    const full = audioDescriptor(mixed);
    const head = audioDescriptor(firstTen);
    // Compare the window-mean block (log duration aside): the noise half must show up.
    let diff = 0;
    for (let i = 0; i < 271; i++) diff += Math.abs(full[i] - head[i]);
    expect(diff / 271).toBeGreaterThan(0.1);
  });

  it('refuses a clip with no samples with EMPTY_INPUT', () => {
    expect(() => audioDescriptor({ samples: new Float32Array(0), sampleRate: 16000, duration: 0 })).toThrow(expect.objectContaining({ code: 'EMPTY_INPUT' }));
  });

  it('names its parameters by a stable sha256', () => {
    expect(audioDescriptorHash).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('descriptorWindows', () => {
  it('is one window up to 10 s, then 10 s windows every 5 s with the last aligned to the end', () => {
    expect(descriptorWindows(998, 1000, 500)).toEqual([[0, 998]]);
    expect(descriptorWindows(1000, 1000, 500)).toEqual([[0, 1000]]);
    expect(descriptorWindows(2998, 1000, 500)).toEqual([[0, 1000], [500, 1500], [1000, 2000], [1500, 2500], [1998, 2998]]);
    const w60 = descriptorWindows(5998, 1000, 500);
    expect(w60.length).toBe(11);
    expect(w60[w60.length - 1][1]).toBe(5998);
  });
});

describe('pickOnsets', () => {
  it('finds isolated jumps and ignores a flat or slowly varying flux', () => {
    const flux = new Float32Array(200).fill(0.3);
    flux[50] = 2;
    flux[120] = 1.5;
    flux[122] = 1.6; // within minGap of the one before: one onset
    const on = pickOnsets(flux, { peakRadius: 3, meanRadius: 10, delta: 0.5, minGap: 5 });
    expect([...on.keys()].filter((i) => on[i])).toEqual([50, 122]);
    expect(pickOnsets(new Float32Array(200).fill(0.4), { peakRadius: 3, meanRadius: 10, delta: 0.5, minGap: 5 }).some(Boolean)).toBe(false);
  });
});
