// The metric code against hand-computed cases, and the random-ranking expectations against a
// brute-force average over every permutation of tiny pools.
import { describe, expect, it } from 'vitest';
import { isRosettaError } from '../../models/errors.ts';
import { meanMetrics, randomExpectation, scoreRanking, type Metrics } from './metrics.ts';

const L2 = (x: number) => Math.log2(x);

function expectClose(actual: Metrics, expected: Metrics, digits = 12): void {
  for (const key of Object.keys(expected) as (keyof Metrics)[]) expect(actual[key], key).toBeCloseTo(expected[key], digits);
}

describe('scoreRanking', () => {
  it('scores a ranking with two of three relevant items found, by hand', () => {
    // Ranking x a y b z, relevant {a, b, c}; c is never returned. Hits at ranks 2 and 4.
    // R@1 = 0/3; R@5 = R@10 = 2/3.  RR = 1/2.
    // AP = (P@2 + P@4) / 3 = (1/2 + 2/4) / 3 = 1/3.
    // DCG@10 = 1/log2(3) + 1/log2(5) = 0.63093 + 0.43068 = 1.06161
    // IDCG (3 relevant) = 1/log2(2) + 1/log2(3) + 1/log2(4) = 1 + 0.63093 + 0.5 = 2.13093
    // nDCG@10 = 1.06161 / 2.13093 = 0.49819
    const m = scoreRanking(['x', 'a', 'y', 'b', 'z'], ['a', 'b', 'c']);
    expectClose(m, {
      recall1: 0,
      recall5: 2 / 3,
      recall10: 2 / 3,
      mrr: 0.5,
      map: 1 / 3,
      ndcg10: (1 / L2(3) + 1 / L2(5)) / (1 + 1 / L2(3) + 0.5),
    });
    expect(m.ndcg10).toBeCloseTo(0.49819, 5);
  });

  it('gives 1 everywhere to a ranking that puts its only relevant item first', () => {
    expectClose(scoreRanking(['a', 'b'], ['a']), { recall1: 1, recall5: 1, recall10: 1, mrr: 1, map: 1, ndcg10: 1 });
  });

  it('gives 0 everywhere to a ranking with no relevant item', () => {
    expectClose(scoreRanking(['x', 'y'], ['a']), { recall1: 0, recall5: 0, recall10: 0, mrr: 0, map: 0, ndcg10: 0 });
    expectClose(scoreRanking([], ['a']), { recall1: 0, recall5: 0, recall10: 0, mrr: 0, map: 0, ndcg10: 0 });
  });

  it('scores a hit past rank 10 only in RR and AP', () => {
    // Relevant 'a' at rank 12: R@k = 0 for k <= 10, nDCG@10 = 0; RR = 1/12; AP = (1/12) / 1.
    const ranking = [...Array.from({ length: 11 }, (_, i) => `x${i}`), 'a'];
    expectClose(scoreRanking(ranking, ['a']), { recall1: 0, recall5: 0, recall10: 0, mrr: 1 / 12, map: 1 / 12, ndcg10: 0 });
  });

  it('caps the ideal DCG at ten relevant items', () => {
    // 12 relevant, all ranked first: the first ten positions are all hits, DCG@10 = IDCG@10.
    const rel = Array.from({ length: 12 }, (_, i) => `r${i}`);
    const m = scoreRanking(rel, rel);
    expect(m.ndcg10).toBeCloseTo(1, 12);
    // R@10 = 10/12; AP = 12 * 1 / 12 = 1.
    expect(m.recall10).toBeCloseTo(10 / 12, 12);
    expect(m.map).toBeCloseTo(1, 12);
  });

  it('counts an id listed twice once, at its first rank', () => {
    // x x a -> x a: the hit moves to rank 2, RR = 1/2; AP = 1/2.
    expectClose(scoreRanking(['x', 'x', 'a'], ['a']), { recall1: 0, recall5: 1, recall10: 1, mrr: 0.5, map: 0.5, ndcg10: 1 / L2(3) });
    // a a: a second copy of a hit earns nothing, AP stays 1.
    expect(scoreRanking(['a', 'a'], ['a']).map).toBe(1);
  });

  it('rejects an empty relevant set with INVALID_ARGUMENT', () => {
    expect(() => scoreRanking(['a'], [])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('meanMetrics', () => {
  it('averages each metric and counts the rows', () => {
    // Row 1 is all ones, row 2 all zeros except RR = AP = 1/2 (hit at rank 2, one relevant).
    const rows = [scoreRanking(['a'], ['a']), scoreRanking(['x', 'a'], ['a'])];
    const { count, metrics } = meanMetrics(rows);
    expect(count).toBe(2);
    // R@1 = (1 + 0)/2; MRR = (1 + 1/2)/2 = 0.75; nDCG = (1 + 1/log2 3)/2.
    expectClose(metrics, { recall1: 0.5, recall5: 1, recall10: 1, mrr: 0.75, map: 0.75, ndcg10: (1 + 1 / L2(3)) / 2 });
  });

  it('returns zeros and a count of 0 for no rows', () => {
    expect(meanMetrics([])).toEqual({ count: 0, metrics: { recall1: 0, recall5: 0, recall10: 0, mrr: 0, map: 0, ndcg10: 0 } });
  });
});

/** Every permutation of 0..n-1 (n <= 7 keeps this under 5,040). */
function permutations(n: number): number[][] {
  if (n === 0) return [[]];
  return permutations(n - 1).flatMap((p) => Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)]));
}

/** The exact mean of each metric over all n! rankings of the pool, cut at `depth`. */
function bruteForce(n: number, r: number, depth: number): Metrics {
  const ids = Array.from({ length: n }, (_, i) => (i < r ? `rel${i}` : `other${i}`));
  const relevant = ids.slice(0, r);
  return meanMetrics(permutations(n).map((p) => scoreRanking(p.slice(0, depth).map((i) => ids[i]), relevant))).metrics;
}

describe('randomExpectation', () => {
  it('matches hand-computed values for three candidates with one relevant', () => {
    // The relevant item is at rank 1, 2 or 3 with probability 1/3 each.
    // R@1 = 1/3; R@5 = R@10 = 1 (the pool is smaller than k).
    // MRR = mAP = (1 + 1/2 + 1/3)/3 = 11/18.
    // nDCG@10 = (1 + 1/log2 3 + 1/log2 4)/3 = 2.13093/3 = 0.71031 (ideal DCG is 1).
    expectClose(randomExpectation({ poolSize: 3, relevant: 1 }), { recall1: 1 / 3, recall5: 1, recall10: 1, mrr: 11 / 18, map: 11 / 18, ndcg10: (1 + 1 / L2(3) + 0.5) / 3 });
  });

  it('matches the hand-enumerated AP of four candidates with two relevant', () => {
    // Relevant at ranks {1,2}: AP 1; {1,3}: (1 + 2/3)/2 = 5/6; {1,4}: (1 + 2/4)/2 = 3/4;
    // {2,3}: (1/2 + 2/3)/2 = 7/12; {2,4}: (1/2 + 2/4)/2 = 1/2; {3,4}: (1/3 + 2/4)/2 = 5/12.
    // Mean over the six equally likely placements = (12 + 10 + 9 + 7 + 6 + 5)/12/6 = 49/72 = 0.68056.
    expect(randomExpectation({ poolSize: 4, relevant: 2 }).map).toBeCloseTo(49 / 72, 12);
    // First relevant at rank 1 w.p. 1/2, rank 2 w.p. (2/4)(2/3) = 1/3, rank 3 w.p. (2/4)(1/3) = 1/6:
    // MRR = 1/2 + 1/6 + 1/18 = 13/18.
    expect(randomExpectation({ poolSize: 4, relevant: 2 }).mrr).toBeCloseTo(13 / 18, 12);
  });

  it('equals the brute-force mean over all rankings of pools up to 7, at every depth', () => {
    for (let n = 1; n <= 7; n++) {
      for (let r = 1; r <= n; r++) {
        for (let depth = 1; depth <= n; depth++) expectClose(randomExpectation({ poolSize: n, relevant: r, depth }), bruteForce(n, r, depth), 10);
      }
    }
  });

  it('gives recall@k = k/N for a large pool, and depth N when none is given', () => {
    const m = randomExpectation({ poolSize: 1000, relevant: 3 });
    expect([m.recall1, m.recall5, m.recall10]).toEqual([0.001, 0.005, 0.01]);
    expect(randomExpectation({ poolSize: 20, relevant: 2, depth: 20 })).toEqual(randomExpectation({ poolSize: 20, relevant: 2 }));
  });

  it('names the bad argument when poolSize, relevant or depth is out of range', () => {
    const bad = (pool: { poolSize: number; relevant: number; depth?: number }, name: string) => {
      try {
        randomExpectation(pool);
        expect.unreachable();
      } catch (err) {
        expect(isRosettaError(err, 'INVALID_ARGUMENT')).toBe(true);
        expect((err as Error).message).toContain(name);
      }
    };
    bad({ poolSize: 0, relevant: 1 }, 'poolSize');
    bad({ poolSize: 2.5, relevant: 1 }, 'poolSize');
    bad({ poolSize: 3, relevant: 4 }, 'relevant');
    bad({ poolSize: 3, relevant: 0 }, 'relevant');
    bad({ poolSize: 3, relevant: 1, depth: 0 }, 'depth');
  });
});
