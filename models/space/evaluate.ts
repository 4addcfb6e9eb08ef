/**
 * Validation retrieval for the space report: Recall@1/5/10 of each task for each system, and
 * emergent audio -> image retrieval through the text pivot.
 */
import type { LinearSpace } from '../align/index.ts';
import { categoryWords, EMERGENT_RELEVANCE } from '../text/index.ts';
import type { SparseRow } from '../types.ts';
import type { AlignModel, BagHeadParams, DenseHeadParams } from '../align/index.ts';
import type { CaptionRow, DenseModality, PairCorpus } from './corpus.ts';
import { applyDense, BagIndex } from './head-math.ts';
import { gaussianFill } from './random.ts';
import { withBias } from './init.ts';
export { categoryWords, EMERGENT_RELEVANCE } from '../text/index.ts';
import type { EmergentResult, RecallAtK, RetrievalTask, TaskResult } from './manifest.ts';

/** Maps feature rows of each modality into one space; a row it cannot place is the zero vector. */
export interface Embedder {
  dense(modality: DenseModality, x: Float32Array): Float32Array;
  text(row: SparseRow): Float32Array;
}

/** The trained heads (Stage 2, or any AlignModel) as an Embedder. */
export function modelEmbedder(model: AlignModel): Embedder {
  const bag = new BagIndex(model.heads.text as BagHeadParams);
  return {
    dense: (m, x) => (model.heads[m] ? applyDense(model.heads[m] as DenseHeadParams, x) : new Float32Array(bag.head.dim)),
    text: (row) => bag.apply(withBias(row)),
  };
}

/** Stage 1 alone. */
export function linearEmbedder(space: LinearSpace): Embedder {
  const zero = () => new Float32Array(space.dim);
  return {
    dense: (m, x) => (space.maps[m] ? space.project(m, x) : zero()),
    text: (row) => {
      try {
        return space.project('text', row);
      } catch {
        // No id of the caption is known to the bag: it has no place in the space.
        return zero();
      }
    },
  };
}

/**
 * The unaligned baseline: each modality's features through its own seeded Gaussian projection
 * to `dim` (sparse text ids each get a Gaussian column), as the store's random projector
 * places items before any space is fitted. Neighbourhoods within a modality survive
 * (Johnson-Lindenstrauss) but nothing relates one modality to another, so cross-modal recall
 * is at chance: the floor the fitted spaces must clear. For sketch -> image, where both sides
 * come from the same CNN, the raw features are compared directly instead (see `evaluateSpace`).
 */
export function randomEmbedder(dim: number, seed: number): Embedder {
  const matrices = new Map<string, Float32Array>();
  const matrix = (m: string, inDim: number) => {
    let w = matrices.get(m);
    if (!w) matrices.set(m, (w = gaussianFill(inDim * dim, seed * 1009 + m.length * 7 + m.charCodeAt(0))));
    return w;
  };
  const columns = new Map<number, Float32Array>();
  return {
    dense: (m, x) => {
      const w = matrix(m, x.length);
      const out = new Float64Array(dim);
      for (let i = 0; i < x.length; i++) for (let j = 0; j < dim; j++) out[j] += x[i] * w[i * dim + j];
      return unit(out);
    },
    text: (row) => {
      const out = new Float64Array(dim);
      row.ids.forEach((id, k) => {
        let c = columns.get(id);
        if (!c) columns.set(id, (c = gaussianFill(dim, (seed * 7919) ^ id)));
        for (let j = 0; j < dim; j++) out[j] += row.weights[k] * c[j];
      });
      return unit(out);
    },
  };
}

/** A retrieval problem: queries, candidates, and which candidates each query should find. */
interface Task {
  queries: Float32Array[];
  candidates: Float32Array[];
  relevant: number[][];
}

/**
 * Recall@k as success@k: the share of queries with at least one relevant candidate among the
 * k most similar. Ties count against the query (a relevant candidate's rank is the number of
 * candidates scoring strictly higher, as in the trainer's ranking).
 *
 * @example recallAtK(task) // { r1: 0.31, r5: 0.62, r10: 0.74 }
 */
export function recallAtK(task: Task): RecallAtK {
  const hits = { r1: 0, r5: 0, r10: 0 };
  task.queries.forEach((q, i) => {
    const scores = task.candidates.map((c) => dot(q, c));
    let best = Infinity;
    for (const r of task.relevant[i]) {
      let rank = 0;
      for (const s of scores) if (s > scores[r]) rank++;
      best = Math.min(best, rank);
    }
    if (best < 1) hits.r1++;
    if (best < 5) hits.r5++;
    if (best < 10) hits.r10++;
  });
  const n = Math.max(1, task.queries.length);
  return { r1: hits.r1 / n, r5: hits.r5 / n, r10: hits.r10 / n };
}

/** Distinct items of one side of a pair set, and for each pair the item indices it links. */
function distinct<T>(keys: readonly string[], values: readonly T[]): { items: T[]; index: number[] } {
  const at = new Map<string, number>();
  const items: T[] = [];
  const index = keys.map((k, i) => {
    let j = at.get(k);
    if (j === undefined) {
      j = items.length;
      items.push(values[i]);
      at.set(k, j);
    }
    return j;
  });
  return { items, index };
}

/** The pair-set structure of a task, before any system embeds it. */
interface TaskSpec {
  name: RetrievalTask;
  queryRows: { modality: DenseModality | 'text'; rows: (Float32Array | SparseRow)[] };
  candidateRows: { modality: DenseModality | 'text'; rows: (Float32Array | SparseRow)[] };
  relevant: number[][];
}

/**
 * The validation gallery of a modality: every distinct validation item of it, from all pair
 * sets (images come from image-caption and sketch-image pairs). Each task searches the whole
 * gallery, so a sketch competes with every held-out photo, not only those drawn.
 */
function gallery(val: PairCorpus, m: DenseModality): { rows: Float32Array[]; index: Map<string, number> } {
  const index = new Map<string, number>();
  const rows: Float32Array[] = [];
  const add = (source: string, row: Float32Array) => {
    if (index.has(source)) return;
    index.set(source, rows.length);
    rows.push(row);
  };
  const captioned = val.captioned[m];
  captioned?.source.forEach((s, i) => add(s, captioned.features[i]));
  if (m === 'image') val.sketchImage?.imageSource.forEach((s, i) => add(s, val.sketchImage!.image[i]));
  return { rows, index };
}

function captionTasks(val: PairCorpus, m: 'image' | 'audio'): TaskSpec[] {
  const rows = val.captioned[m];
  if (!rows || rows.features.length === 0) return [];
  const items = gallery(val, m);
  const caps = distinct(rows.caption.map(String), rows.caption.map((c) => val.captions[c].row));
  const itemToCaps = items.rows.map(() => new Set<number>());
  const capToItems = caps.items.map(() => new Set<number>());
  rows.source.forEach((source, i) => {
    const it = items.index.get(source)!;
    itemToCaps[it].add(caps.index[i]);
    capToItems[caps.index[i]].add(it);
  });
  // Gallery items without a caption are distractors for text queries but not queries themselves.
  const withCaption = items.rows.map((_, i) => i).filter((i) => itemToCaps[i].size > 0);
  return [
    { name: `text→${m}`, queryRows: { modality: 'text', rows: caps.items }, candidateRows: { modality: m, rows: items.rows }, relevant: capToItems.map((s) => [...s]) },
    {
      name: `${m}→text`,
      queryRows: { modality: m, rows: withCaption.map((i) => items.rows[i]) },
      candidateRows: { modality: 'text', rows: caps.items },
      relevant: withCaption.map((i) => [...itemToCaps[i]]),
    },
  ];
}

function sketchTask(val: PairCorpus): TaskSpec[] {
  const si = val.sketchImage;
  if (!si || si.sketch.length === 0) return [];
  const sketches = distinct(si.sketchSource, si.sketch);
  const images = gallery(val, 'image');
  const rel = sketches.items.map(() => new Set<number>());
  sketches.index.forEach((s, i) => rel[s].add(images.index.get(si.imageSource[i])!));
  return [{ name: 'sketch→image', queryRows: { modality: 'sketch', rows: sketches.items }, candidateRows: { modality: 'image', rows: images.rows }, relevant: rel.map((s) => [...s]) }];
}

function embedAll(e: Embedder, side: TaskSpec['queryRows']): Float32Array[] {
  return side.rows.map((r) => (side.modality === 'text' ? e.text(r as SparseRow) : e.dense(side.modality, r as Float32Array)));
}

/**
 * The validation recall table: every task the split supports, for every system given.
 * `unaligned` is added here: raw features for sketch -> image when sketch and image
 * features have the same width (one CNN), else the random-projection floor.
 *
 * @example
 * evaluateSpace(val, { cca: linearEmbedder(space), contrastive: modelEmbedder(model) }, { dim: 256, seed: 1 })
 * // { 'text→image': { queries: 260, candidates: 265, baseline: 'random projection', systems: { unaligned: {...}, cca: {...}, contrastive: {...} } }, ... }
 */
export function evaluateSpace(val: PairCorpus, systems: Record<string, Embedder>, options: { dim: number; seed: number }): Partial<Record<RetrievalTask, TaskResult>> {
  const specs = [...captionTasks(val, 'image'), ...captionTasks(val, 'audio'), ...sketchTask(val)];
  const random = randomEmbedder(options.dim, options.seed);
  const out: Partial<Record<RetrievalTask, TaskResult>> = {};
  for (const spec of specs) {
    const raw = spec.name === 'sketch→image' && val.encoders.sketch?.dim === val.encoders.image?.dim;
    const unaligned: Embedder = raw ? { dense: (_m, x) => unit(Float64Array.from(x)), text: random.text } : random;
    const result: TaskResult = {
      queries: spec.queryRows.rows.length,
      candidates: spec.candidateRows.rows.length,
      baseline: raw ? 'raw CNN features (cosine)' : 'random projection of each modality (chance level)',
      systems: {},
    };
    for (const [name, e] of Object.entries({ unaligned, ...systems })) {
      result.systems[name] = recallAtK({ queries: embedAll(e, spec.queryRows), candidates: embedAll(e, spec.candidateRows), relevant: spec.relevant });
    }
    out[spec.name] = result;
  }
  return out;
}

/**
 * Emergent audio -> image retrieval: no audio-image pair was ever trained on, so any success
 * comes through the shared text pivot. Queries are the validation sounds; the pool is every
 * image in the corpus (train and validation: the model saw them only with captions). Queries
 * without any relevant image are left out. `chance` is the expected success@k of a random
 * ranking, 1 - C(N-R, k)/C(N, k) averaged over queries.
 *
 * @example
 * evaluateEmergent(all, val, systems) // { task: 'audio→image', queries: 30, pool: 3787, chance: { r10: 0.05 }, systems: { contrastive: { r10: 0.4 } } }
 */
export function evaluateEmergent(all: PairCorpus, val: PairCorpus, systems: Record<string, Embedder>, options: { dim: number; seed: number }): EmergentResult | undefined {
  const audio = val.captioned.audio;
  const images = all.captioned.image;
  if (!audio || !images) return undefined;
  const words = (rows: { source: string[]; caption: number[] }, captions: CaptionRow[]) => {
    const bySource = new Map<string, Set<string>>();
    rows.source.forEach((s, i) => {
      const set = bySource.get(s) ?? new Set<string>();
      for (const w of categoryWords(captions[rows.caption[i]].text)) set.add(w);
      bySource.set(s, set);
    });
    return bySource;
  };
  const audioWords = words(audio, val.captions);
  const imageWords = words(images, all.captions);
  const aItems = distinct(audio.source, audio.features);
  const iItems = distinct(images.source, images.features);
  const aKeys = [...new Set(audio.source)];
  const iKeys = [...new Set(images.source)];
  const relevant = aKeys.map((k) => {
    const mine = audioWords.get(k)!;
    return iKeys.flatMap((ik, j) => ([...imageWords.get(ik)!].some((w) => mine.has(w)) ? [j] : []));
  });
  const keep = relevant.map((r, i) => (r.length > 0 ? i : -1)).filter((i) => i >= 0);
  if (keep.length === 0) return undefined;
  const queries = keep.map((i) => aItems.items[i]);
  const rel = keep.map((i) => relevant[i]);
  const n = iItems.items.length;
  const chance = { r1: 0, r5: 0, r10: 0 };
  for (const r of rel) {
    chance.r1 += 1 - missAll(n, r.length, 1);
    chance.r5 += 1 - missAll(n, r.length, 5);
    chance.r10 += 1 - missAll(n, r.length, 10);
  }
  const result: EmergentResult = {
    task: 'audio→image',
    relevance: EMERGENT_RELEVANCE,
    queries: keep.length,
    pool: n,
    chance: { r1: chance.r1 / keep.length, r5: chance.r5 / keep.length, r10: chance.r10 / keep.length },
    systems: {},
  };
  const all2 = { unaligned: randomEmbedder(options.dim, options.seed), ...systems };
  for (const [name, e] of Object.entries(all2)) {
    result.systems[name] = recallAtK({
      queries: queries.map((x) => e.dense('audio', x)),
      candidates: iItems.items.map((x) => e.dense('image', x)),
      relevant: rel,
    });
  }
  return result;
}

/** C(n-r, k) / C(n, k): the chance that k random picks from n miss all r relevant ones. */
function missAll(n: number, r: number, k: number): number {
  let p = 1;
  for (let i = 0; i < k; i++) p *= Math.max(0, n - r - i) / (n - i);
  return p;
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function unit(v: Float64Array): Float32Array {
  let s = 0;
  for (const x of v) s += x * x;
  const n = Math.sqrt(s);
  return Float32Array.from(v, (x) => (n > 0 ? x / n : 0));
}
