import { hash32 } from '../../models/random.ts';
import type { MediaInput } from '../../models/types.ts';
import { combineQuery } from './combine.ts';
import type { QueryEngine } from './engine.ts';

export interface ComposedExample {
  qid?: string;
  image: MediaInput;
  text: string;
  /** External ids of the items the query should find. */
  relevant: string[];
}

export interface ComposedTuning {
  composedTextWeight: number;
  /** Mean recall@10 of each candidate weight on the validation queries. */
  recall10: Record<string, number>;
  queries: number;
}

/** The text shares tried: coarse enough to be cheap, fine enough that the curve shows its peak. */
export const TEXT_WEIGHT_GRID = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];
/** A seeded sample this large pins the weight to a grid step; more only costs CNN time. */
export const MAX_TUNING_QUERIES = 300;

/**
 * The text share of composed queries that finds the relevant items best (mean recall@10;
 * ties go to the weight nearest the middle of the tied run, so a plateau does not pick its
 * edge), measured on validation queries through the engine. Each image and text is embedded
 * once and recombined per weight, exactly as `search` combines them.
 *
 * @example await tuneComposedWeight(engine, examples) // { composedTextWeight: 0.4, recall10: { '0': 0.31, ... }, queries: 120 }
 */
export async function tuneComposedWeight(engine: QueryEngine, examples: readonly ComposedExample[], grid = TEXT_WEIGHT_GRID): Promise<ComposedTuning> {
  const sample = sampleExamples(examples, MAX_TUNING_QUERIES);
  const images = new Map<Buffer, Float32Array>();
  const parts = [];
  for (const ex of sample) {
    let image = images.get(ex.image.data);
    if (!image) images.set(ex.image.data, (image = await engine.embed('image', ex.image)));
    parts.push({ image, text: await engine.embed('text', ex.text), relevant: ex.relevant });
  }
  const scores: number[] = [];
  for (const w of grid) {
    let hits = 0;
    for (const p of parts) {
      const q = combineQuery([{ vector: p.image, weight: 1 - w }, { vector: p.text, weight: w }]);
      const found = new Set((await engine.store.search(q, 10, { modalities: ['image'] })).map((h) => h.item.externalId));
      hits += p.relevant.filter((id) => found.has(id)).length / p.relevant.length;
    }
    scores.push(parts.length ? hits / parts.length : 0);
  }
  const best = Math.max(...scores);
  const tied = grid.flatMap((w, i) => (scores[i] === best ? [w] : []));
  const middle = (tied[0] + tied[tied.length - 1]) / 2;
  const pick = tied.reduce((a, b) => (Math.abs(b - middle) < Math.abs(a - middle) ? b : a));
  return {
    composedTextWeight: pick,
    recall10: Object.fromEntries(grid.map((w, i) => [String(w), Math.round(scores[i] * 10_000) / 10_000])),
    queries: parts.length,
  };
}

/** At most `max` examples, the same ones on every run (by a hash of their text and image name). */
function sampleExamples(examples: readonly ComposedExample[], max: number): readonly ComposedExample[] {
  if (examples.length <= max) return examples;
  const key = (e: ComposedExample) => hash32(e.qid ?? `${e.image.name}|${e.text}`);
  return [...examples].sort((a, b) => key(a) - key(b)).slice(0, max);
}
