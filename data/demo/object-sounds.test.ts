import decode from 'audio-decode';
import { describe, expect, it } from 'vitest';
import { categoryWords } from '../../models/text/index.ts';
import { OBJECT_SOURCE_NAMES, OBJECT_SOURCES, synthesizeObjectSound } from './object-sounds.ts';

describe('synthesizeObjectSound', () => {
  it('writes a decodable 22.05 kHz mono WAV of the stated length, loud but not clipped, for every source', async () => {
    for (const source of OBJECT_SOURCE_NAMES) {
      const s = synthesizeObjectSound(source, 0, 1);
      const audio = await decode(s.wav);
      expect(audio.sampleRate, source).toBe(22050);
      expect(audio.channelData, source).toHaveLength(1);
      const samples = audio.channelData[0];
      expect(samples.length / 22050, source).toBeCloseTo(s.durationSec, 3);
      expect(s.durationSec, source).toBeGreaterThan(0.3);
      const peak = samples.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      expect(peak, source).toBeGreaterThan(0.6);
      expect(peak, source).toBeLessThan(0.75);
    }
  });

  it("ends each caption with its source's tags, which are its category words", () => {
    for (const source of OBJECT_SOURCE_NAMES) {
      const { caption, descriptors } = synthesizeObjectSound(source, 2, 1);
      const { noun, tags } = OBJECT_SOURCES[source];
      expect(caption).toBe(`${[...descriptors, noun].join(' ')} — ${tags.join(', ')}`);
      expect([...categoryWords(caption)].sort()).toEqual([...tags].map((t) => t.replace(/s$/, '')).sort());
    }
  });

  it('is byte-identical for the same seed and differs for another seed or variant', () => {
    const a = synthesizeObjectSound('birdsong', 3, 1);
    expect(synthesizeObjectSound('birdsong', 3, 1).wav.equals(a.wav)).toBe(true);
    expect(synthesizeObjectSound('birdsong', 3, 2).wav.equals(a.wav)).toBe(false);
    expect(synthesizeObjectSound('birdsong', 4, 1).wav.equals(a.wav)).toBe(false);
  });

  it('leaves Math.random alone', () => {
    const original = Math.random;
    synthesizeObjectSound('rain', 0, 1);
    expect(Math.random).toBe(original);
  });

  it('shares no category word between two sources', () => {
    const owner = new Map<string, string>();
    for (const source of OBJECT_SOURCE_NAMES) {
      for (const w of categoryWords(synthesizeObjectSound(source, 0, 1).caption)) {
        expect(owner.get(w), `${w} of ${source}`).toBeUndefined();
        owner.set(w, source);
      }
    }
  });
});
