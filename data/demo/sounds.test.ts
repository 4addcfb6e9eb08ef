import { describe, expect, it } from 'vitest';
import { PRESET_NAMES, SAMPLE_RATE, synthesizeSound } from './sounds.ts';

function wavInfo(wav: Buffer): { format: number; channels: number; rate: number; bits: number; dataBytes: number } {
  expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
  expect(wav.toString('ascii', 8, 12)).toBe('WAVE');
  expect(wav.readUInt32LE(4)).toBe(wav.length - 8);
  expect(wav.toString('ascii', 36, 40)).toBe('data');
  return { format: wav.readUInt16LE(20), channels: wav.readUInt16LE(22), rate: wav.readUInt32LE(24), bits: wav.readUInt16LE(34), dataBytes: wav.readUInt32LE(40) };
}

describe('synthesizeSound', () => {
  it('writes 16-bit mono PCM WAVs whose length matches durationSec, for every preset', () => {
    for (const preset of PRESET_NAMES) {
      const s = synthesizeSound(preset, 0, 1);
      const info = wavInfo(s.wav);
      expect(info).toMatchObject({ format: 1, channels: 1, rate: SAMPLE_RATE, bits: 16 });
      expect(info.dataBytes).toBe(s.wav.length - 44);
      expect(info.dataBytes / 2 / SAMPLE_RATE).toBeCloseTo(s.durationSec, 3);
      expect(s.durationSec).toBeGreaterThanOrEqual(0.1);
      expect(s.description.caption.length).toBeGreaterThan(10);
    }
  });

  it('is byte-identical for the same seed and differs for another seed or variant', () => {
    const a = synthesizeSound('explosion', 3, 1);
    expect(synthesizeSound('explosion', 3, 1).wav.equals(a.wav)).toBe(true);
    expect(synthesizeSound('explosion', 3, 2).wav.equals(a.wav)).toBe(false);
    expect(synthesizeSound('explosion', 4, 1).wav.equals(a.wav)).toBe(false);
  });

  it('varies the tone preset, which jsfxr always makes at 440 Hz for 1 s', () => {
    const hz = new Set([0, 1, 2, 3].map((v) => synthesizeSound('tone', v, 1).description.startHz));
    expect(hz.size).toBe(4);
  });

  it('leaves Math.random alone', () => {
    const original = Math.random;
    synthesizeSound('random', 0, 1);
    expect(Math.random).toBe(original);
  });

  it('keeps only finite numeric parameters', () => {
    const { params } = synthesizeSound('synth', 0, 1);
    expect(Object.keys(params)).toContain('p_base_freq');
    for (const v of Object.values(params)) expect(Number.isFinite(v)).toBe(true);
  });
});
