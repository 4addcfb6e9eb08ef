/**
 * Ranking metrics for one query (recall@k, reciprocal rank, average precision, nDCG@10), their
 * means over a set of queries, and the exact value each is expected to take under a uniformly
 * random ranking of the candidate pool: the floor a real ranking must clear.
 */
import { RosettaError } from '../../models/errors.ts';

/**
 * The reported metrics. For one query `mrr` is its reciprocal rank and `map` its average
 * precision; averaged over queries they are MRR and mAP. Recall@k is the share of the relevant
 * items found in the first k (not success@k, the share of queries with any hit, that the space
 * report in models/space uses); the two agree when a query has one relevant item.
 */
export interface Metrics {
  recall1: number;
  recall5: number;
  recall10: number;
  mrr: number;
  map: number;
  ndcg10: number;
}

/** Display names in report order. */
export const METRIC_LABELS: Readonly<Record<keyof Metrics, string>> = {
  recall1: 'R@1',
  recall5: 'R@5',
  recall10: 'R@10',
  mrr: 'MRR',
  map: 'mAP',
  ndcg10: 'nDCG@10',
};

export const METRIC_KEYS = Object.keys(METRIC_LABELS) as (keyof Metrics)[];

const NDCG_DEPTH = 10;

/**
 * The metrics of one ranked list of external ids against the relevant set. An id listed twice
 * counts once, at its first rank, so repeating a hit earns nothing. Relevant items the list
 * does not contain count as misses (AP divides by every relevant item).
 *
 * @example
 * scoreRanking(['b', 'a', 'c'], ['a'])
 * // { recall1: 0, recall5: 1, recall10: 1, mrr: 0.5, map: 0.5, ndcg10: 0.6309 }
 */
export function scoreRanking(ranking: readonly string[], relevant: Iterable<string>): Metrics {
  const rel = relevantSet(relevant);
  const hits = hitFlags(ranking, rel);
  return {
    recall1: recallAt(hits, rel.size, 1),
    recall5: recallAt(hits, rel.size, 5),
    recall10: recallAt(hits, rel.size, 10),
    mrr: reciprocalRank(hits),
    map: averagePrecision(hits, rel.size),
    ndcg10: ndcgAt(hits, rel.size, NDCG_DEPTH),
  };
}

/**
 * The expected metrics when the pool of `poolSize` candidates, `relevant` of them relevant, is
 * ranked uniformly at random and the first `depth` (default: all) are returned.
 *
 * All six are exact, by linearity of expectation, so no Monte Carlo error enters the table:
 * - recall@k: each relevant item is among the first min(k, depth) with probability min(k, depth, N)/N.
 * - RR: sum over ranks r <= depth of P(first relevant at r)/r, with
 *   P(first at r) = prod_{i<r-1} (N-R-i)/(N-i) * R/(N-r+1).
 * - AP = (1/R) sum_i rel_i * hits(<=i)/i, and E[rel_i * rel_j] is R/N for i = j and
 *   R(R-1)/(N(N-1)) otherwise, so E[AP] = (1/N) sum_{i<=depth} (1 + (i-1)(R-1)/(N-1)) / i.
 * - nDCG@10: the ideal DCG does not depend on the ranking and each position is relevant with
 *   probability R/N, so E[nDCG@10] = (R/N) sum_{i<min(10,depth,N)} 1/log2(i+2) / IDCG.
 *
 * @example
 * randomExpectation({ poolSize: 100, relevant: 1 })
 * // { recall1: 0.01, recall5: 0.05, recall10: 0.1, mrr: 0.0519, map: 0.0519, ndcg10: 0.0454 }
 */
export function randomExpectation(pool: { poolSize: number; relevant: number; depth?: number }): Metrics {
  const { poolSize: n, relevant: r } = pool;
  if (!Number.isInteger(n) || n < 1) throw new RosettaError('INVALID_ARGUMENT', `poolSize must be a positive integer, got ${n}`);
  if (!Number.isInteger(r) || r < 1 || r > n) throw new RosettaError('INVALID_ARGUMENT', `relevant must be an integer in 1..poolSize (${n}), got ${r}`);
  const depth = Math.min(n, pool.depth ?? n);
  if (!Number.isInteger(depth) || depth < 1) throw new RosettaError('INVALID_ARGUMENT', `depth must be a positive integer, got ${pool.depth}`);
  const recall = (k: number) => Math.min(k, depth) / n;

  let rr = 0;
  let missSoFar = 1; // P(no relevant among the first r-1)
  for (let rank = 1; rank <= depth && missSoFar > 0; rank++) {
    rr += (missSoFar * r) / (n - rank + 1) / rank;
    missSoFar *= Math.max(0, n - r - rank + 1) / (n - rank + 1);
  }

  let ap = 0;
  const pairTerm = n > 1 ? (r - 1) / (n - 1) : 0;
  for (let i = 1; i <= depth; i++) ap += (1 + (i - 1) * pairTerm) / i;
  ap /= n;

  let dcg = 0;
  for (let i = 0; i < Math.min(NDCG_DEPTH, depth); i++) dcg += (r / n) / Math.log2(i + 2);

  return { recall1: recall(1), recall5: recall(5), recall10: recall(10), mrr: rr, map: ap, ndcg10: dcg / idealDcg(r, NDCG_DEPTH) };
}

/**
 * The mean of each metric over a set of per-query values, with their count; all zeros for none.
 *
 * @example meanMetrics([scoreRanking(['a'], ['a']), scoreRanking(['b'], ['a'])]) // { count: 2, metrics: { recall1: 0.5, ... } }
 */
export function meanMetrics(rows: readonly Metrics[]): { count: number; metrics: Metrics } {
  const metrics: Metrics = { recall1: 0, recall5: 0, recall10: 0, mrr: 0, map: 0, ndcg10: 0 };
  for (const row of rows) for (const key of METRIC_KEYS) metrics[key] += row[key];
  if (rows.length > 0) for (const key of METRIC_KEYS) metrics[key] /= rows.length;
  return { count: rows.length, metrics };
}

function relevantSet(relevant: Iterable<string>): Set<string> {
  const rel = new Set(relevant);
  if (rel.size === 0) throw new RosettaError('INVALID_ARGUMENT', 'relevant must name at least one id: a query without relevant items has no defined recall or AP');
  return rel;
}

/** 1 where the ranking's distinct ids are relevant, in rank order. */
function hitFlags(ranking: readonly string[], rel: ReadonlySet<string>): number[] {
  const seen = new Set<string>();
  const hits: number[] = [];
  for (const id of ranking) {
    if (seen.has(id)) continue;
    seen.add(id);
    hits.push(rel.has(id) ? 1 : 0);
  }
  return hits;
}

function recallAt(hits: readonly number[], relevant: number, k: number): number {
  let found = 0;
  for (let i = 0; i < Math.min(k, hits.length); i++) found += hits[i];
  return found / relevant;
}

function reciprocalRank(hits: readonly number[]): number {
  const first = hits.indexOf(1);
  return first < 0 ? 0 : 1 / (first + 1);
}

function averagePrecision(hits: readonly number[], relevant: number): number {
  let found = 0;
  let sum = 0;
  hits.forEach((h, i) => {
    if (h === 0) return;
    found++;
    sum += found / (i + 1);
  });
  return sum / relevant;
}

function ndcgAt(hits: readonly number[], relevant: number, depth: number): number {
  let dcg = 0;
  for (let i = 0; i < Math.min(depth, hits.length); i++) dcg += hits[i] / Math.log2(i + 2);
  return dcg / idealDcg(relevant, depth);
}

/** DCG of the best ranking: every relevant item first, binary gains, up to `depth` of them. */
function idealDcg(relevant: number, depth: number): number {
  let ideal = 0;
  for (let i = 0; i < Math.min(relevant, depth); i++) ideal += 1 / Math.log2(i + 2);
  return ideal;
}
