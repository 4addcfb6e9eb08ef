/**
 * Reciprocal rank fusion (Cormack, Clarke & Büttcher 2009): each list adds 1 / (c + rank) to
 * an id's score. It needs no calibration between cosine scores and bm25, which live on
 * unrelated scales; c = 60 is the paper's value and the common default.
 */
export const RRF_C = 60;

/**
 * @example
 * reciprocalRankFusion([[3, 1, 2], [1, 4]]) // [{ id: 1, score: 1/62 + 1/61 }, { id: 3, ... }, ...]
 */
export function reciprocalRankFusion(lists: readonly (readonly number[])[], c = RRF_C): { id: number; score: number }[] {
  const scores = new Map<number, number>();
  for (const list of lists) list.forEach((id, rank) => scores.set(id, (scores.get(id) ?? 0) + 1 / (c + rank + 1)));
  // Array.prototype.sort is stable: equal scores keep the order of first appearance, so the
  // list given first wins ties.
  return [...scores].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score);
}

/**
 * How much of each list hybrid ranking fuses: the default page. It must not depend on the page
 * asked for (RRF over lists cut at different depths ranks differently, so page 2 would repeat
 * or skip items of page 1), and it stays shallow on purpose: the deeper the vector list, the
 * more captioned items collect a keyword share on top of their vector share and bury the
 * uncaptioned ones, which only vectors can find.
 */
export const FUSION_WINDOW = 20;

/**
 * Hybrid ranking as one list that any page is a slice of: RRF over the first `window` ids of
 * `primary` and `secondary`, then the rest of `primary` in its own order (scored below every
 * fused id), so paging deeper never reorders what came before.
 *
 * @example
 * fuseRankings([5, 1, 7, 9], [2, 5], 2) // [{ id: 5, score: 1/61 + 1/62 }, { id: 2, ... }, { id: 1, ... }, { id: 7, score: 1/63 }, { id: 9, score: 1/64 }]
 */
export function fuseRankings(primary: readonly number[], secondary: readonly number[], window = FUSION_WINDOW, c = RRF_C): { id: number; score: number }[] {
  // The secondary (keyword) list goes first so that it wins exact ties: the first vector hit
  // and the first keyword hit score the same, and a caption holding every query word is the
  // more specific evidence.
  const head = reciprocalRankFusion([secondary.slice(0, window), primary.slice(0, window)], c);
  const fused = new Set(head.map((h) => h.id));
  const tail = primary.flatMap((id, rank) => (rank >= window && !fused.has(id) ? [{ id, score: 1 / (c + rank + 1) }] : []));
  return [...head, ...tail];
}

/**
 * How deep the primary list must reach for fuseRankings to rank a page ending at `depth` as
 * the whole list would: max(depth, window). The head holds the primary window plus the s
 * secondary ids outside it; below it the primary list goes on without the (at most s) ids the
 * head took already, so `depth` results need window + (depth - window - s) + s primary ids.
 *
 * @example
 * primaryDepth(20); // 20
 * primaryDepth(45); // 45
 */
export function primaryDepth(depth: number, window = FUSION_WINDOW): number {
  return Math.max(depth, window);
}
