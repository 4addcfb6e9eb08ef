/**
 * Where the composed-query weight is tuned for the development benchmark: a collection drawn
 * from the demo's train split only (the eval split is what the benchmark scores), shaped like
 * the benchmark's collection: whole variant families picked at random until it holds as many
 * images, so a composed query meets its base, its variants and as many distractors as it will
 * in the benchmark.
 */
import path from 'node:path';
import { z } from 'zod';
import { RosettaError } from '../../models/errors.ts';
import { hash32 } from '../../models/random.ts';
import type { DevCollectionItem } from './dev-set.ts';
import { parseJsonl, readText } from './jsonl.ts';

const itemSchema = z.looseObject({
  id: z.string().min(1),
  path: z.string().min(1),
  modality: z.enum(['image', 'audio']),
  split: z.enum(['train', 'eval']),
  meta: z.looseObject({ family: z.string().min(1).optional() }),
});

export interface TuneSetOptions {
  /** About this many images (whole families, so it may go a family over). */
  images: number;
  /** Drives which families are drawn; default 1. */
  seed?: number;
}

/**
 * Train-split images of randomly drawn variant families, as indexer manifest lines (paths
 * relative to `demoDir`, no captions: a composed query is image + words against images).
 *
 * @example await tuneCollection('models/cache/demo-full', { images: 700 }) // [{ id: 'om-1F44B', path: 'images/1F44B.png', modality: 'image' }, ...]
 */
export async function tuneCollection(demoDir: string, options: TuneSetOptions): Promise<DevCollectionItem[]> {
  const { images, seed = 1 } = options;
  if (!Number.isInteger(images) || images < 1) throw new RosettaError('INVALID_ARGUMENT', `images must be a positive integer, got ${images}`);
  const file = path.join(demoDir, 'items.jsonl');
  const rows = parseJsonl(await readText(file, 'demo items manifest'), itemSchema, file).map((r) => r.value);
  const families = new Map<string, typeof rows>();
  for (const item of rows) {
    if (item.split !== 'train' || item.modality !== 'image') continue;
    const key = item.meta.family ?? item.id;
    families.set(key, [...(families.get(key) ?? []), item]);
  }
  const drawn = [...families.keys()].sort((a, b) => hash32(`${seed}:tune:${a}`) - hash32(`${seed}:tune:${b}`) || (a < b ? -1 : 1));
  const out: DevCollectionItem[] = [];
  for (const key of drawn) {
    if (out.length >= images) break;
    for (const item of families.get(key)!) out.push({ id: item.id, path: item.path, modality: 'image' });
  }
  return out;
}

/**
 * At most `cap` of `examples` (by seeded hash of image and text, independent of input order)
 * whose base image and relevant items are all in the collection.
 *
 * @example pickTuneExamples(await composedExamples(dir, 'train'), items, 120)
 */
export function pickTuneExamples<E extends { image: { name: string }; text: string; relevant: readonly string[] }>(
  examples: readonly E[],
  collection: readonly DevCollectionItem[],
  cap: number,
  seed = 1,
): E[] {
  const ids = new Set(collection.map((i) => i.id));
  const paths = new Set(collection.map((i) => i.path));
  return examples
    .filter((e) => paths.has(e.image.name) && e.relevant.every((id) => ids.has(id)))
    .map((e) => ({ e, h: hash32(`${seed}:tune-query:${e.image.name}:${e.text}`) }))
    .sort((a, b) => a.h - b.h)
    .slice(0, cap)
    .map((x) => x.e);
}
