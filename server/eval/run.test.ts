// The runner over a search function that returns fixed rankings: per-query and per-type scores,
// the excluded-id and depth contract, the random baseline it pairs with each, and the table.
import { describe, expect, it } from 'vitest';
import { randomExpectation, scoreRanking } from './metrics.ts';
import type { EvalQuery } from './queries.ts';
import { formatReport, runEval, type EvalHit } from './run.ts';

/** Rankings the "engine" returns, by qid, from a pool of 50 candidates. */
const RANKINGS: Record<string, string[]> = {
  t1: ['cat', 'dog', 'cow'], // hit at 1
  t2: ['dog', 'cow', 'cat'], // hit at 3
  i1: ['base', 'v2', 'x', 'v1'], // base is excluded: v2 at 1, v1 at 3
};
const POOL = 50;

const queries: EvalQuery[] = [
  { qid: 't1', type: 'text', text: 'a cat', relevant: ['cat'] },
  { qid: 't2', type: 'text', text: 'a cat again', relevant: ['cat'] },
  { qid: 'i1', type: 'image→image', image: 'base.png', relevant: ['v1', 'v2'], exclude: ['base'] },
];

function fixedSearch(depths: Record<string, number> = {}) {
  return (q: EvalQuery, depth: number): Promise<EvalHit> => {
    depths[q.qid] = depth;
    return Promise.resolve({ ids: RANKINGS[q.qid].slice(0, depth), poolSize: POOL });
  };
}

describe('runEval', () => {
  it('scores each query, averages per type in first-seen order, and overall', async () => {
    const report = await runEval(queries, fixedSearch(), { k: 10 });
    expect(report.k).toBe(10);
    expect(report.types.map((t) => [t.type, t.count])).toEqual([
      ['text', 2],
      ['image→image', 1],
    ]);
    // text: t1 hits at rank 1 (RR 1), t2 at rank 3 (RR 1/3): MRR = (1 + 1/3)/2 = 2/3,
    // R@1 = (1 + 0)/2 = 1/2, R@5 = 1, nDCG@10 = (1 + 1/log2 4)/2 = 0.75.
    const text = report.types[0].metrics;
    expect(text.mrr).toBeCloseTo(2 / 3, 12);
    expect(text.recall1).toBeCloseTo(0.5, 12);
    expect(text.recall5).toBe(1);
    expect(text.ndcg10).toBeCloseTo(0.75, 12);
    // image→image after dropping 'base': v2 x v1, relevant {v1, v2}: R@1 = 1/2, RR = 1,
    // AP = (1/1 + 2/3)/2 = 5/6.
    const i2i = report.types[1].metrics;
    expect(i2i.recall1).toBeCloseTo(0.5, 12);
    expect(i2i.mrr).toBe(1);
    expect(i2i.map).toBeCloseTo(5 / 6, 12);
    // Overall: each of the three queries counts once. MRR = (1 + 1/3 + 1)/3 = 7/9.
    expect(report.overall).toMatchObject({ type: 'all', count: 3 });
    expect(report.overall.metrics.mrr).toBeCloseTo(7 / 9, 12);
    expect(report.queries.map((q) => [q.qid, q.firstRelevant, q.poolSize, q.relevant])).toEqual([
      ['t1', 1, 50, 1],
      ['t2', 3, 50, 1],
      ['i1', 1, 49, 2],
    ]);
  });

  it('asks for k plus the excluded count and scores the ranking as if the excluded ids were never there', async () => {
    const depths: Record<string, number> = {};
    const report = await runEval(queries, fixedSearch(depths), { k: 3 });
    expect(depths).toEqual({ t1: 3, t2: 3, i1: 4 });
    expect(report.queries[2].metrics).toEqual(scoreRanking(['v2', 'x', 'v1'], ['v1', 'v2']));
  });

  it('cuts each ranking at k', async () => {
    // With k = 2, t2's hit at rank 3 is not returned: RR 0.
    const report = await runEval(queries, fixedSearch(), { k: 2 });
    expect(report.queries[1].metrics.mrr).toBe(0);
    expect(report.queries[1].firstRelevant).toBeNull();
  });

  it('pairs each query with the random expectation of its own pool, relevant count and depth', async () => {
    const report = await runEval(queries, fixedSearch(), { k: 10 });
    const t = randomExpectation({ poolSize: 50, relevant: 1, depth: 10 });
    const i = randomExpectation({ poolSize: 49, relevant: 2, depth: 10 });
    expect(report.queries.map((q) => q.random)).toEqual([t, t, i]);
    expect(report.types[0].random).toEqual(t);
    // R@1 of a random ranking: 1/50 for a text query, 1/49 for the image query.
    expect(report.overall.random.recall1).toBeCloseTo((2 / 50 + 1 / 49) / 3, 12);
  });

  it('rejects a search that returns more ids than its pool holds, naming the query', async () => {
    const lying = () => Promise.resolve({ ids: ['a', 'b', 'c'], poolSize: 2 });
    await expect(runEval(queries.slice(0, 1), lying)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('t1') as string });
  });

  it('rejects a k that is not a positive integer', async () => {
    await expect(runEval(queries, fixedSearch(), { k: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('formatReport', () => {
  it('prints a header, a row and a random row per type, and the overall row', async () => {
    const text = formatReport(await runEval(queries, fixedSearch(), { k: 10 }));
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('k = 10');
    expect(lines[1]).toMatch(/^type\s+queries\s+R@1\s+R@5\s+R@10\s+MRR\s+mAP\s+nDCG@10$/);
    expect(lines).toHaveLength(2 + 2 * 3);
    // text row: R@1 0.5, R@5 1, R@10 1, MRR 2/3, mAP 2/3, nDCG 0.75.
    expect(lines[2]).toMatch(/^text\s+2\s+0\.500\s+1\.000\s+1\.000\s+0\.667\s+0\.667\s+0\.750$/);
    expect(lines[3]).toMatch(/^ {2}random\s+0\.020\s+0\.100\s+0\.200\s/);
    expect(lines[6]).toMatch(/^all\s+3\s/);
    // Columns line up: every row is as wide as the header.
    for (const line of lines.slice(2)) expect(line.length).toBe(lines[1].length);
  });
});
