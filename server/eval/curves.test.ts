// Recall@K curves against hand-computed cases, and their agreement with the table's recall.
import { describe, expect, it } from 'vitest';
import { scoreRanking } from './metrics.ts';
import { meanCurve, randomRecallCurve, recallCurve } from './curves.ts';
import { runEval } from './run.ts';

describe('recallCurve', () => {
  it('counts the relevant share among the first K for every K, padding past the list', () => {
    // relevant {a, c}: a at rank 2, c at rank 3.
    expect(recallCurve(['b', 'a', 'c'], ['a', 'c'], 5)).toEqual([0, 0.5, 1, 1, 1]);
  });

  it('counts a repeated id once, at its first rank', () => {
    expect(recallCurve(['a', 'a', 'b'], ['b'], 2)).toEqual([0, 1]);
  });

  it('stops at the depth', () => {
    expect(recallCurve(['x', 'y', 'a'], ['a'], 2)).toEqual([0, 0]);
  });

  it('agrees with scoreRanking at K = 1, 5, 10', () => {
    const ranking = ['q', 'r1', 's', 't', 'u', 'r2', 'v', 'w', 'x', 'r3', 'y'];
    const relevant = ['r1', 'r2', 'r3', 'r4'];
    const curve = recallCurve(ranking, relevant, 10);
    const m = scoreRanking(ranking, relevant);
    expect([curve[0], curve[4], curve[9]]).toEqual([m.recall1, m.recall5, m.recall10]);
  });

  it('refuses an empty relevant set and a depth below 1', () => {
    expect(() => recallCurve(['a'], [], 3)).toThrow(/relevant/);
    expect(() => recallCurve(['a'], ['a'], 0)).toThrow(/depth/);
  });
});

describe('randomRecallCurve', () => {
  it('is K / N up to the pool, then 1', () => {
    expect(randomRecallCurve(4, 5)).toEqual([0.25, 0.5, 0.75, 1, 1]);
  });

  it('is zero for an empty pool', () => {
    expect(randomRecallCurve(0, 2)).toEqual([0, 0]);
  });
});

describe('meanCurve', () => {
  it('averages pointwise', () => {
    expect(meanCurve([[0, 1, 1], [1, 1, 0]])).toEqual([0.5, 1, 0.5]);
    expect(meanCurve([])).toEqual([]);
  });

  it('refuses curves of different lengths', () => {
    expect(() => meanCurve([[0], [0, 1]])).toThrow(/same length/);
  });
});

describe('runEval with curves', () => {
  it('adds per-query and per-type curves after dropping excluded ids, matching the table', async () => {
    const rankings: Record<string, string[]> = { a: ['x', 'r'], b: ['base', 'v', 'y'] };
    const report = await runEval(
      [
        { qid: 'a', type: 't', text: 'q', relevant: ['r'] },
        { qid: 'b', type: 't', image: 'base.png', relevant: ['v'], exclude: ['base'] },
      ],
      (q, depth) => Promise.resolve({ ids: rankings[q.qid].slice(0, depth), poolSize: 5 }),
      { k: 3, curves: true },
    );
    expect(report.queries.map((q) => q.recallCurve)).toEqual([
      [0, 1, 1],
      [1, 1, 1],
    ]);
    const t = report.types[0];
    expect(t.recallCurve).toEqual([0.5, 1, 1]);
    expect(t.recallCurve![0]).toBe(t.metrics.recall1);
    // Pools of 5 and, without the excluded base, 4.
    expect(t.randomCurve![0]).toBeCloseTo((1 / 5 + 1 / 4) / 2, 12);
    expect(t.randomCurve![0]).toBeCloseTo(t.random.recall1, 12);
  });

  it('leaves curves out unless asked', async () => {
    const report = await runEval([{ qid: 'a', type: 't', text: 'q', relevant: ['r'] }], () => Promise.resolve({ ids: ['r'], poolSize: 2 }), { k: 2 });
    expect(report.types[0].recallCurve).toBeUndefined();
    expect(report.queries[0].recallCurve).toBeUndefined();
  });
});
