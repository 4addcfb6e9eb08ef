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
  return [...scores].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score || a.id - b.id);
}
