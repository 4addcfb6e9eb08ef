import { describe, expect, it } from 'vitest';
import { pairCounts, pairLinks } from './corpus.ts';
import { groupLinks, splitCorpus } from './groups.ts';
import { syntheticCorpus } from './test-support.ts';

describe('splitCorpus', () => {
  const corpus = syntheticCorpus({ images: 120, sounds: 40 });

  it('holds out about the fraction of each set, at least the minimum, at most half', () => {
    const { train, val } = splitCorpus(corpus, { fraction: 0.1, minCount: 20, seed: 3 });
    const [t, v] = [pairCounts(train), pairCounts(val)];
    for (const set of ['image-text', 'audio-text', 'sketch-image'] as const) {
      expect(t[set] + v[set]).toBe(pairCounts(corpus)[set]);
      expect(v[set]).toBeGreaterThanOrEqual(20);
      expect(v[set]).toBeLessThanOrEqual(Math.ceil(pairCounts(corpus)[set] / 2) + 10);
    }
  });

  it('never holds out more than half of a set, even when groups span sets in a tiny corpus', () => {
    // Each image's group also holds its sketch pair (every other image): taking groups for
    // image-text used to take sketch pairs past half, leaving training one of them or none.
    for (let seed = 1; seed <= 30; seed++) {
      const tiny = syntheticCorpus({ images: 6, sounds: 4, seed });
      const { train, val } = splitCorpus(tiny, { seed });
      const [all, t, v] = [pairCounts(tiny), pairCounts(train), pairCounts(val)];
      for (const set of ['image-text', 'audio-text', 'sketch-image'] as const) {
        expect(v[set], `${set}, seed ${seed}`).toBeLessThanOrEqual(Math.floor(all[set] / 2));
        expect(t[set], `${set}, seed ${seed}`).toBeGreaterThanOrEqual(Math.ceil(all[set] / 2));
      }
    }
  });

  it('never puts a file or a caption on both sides', () => {
    const { train, val } = splitCorpus(corpus, { seed: 5 });
    const names = (c: typeof corpus) => new Set(pairLinks(c).flatMap((l) => l.keys));
    const trainNames = names(train);
    for (const name of names(val)) expect(trainNames.has(name)).toBe(false);
  });

  it('is seeded and does not depend on the order of the pairs', () => {
    const a = splitCorpus(corpus, { seed: 9 });
    const b = splitCorpus(corpus, { seed: 9 });
    expect(a.val.captioned.image!.source).toEqual(b.val.captioned.image!.source);
    const other = splitCorpus(corpus, { seed: 10 });
    expect(other.val.captioned.image!.source).not.toEqual(a.val.captioned.image!.source);
    const links: [string, string][] = [['a', 'b'], ['b', 'c'], ['x', 'y']];
    const forward = groupLinks(links, 1).map((g) => g.key);
    const backward = groupLinks([...links].reverse(), 1).map((g) => g.key);
    expect(backward).toEqual(forward);
    expect(groupLinks(links, 1).find((g) => g.key === 'a')!.members).toEqual([0, 1]);
  });

  it('rejects a fraction outside (0, 1) with INVALID_ARGUMENT', () => {
    expect(() => splitCorpus(corpus, { fraction: 1 })).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/fraction/) }));
  });
});
