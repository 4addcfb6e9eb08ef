/**
 * Runs a query set through a search function and scores it: per-query metrics, their means per
 * query type and overall, each beside its expectation under a random ranking of the same pool.
 */
import { RosettaError } from '../../models/errors.ts';
import { meanCurve, randomRecallCurve, recallCurve } from './curves.ts';
import { meanMetrics, METRIC_KEYS, METRIC_LABELS, randomExpectation, scoreRanking, type Metrics } from './metrics.ts';
import type { EvalQuery } from './queries.ts';

/** What one search returned: ranked external ids, and how many candidates it ranked them from. */
export interface EvalHit {
  ids: string[];
  /** Candidates that could have been returned (after any `modalities` restriction), for the random baseline. */
  poolSize: number;
}

/**
 * Answers one query. `depth` is how many ids to return: the report's k plus the query's
 * `exclude` count, so that k remain once excluded ids are dropped.
 */
export type EvalSearch = (query: EvalQuery, depth: number) => Promise<EvalHit>;

export interface QueryResult {
  qid: string;
  type: string;
  metrics: Metrics;
  random: Metrics;
  /** Pool after excluded ids are taken out. */
  poolSize: number;
  relevant: number;
  /** 1-based rank of the first relevant id among the first k; null when none is there. */
  firstRelevant: number | null;
  /** Recall@K for K = 1..k, with `curves: true` only. */
  recallCurve?: number[];
  /** Its expectation under a random ranking of the pool. */
  randomCurve?: number[];
}

export interface TypeSummary {
  type: string;
  count: number;
  metrics: Metrics;
  random: Metrics;
  /** Mean recall@K for K = 1..k, with `curves: true` only (for plots). */
  recallCurve?: number[];
  randomCurve?: number[];
}

export interface EvalOptions {
  /** Ids scored per query; default 100. */
  k?: number;
  /** Also compute recall@K for every K up to k, per query and per type. */
  curves?: boolean;
}

export interface EvalReport {
  k: number;
  /** One per query type, in order of first appearance in the query list. */
  types: TypeSummary[];
  /** Means over all queries (each query counts once, whatever its type). */
  overall: TypeSummary;
  queries: QueryResult[];
}

/**
 * Runs every query in order (one at a time: the engine's encoders are the bottleneck and are not
 * re-entrant everywhere) and scores the first `k` ids of each ranking, after dropping the
 * query's `exclude` ids. Excluded ids are taken to be in the pool, so the random baseline ranks
 * `poolSize - exclude.length` candidates.
 *
 * @example
 * await runEval(queries, (q, depth) => engine.search(q, depth), { k: 100 })
 * // { k: 100, types: [{ type: 'text→image', count: 200, metrics: { recall1: 0.41, ... }, random: { recall1: 0.0014, ... } }, ...], overall: {...}, queries: [...] }
 */
export async function runEval(queries: readonly EvalQuery[], search: EvalSearch, options: EvalOptions = {}): Promise<EvalReport> {
  const k = options.k ?? 100;
  if (!Number.isInteger(k) || k < 1) throw new RosettaError('INVALID_ARGUMENT', `k must be a positive integer, got ${k}`);
  const results: QueryResult[] = [];
  for (const query of queries) results.push(scoreQuery(query, await search(query, k + (query.exclude?.length ?? 0)), k, options.curves ?? false));
  const byType = new Map<string, QueryResult[]>();
  for (const r of results) byType.set(r.type, [...(byType.get(r.type) ?? []), r]);
  return {
    k,
    types: [...byType].map(([type, rows]) => summarize(type, rows)),
    overall: summarize('all', results),
    queries: results,
  };
}

function scoreQuery(query: EvalQuery, hit: EvalHit, k: number, curves: boolean): QueryResult {
  const excluded = new Set(query.exclude ?? []);
  const ids = [...new Set(hit.ids)].filter((id) => !excluded.has(id)).slice(0, k);
  if (!Number.isInteger(hit.poolSize) || hit.poolSize < 0) {
    throw new RosettaError('INVALID_ARGUMENT', `search for query ${query.qid} returned poolSize ${hit.poolSize}; it must be a non-negative integer`);
  }
  const pool = hit.poolSize - excluded.size;
  if (pool < ids.length) {
    throw new RosettaError('INVALID_ARGUMENT', `search for query ${query.qid} returned ${ids.length} ids besides the excluded ones from a pool of ${pool}`);
  }
  const relevant = new Set(query.relevant);
  const metrics = scoreRanking(ids, relevant);
  const first = ids.findIndex((id) => relevant.has(id));
  // A relevant id missing from the pool cannot be ranked at all; the random baseline places as
  // many as the pool can hold, and a pool of zero scores zero.
  const random = pool > 0 ? randomExpectation({ poolSize: pool, relevant: Math.min(relevant.size, pool), depth: Math.min(k, pool) }) : zeros();
  const result: QueryResult = { qid: query.qid, type: query.type, metrics, random, poolSize: pool, relevant: relevant.size, firstRelevant: first < 0 ? null : first + 1 };
  if (curves) {
    result.recallCurve = recallCurve(ids, relevant, k);
    // Relevant ids beyond the pool can never be found; as for `random`, only those it can hold count.
    const reachable = Math.min(relevant.size, Math.max(pool, 0)) / relevant.size;
    result.randomCurve = randomRecallCurve(Math.max(pool, 0), k).map((r) => r * reachable);
  }
  return result;
}

function summarize(type: string, rows: readonly QueryResult[]): TypeSummary {
  const { count, metrics } = meanMetrics(rows.map((r) => r.metrics));
  const summary: TypeSummary = { type, count, metrics, random: meanMetrics(rows.map((r) => r.random)).metrics };
  if (rows.length > 0 && rows.every((r) => r.recallCurve && r.randomCurve)) {
    summary.recallCurve = meanCurve(rows.map((r) => r.recallCurve!));
    summary.randomCurve = meanCurve(rows.map((r) => r.randomCurve!));
  }
  return summary;
}

function zeros(): Metrics {
  return { recall1: 0, recall5: 0, recall10: 0, mrr: 0, map: 0, ndcg10: 0 };
}

/**
 * The report as a plain-text table: one row per query type with a `random` row under it.
 *
 * @example
 * formatReport(report)
 * // type          queries    R@1    R@5   R@10    MRR    mAP  nDCG@10
 * // text→image        200  0.410  0.700  0.800  0.540  0.520    0.600
 * //   random                0.001  0.007  0.014  0.010  0.010    0.010
 * // ...
 */
export function formatReport(report: EvalReport): string {
  const typeWidth = Math.max(12, ...report.types.map((t) => t.type.length)) + 2;
  const cell = (text: string, label: string) => text.padStart(Math.max(6, label.length) + 1);
  const values = (m: Metrics) => METRIC_KEYS.map((key) => cell(m[key].toFixed(3), METRIC_LABELS[key])).join('');
  const header = 'type'.padEnd(typeWidth) + 'queries'.padStart(7) + METRIC_KEYS.map((key) => cell(METRIC_LABELS[key], METRIC_LABELS[key])).join('');
  const rows = [...report.types, report.overall].flatMap((t) => [
    t.type.padEnd(typeWidth) + String(t.count).padStart(7) + values(t.metrics),
    '  random'.padEnd(typeWidth) + ''.padStart(7) + values(t.random),
  ]);
  return [`k = ${report.k}`, header, ...rows].join('\n') + '\n';
}
