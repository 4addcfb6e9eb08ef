/**
 * How far one system is ahead of another on the same queries, with a paired bootstrap
 * interval: with a few dozen queries of a type, a margin of 0.02 can be noise, and the table
 * should say so rather than leave it to the reader.
 */
import { RosettaError } from '../../models/errors.ts';
import { mulberry32 } from '../../models/random.ts';
import type { Metrics } from './metrics.ts';
import type { QueryResult } from './run.ts';

export interface Margin {
  metric: keyof Metrics;
  /** Mean of the metric for each system over the queries both answered. */
  a: number;
  b: number;
  /** a - b. */
  delta: number;
  /** 2.5th and 97.5th percentiles of the resampled mean difference. */
  ci95: [number, number];
  queries: number;
}

/**
 * The mean paired difference of `metric` between two runs of the same queries (matched by
 * qid), and its 95% bootstrap interval (queries resampled with replacement, seeded).
 *
 * @example
 * pairedMargin(cca.queries, unaligned.queries, 'recall10')
 * // { metric: 'recall10', a: 0.62, b: 0.03, delta: 0.59, ci95: [0.52, 0.66], queries: 180 }
 */
export function pairedMargin(
  a: readonly QueryResult[],
  b: readonly QueryResult[],
  metric: keyof Metrics,
  options: { resamples?: number; seed?: number } = {},
): Margin {
  const { resamples = 2000, seed = 1 } = options;
  const other = new Map(b.map((r) => [r.qid, r]));
  const pairs = a.flatMap((r) => {
    const o = other.get(r.qid);
    return o ? [[r.metrics[metric], o.metrics[metric]] as const] : [];
  });
  if (pairs.length === 0) throw new RosettaError('INVALID_ARGUMENT', 'the two runs share no query (matched by qid), so they cannot be compared');
  const diffs = pairs.map(([x, y]) => x - y);
  const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const uniform = mulberry32(seed);
  const means = Array.from({ length: resamples }, () => {
    let sum = 0;
    for (let i = 0; i < diffs.length; i++) sum += diffs[Math.floor(uniform() * diffs.length)];
    return sum / diffs.length;
  }).sort((x, y) => x - y);
  const at = (p: number) => means[Math.min(means.length - 1, Math.max(0, Math.round(p * (means.length - 1))))];
  return {
    metric,
    a: mean(pairs.map((p) => p[0])),
    b: mean(pairs.map((p) => p[1])),
    delta: mean(diffs),
    ci95: [at(0.025), at(0.975)],
    queries: pairs.length,
  };
}
