/**
 * Training pairs from a collection: captioned items' stored features with their captions, and
 * sketch-photo pairs made from the collection's own images (pseudo-sketches), so a collection
 * without drawings still teaches the sketch head.
 */
import { readFile } from 'node:fs/promises';
import type { CollectionStore } from '../../indexer/store/index.ts';
import { RosettaError } from '../errors.ts';
import { pseudoSketch } from '../sketch/index.ts';
import { identityKey, type Encoder } from '../types.ts';
import type { CaptionRow, PairCorpus, SketchImageRows } from './corpus.ts';
import { encodeFiles, type EncodeProgress, type SkippedFile } from './encode.ts';
import { hash32 } from './groups.ts';
import { encodeCaptions } from './manifest-pairs.ts';

export interface CollectionPairOptions {
  text: Encoder;
  /** Makes the pseudo-sketches' features; without it there are no sketch-image pairs. */
  sketch?: Encoder;
  /** Stored feature encoder per item modality; default: the encoder with the most features. */
  keys?: Partial<Record<'image' | 'audio', string>>;
  /** Images to draw pseudo-sketches of (seeded choice), at most. Default 1000; 0 for none. */
  pseudoSketches?: number;
  seed?: number;
  batchSize?: number;
  /** Keeps pseudo-sketch features by content (see FeatureCache). */
  cacheDir?: string;
  onProgress?: (p: EncodeProgress) => void;
}

/**
 * Reads the collection's training pairs. Only pseudo-sketches decode files (each chosen image
 * once); everything else comes from stored features.
 *
 * @example
 * const { corpus, report } = await collectionPairs(store, { text, sketch });
 * pairCounts(corpus) // { 'image-text': 812, 'sketch-text': 0, 'audio-text': 96, 'sketch-image': 1000 }
 */
export async function collectionPairs(
  store: CollectionStore,
  options: CollectionPairOptions,
): Promise<{ corpus: PairCorpus; report: { skipped: SkippedFile[]; droppedPairs: number; ms: number } }> {
  const started = performance.now();
  const stats = store.stats();
  const corpus: PairCorpus = { encoders: {}, captions: [], captioned: {} };
  const texts = new Map<string, number>();
  const pending: { modality: 'image' | 'audio'; itemId: number; vector: Float32Array; caption: string }[] = [];
  const images = new Map<number, { vector: Float32Array; sourcePath: string }>();
  for (const m of ['image', 'audio'] as const) {
    const key = options.keys?.[m] ?? mostUsed(stats.features, m);
    if (!key) continue;
    for (const { itemId, feature } of store.listFeatures(m, key)) {
      if (feature.kind !== 'dense') {
        throw new RosettaError('INVALID_ARGUMENT', `stored ${m} features of ${key} are sparse; training needs dense ${m} features`);
      }
      corpus.encoders[m] ??= { key, dim: feature.dim };
      const item = store.getItem(itemId);
      if (m === 'image') images.set(itemId, { vector: feature.vector, sourcePath: item.sourcePath });
      for (const c of item.captions) {
        pending.push({ modality: m, itemId, vector: feature.vector, caption: c.text });
        texts.set(c.text, 0);
      }
    }
  }
  const skipped: SkippedFile[] = [];
  const rows = await encodeCaptions(options.text, [...texts.keys()], skipped);
  corpus.encoders.text = { key: identityKey(options.text.identity), dim: options.text.dim };
  const captionIndex = new Map<string, number>();
  let dropped = 0;
  for (const p of pending) {
    const row = rows.get(p.caption);
    if (!row) {
      dropped++;
      continue;
    }
    let c = captionIndex.get(p.caption);
    if (c === undefined) {
      c = corpus.captions.length;
      corpus.captions.push({ text: p.caption, row } satisfies CaptionRow);
      captionIndex.set(p.caption, c);
    }
    const target = (corpus.captioned[p.modality] ??= { features: [], caption: [], source: [] });
    target.features.push(p.vector);
    target.caption.push(c);
    target.source.push(`item:${p.itemId}`);
  }

  const budget = options.pseudoSketches ?? 1000;
  if (options.sketch && budget > 0 && images.size > 0) {
    const seed = options.seed ?? 1;
    const chosen = [...images.keys()].sort((a, b) => hash32(`${seed}:${a}`) - hash32(`${seed}:${b}`) || a - b).slice(0, budget);
    const files = chosen.map((id) => ({
      key: String(id),
      load: async () => pseudoSketch({ name: images.get(id)!.sourcePath, data: await readFile(images.get(id)!.sourcePath) }),
    }));
    const sketches = await encodeFiles(options.sketch, files, { batchSize: options.batchSize, cacheDir: options.cacheDir, onProgress: options.onProgress });
    skipped.push(...sketches.skipped);
    corpus.encoders.sketch = { key: identityKey(options.sketch.identity), dim: options.sketch.dim };
    const si = { sketch: [] as Float32Array[], image: [] as Float32Array[], sketchSource: [] as string[], imageSource: [] as string[] };
    for (const id of chosen) {
      const row = sketches.rows.get(String(id));
      if (!row) continue;
      si.sketch.push(row);
      si.image.push(images.get(id)!.vector);
      si.sketchSource.push(`pseudo:${id}`);
      si.imageSource.push(`item:${id}`);
    }
    if (si.sketch.length > 0) corpus.sketchImage = si;
  }
  return { corpus, report: { skipped, droppedPairs: dropped, ms: Math.round(performance.now() - started) } };
}

function mostUsed(features: { modality: string; encoder: string; count: number }[], m: string): string | undefined {
  return features.filter((f) => f.modality === m).sort((a, b) => b.count - a.count || (a.encoder < b.encoder ? -1 : 1))[0]?.encoder;
}

/**
 * Two corpora as one (e.g. a manifest's pairs and a collection's); encoders must agree.
 *
 * @example mergeCorpora(fromManifest, fromCollection).captions.length // distinct captions of both
 */
export function mergeCorpora(a: PairCorpus, b: PairCorpus): PairCorpus {
  const encoders = { ...a.encoders };
  for (const [m, e] of Object.entries(b.encoders) as [keyof PairCorpus['encoders'], { key: string; dim: number }][]) {
    const mine = encoders[m];
    if (mine && mine.key !== e.key) {
      throw new RosettaError('DIMENSION_MISMATCH', `${m} pairs come from two encoders (${mine.key} and ${e.key}); train on one`);
    }
    encoders[m] = e;
  }
  const captions = [...a.captions];
  const index = new Map(captions.map((c, i) => [c.text, i]));
  const remap = b.captions.map((c) => {
    let i = index.get(c.text);
    if (i === undefined) {
      i = captions.length;
      captions.push(c);
      index.set(c.text, i);
    }
    return i;
  });
  const out: PairCorpus = { encoders, captions, captioned: {} };
  for (const m of ['image', 'sketch', 'audio'] as const) {
    const [x, y] = [a.captioned[m], b.captioned[m]];
    if (!x && !y) continue;
    out.captioned[m] = {
      features: [...(x?.features ?? []), ...(y?.features ?? [])],
      caption: [...(x?.caption ?? []), ...(y?.caption ?? []).map((c) => remap[c])],
      source: [...(x?.source ?? []), ...(y?.source ?? [])],
    };
  }
  const [s, t] = [a.sketchImage, b.sketchImage];
  if (s || t) {
    out.sketchImage = {
      sketch: [...(s?.sketch ?? []), ...(t?.sketch ?? [])],
      image: [...(s?.image ?? []), ...(t?.image ?? [])],
      sketchSource: [...(s?.sketchSource ?? []), ...(t?.sketchSource ?? [])],
      imageSource: [...(s?.imageSource ?? []), ...(t?.imageSource ?? [])],
      ...(s?.variants || t?.variants ? { variants: [...variantsOf(s), ...variantsOf(t)] } : {}),
    };
  }
  return out;
}

/** Each pair's drawn variants, beside their drawings: none for a side made without them. */
function variantsOf(rows: SketchImageRows | undefined): Float32Array[][] {
  return rows?.variants ?? (rows?.sketch ?? []).map(() => []);
}
