import { describe, expect, it } from 'vitest';
import { categoryWords, evaluateEmergent, randomEmbedder, recallAtK, type Embedder } from './evaluate.ts';
import { syntheticCorpus } from './test-support.ts';

const unit = (...v: number[]) => {
  const n = Math.hypot(...v);
  return Float32Array.from(v, (x) => x / n);
};

describe('recallAtK', () => {
  it('counts a query as found at k when a relevant candidate ranks within k, ties against it', () => {
    const candidates = [unit(1, 0), unit(0, 1), unit(1, 1), unit(-1, 0)];
    const r = recallAtK({
      queries: [unit(1, 0.1), unit(0, 1), unit(-1, 0)],
      // q0 -> c0 is rank 0; q1 -> c2 is rank 1 (c1 is closer); q2 -> c1 has 2 better.
      candidates,
      relevant: [[0], [2], [1]],
    });
    expect(r.r1).toBeCloseTo(1 / 3, 10);
    expect(r.r5).toBe(1);
    const tie = recallAtK({ queries: [unit(1, 0)], candidates: [unit(1, 0), unit(1, 0)], relevant: [[1]] });
    expect(tie.r1).toBe(1);
  });
});

describe('categoryWords', () => {
  it('takes the tag list after the dash, without stop words, short words or plural s', () => {
    expect([...categoryWords('short buzzy coin pickup chime — coins, pickup, collect, reward')]).toEqual(['coin', 'pickup', 'collect', 'reward']);
    expect([...categoryWords('a red bird on the branches')]).toEqual(['red', 'bird', 'branche']);
  });
});

describe('evaluateEmergent', () => {
  it('reports chance level from the pool and relevant counts, and recall per system', () => {
    const corpus = syntheticCorpus({ images: 40, sounds: 10 });
    // Make sound i relevant to image i by sharing a tag word.
    const tag = (i: number) => `zz${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))}`;
    corpus.captions = corpus.captions.map((c, i) => ({ ...c, text: `${c.text} — ${tag(i < 40 ? i : i - 40)}` }));
    const perfect: Embedder = {
      dense: (m, x) => (m === 'audio' ? unit(...Array.from({ length: 50 }, (_, j) => (j === corpus.captioned.audio!.features.indexOf(x) ? 1 : 0))) : unit(...Array.from({ length: 50 }, (_, j) => (j === corpus.captioned.image!.features.indexOf(x) ? 1 : 0)))),
      text: () => new Float32Array(50),
    };
    const result = evaluateEmergent(corpus, corpus, { oracle: perfect }, { dim: 50, seed: 1 })!;
    expect(result.queries).toBe(10);
    expect(result.pool).toBe(40);
    expect(result.chance.r1).toBeCloseTo(1 / 40, 10);
    expect(result.chance.r10).toBeCloseTo(10 / 40, 10);
    expect(result.systems.oracle).toEqual({ r1: 1, r5: 1, r10: 1 });
    expect(result.systems.unaligned.r10).toBeLessThan(1);
  });
});

describe('randomEmbedder', () => {
  it('is seeded: the same seed gives the same projection, unit length', () => {
    const x = Float32Array.from({ length: 24 }, (_, i) => Math.sin(i));
    const a = randomEmbedder(16, 3).dense('image', x);
    expect(randomEmbedder(16, 3).dense('image', x)).toEqual(a);
    expect(Math.hypot(...a)).toBeCloseTo(1, 6);
    expect(randomEmbedder(16, 4).dense('image', x)).not.toEqual(a);
  });
});
