// Paired margins between two runs: matched by qid, the mean difference by hand, and a bootstrap
// interval that is a point when every query moves alike and straddles 0 when they disagree.
import { describe, expect, it } from 'vitest';
import { pairedMargin } from './margins.ts';
import type { QueryResult } from './run.ts';

function run(values: Record<string, number>): QueryResult[] {
  return Object.entries(values).map(([qid, v]) => ({
    qid,
    type: 't',
    metrics: { recall1: v, recall5: v, recall10: v, mrr: v, map: v, ndcg10: v },
    random: { recall1: 0, recall5: 0, recall10: 0, mrr: 0, map: 0, ndcg10: 0 },
    poolSize: 10,
    relevant: 1,
    firstRelevant: null,
  }));
}

describe('pairedMargin', () => {
  it('averages the paired differences over the shared qids only', () => {
    const m = pairedMargin(run({ q1: 1, q2: 0.5, q3: 0 }), run({ q2: 0, q3: 0.5, q4: 1 }), 'recall10');
    // q2: 0.5 - 0, q3: 0 - 0.5 -> delta 0; a = 0.25, b = 0.25.
    expect(m).toMatchObject({ metric: 'recall10', a: 0.25, b: 0.25, delta: 0, queries: 2 });
  });

  it('gives a point interval when every query gains the same', () => {
    const m = pairedMargin(run({ a: 0.75, b: 0.5, c: 1 }), run({ a: 0.5, b: 0.25, c: 0.75 }), 'mrr');
    expect(m.delta).toBeCloseTo(0.25, 12);
    expect(m.ci95[0]).toBeCloseTo(0.25, 12);
    expect(m.ci95[1]).toBeCloseTo(0.25, 12);
  });

  it('straddles zero when half the queries win and half lose, and is seeded', () => {
    const a = run(Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`q${i}`, i % 2])));
    const b = run(Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`q${i}`, 1 - (i % 2)])));
    const m = pairedMargin(a, b, 'recall1');
    expect(m.delta).toBe(0);
    expect(m.ci95[0]).toBeLessThan(0);
    expect(m.ci95[1]).toBeGreaterThan(0);
    expect(pairedMargin(a, b, 'recall1')).toEqual(m);
  });

  it('refuses runs with no query in common', () => {
    expect(() => pairedMargin(run({ a: 1 }), run({ b: 1 }), 'map')).toThrow(/share no query/);
  });
});
