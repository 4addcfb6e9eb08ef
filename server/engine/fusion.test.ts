import { describe, expect, it } from 'vitest';
import { fuseRankings, primaryDepth, reciprocalRankFusion, RRF_C } from './fusion.ts';

describe('reciprocalRankFusion', () => {
  it('sums 1/(c + rank) over the lists, best first, ties by id', () => {
    expect(reciprocalRankFusion([[3, 1, 2], [1, 4]])).toEqual([
      { id: 1, score: 1 / 62 + 1 / 61 },
      { id: 3, score: 1 / 61 },
      { id: 4, score: 1 / 62 },
      { id: 2, score: 1 / 63 },
    ]);
  });
});

describe('fuseRankings', () => {
  it('fuses the window of both lists, then continues the primary list in its order', () => {
    const fused = fuseRankings([5, 1, 7, 9], [2, 5], 2);
    expect(fused.map((f) => f.id)).toEqual([5, 2, 1, 7, 9]);
    expect(fused[0].score).toBeCloseTo(1 / (RRF_C + 1) + 1 / (RRF_C + 2), 12);
    expect(fused[3].score).toBeCloseTo(1 / (RRF_C + 3), 12);
  });

  it('lists each id once, and scores the tail below every fused id', () => {
    const primary = Array.from({ length: 60 }, (_, i) => (i * 7) % 61);
    const secondary = [primary[45], primary[3], 500, primary[30], 501];
    const fused = fuseRankings(primary, secondary, 20);
    expect(new Set(fused.map((f) => f.id)).size).toBe(fused.length);
    expect(new Set(fused.map((f) => f.id))).toEqual(new Set([...primary, 500, 501]));
    const scores = fused.map((f) => f.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it('ranks the same ids the same way however deep the primary list goes, so pages never overlap', () => {
    const primary = Array.from({ length: 200 }, (_, i) => (i * 37) % 211);
    const secondary = [primary[150], 999, primary[2], primary[25], 998, primary[90]];
    const deep = fuseRankings(primary, secondary, 20).map((f) => f.id);
    for (const depth of [1, 10, 20, 21, 30, 40, 75, 130]) {
      const shallow = fuseRankings(primary.slice(0, primaryDepth(depth, 20)), secondary, 20).map((f) => f.id);
      expect(shallow.slice(0, depth)).toEqual(deep.slice(0, depth));
    }
  });

  it('needs the primary list only as deep as the page, or the window when the page is shallower', () => {
    expect([1, 20, 21, 40].map((d) => primaryDepth(d, 20))).toEqual([20, 20, 21, 40]);
    const primary = Array.from({ length: 100 }, (_, i) => i);
    // Secondary ids all new (the head grows by 20), or all from just below the window (the
    // primary list continues past the ids the head took).
    for (const secondary of [Array.from({ length: 20 }, (_, i) => 1000 + i), primary.slice(20, 40), [...primary.slice(25, 35), 1000, 1001]]) {
      const deep = fuseRankings(primary, secondary, 20).map((f) => f.id);
      for (const depth of [1, 20, 21, 39, 40, 41, 60, 61, 80]) {
        const shallow = fuseRankings(primary.slice(0, primaryDepth(depth, 20)), secondary, 20).map((f) => f.id);
        expect(shallow.slice(0, depth)).toEqual(deep.slice(0, depth));
      }
    }
  });
});
