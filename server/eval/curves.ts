/**
 * Recall@K for every K from 1 to a depth, for plotting: a table row says R@10, a curve says
 * how fast each system gets there and where they cross.
 */
import { RosettaError } from '../../models/errors.ts';

/**
 * Recall@K of one ranking for K = 1..depth (the share of relevant items among the first K;
 * an id listed twice counts once, at its first rank).
 *
 * @example recallCurve(['b', 'a', 'c'], ['a', 'c'], 4) // [0, 0.5, 1, 1]
 */
export function recallCurve(ranking: readonly string[], relevant: Iterable<string>, depth: number): number[] {
  checkDepth(depth);
  const rel = new Set(relevant);
  if (rel.size === 0) throw new RosettaError('INVALID_ARGUMENT', 'relevant must name at least one id');
  const seen = new Set<string>();
  const out: number[] = [];
  let found = 0;
  for (const id of ranking) {
    if (out.length >= depth) break;
    if (seen.has(id)) continue;
    seen.add(id);
    if (rel.has(id)) found++;
    out.push(found / rel.size);
  }
  while (out.length < depth) out.push(found / rel.size);
  return out;
}

/**
 * Expected recall@K for K = 1..depth when a pool of `poolSize` is ranked uniformly at random:
 * each relevant item is among the first K with probability min(K, poolSize)/poolSize.
 *
 * @example randomRecallCurve(4, 5) // [0.25, 0.5, 0.75, 1, 1]
 */
export function randomRecallCurve(poolSize: number, depth: number): number[] {
  checkDepth(depth);
  if (!Number.isInteger(poolSize) || poolSize < 0) throw new RosettaError('INVALID_ARGUMENT', `poolSize must be a non-negative integer, got ${poolSize}`);
  return Array.from({ length: depth }, (_, i) => (poolSize === 0 ? 0 : Math.min(i + 1, poolSize) / poolSize));
}

/**
 * The pointwise mean of equal-length curves; an empty list gives an empty curve.
 *
 * @example meanCurve([[0, 1], [1, 1]]) // [0.5, 1]
 */
export function meanCurve(curves: readonly (readonly number[])[]): number[] {
  if (curves.length === 0) return [];
  const n = curves[0].length;
  if (curves.some((c) => c.length !== n)) throw new RosettaError('INVALID_ARGUMENT', 'curves to average must all have the same length');
  const out = new Array<number>(n).fill(0);
  for (const c of curves) for (let i = 0; i < n; i++) out[i] += c[i];
  return out.map((v) => v / curves.length);
}

function checkDepth(depth: number): void {
  if (!Number.isInteger(depth) || depth < 1) throw new RosettaError('INVALID_ARGUMENT', `depth must be a positive integer, got ${depth}`);
}
