/**
 * The development benchmark: evaluation queries built from a demo build (data/demo), whose
 * relevant targets are all items of the `eval` split, which no training pair ever used.
 *
 * Relevance is complete only within the eval split (a training image can share a sketch or a
 * category word with a query), so the benchmark's collection is the eval split alone:
 * `devCollection` lists it. Queries are restricted to the target modality (`modalities`), and a
 * query whose own item is in that collection drops it from the ranking (`exclude`).
 */
import path from 'node:path';
import { z } from 'zod';
import type { ComposedQuery, DemoItem, ImageMeta } from '../../data/demo/index.ts';
import { RosettaError } from '../../models/errors.ts';
import { hash32 } from '../../models/random.ts';
import { categoryWords } from '../../models/space/index.ts';
import { parseJsonl, readText, writeJsonl } from './jsonl.ts';
import type { EvalQuery } from './queries.ts';

/** The benchmark's query types, in report order. */
export const DEV_QUERY_TYPES = ['text→image', 'sketch→image', 'composed', 'text→audio', 'audio→image', 'image→image'] as const;
export type DevQueryType = (typeof DEV_QUERY_TYPES)[number];

export type DevQuery = EvalQuery & { type: DevQueryType };

export interface DevSetOptions {
  /** At most this many queries of each type, chosen by a seeded hash; default 200. */
  perType?: number;
  /** Drives which queries a capped type keeps; default 1. */
  seed?: number;
}

/** A line of the collection manifest the indexer reads (`rosetta index --manifest`). */
export interface DevCollectionItem {
  id: string;
  path: string;
  modality: 'image' | 'audio';
  caption?: string;
}

// Only the fields used here are checked; the rest of a line passes through untouched.
const itemSchema = z.looseObject({
  id: z.string().min(1),
  path: z.string().min(1),
  modality: z.enum(['image', 'audio']),
  caption: z.string().optional(),
  split: z.enum(['train', 'eval']),
  meta: z.looseObject({ caption: z.string().min(1), family: z.string().min(1).optional(), sketch: z.string().min(1).optional() }),
});

const composedSchema = z.looseObject({
  qid: z.string().min(1),
  image: z.string().min(1),
  base: z.string().min(1),
  text: z.string().min(1),
  relevant: z.array(z.string().min(1)).min(1),
  split: z.enum(['train', 'eval']),
});

/**
 * The development queries of the demo build in `demoDir`, types in DEV_QUERY_TYPES order and
 * each type sorted by qid. A type the build cannot supply is absent (the small build has no
 * sound whose category words any image shares, hence no audio→image queries).
 *
 * @example
 * await buildDevQueries('models/cache/demo-full')
 * // [{ qid: 't2i-om-0034-FE0F-20E3', type: 'text→image', text: 'keycap: 4 — four', relevant: ['om-0034-FE0F-20E3'], modalities: ['image'] }, ...]
 */
export async function buildDevQueries(demoDir: string, options: DevSetOptions = {}): Promise<DevQuery[]> {
  const perType = options.perType ?? 200;
  const seed = options.seed ?? 1;
  if (!Number.isInteger(perType) || perType < 1) throw new RosettaError('INVALID_ARGUMENT', `perType must be a positive integer, got ${perType}`);
  const items = await readItems(demoDir);
  const evalItems = items.filter((i) => i.split === 'eval');
  const composed = await readComposed(demoDir, new Map(items.map((i) => [i.id, i])));
  const all: DevQuery[] = [
    ...textQueries(evalItems, 'image'),
    ...sketchQueries(evalItems),
    ...composedQueries(composed),
    ...textQueries(evalItems, 'audio'),
    ...audioToImageQueries(evalItems),
    ...imageToImageQueries(evalItems),
  ];
  return DEV_QUERY_TYPES.flatMap((type) => pick(all.filter((q) => q.type === type), perType, `${seed}:dev:${type}`));
}

/**
 * The benchmark's collection: every eval item of the build, as indexer manifest lines with
 * paths relative to `demoDir`. Captions are left out unless asked for: a stored caption gives
 * its item a text feature, and a text query that is that very caption would then be matched
 * text to text, not text to image.
 *
 * @example await devCollection('models/cache/demo-full') // [{ id: 'om-1F60A', path: 'images/1F60A.png', modality: 'image' }, ...]
 */
export async function devCollection(demoDir: string, options: { captions?: boolean } = {}): Promise<DevCollectionItem[]> {
  return (await readItems(demoDir))
    .filter((i) => i.split === 'eval')
    .map((i) => ({ id: i.id, path: i.path, modality: i.modality, ...(options.captions && i.caption !== undefined ? { caption: i.caption } : {}) }));
}

/** Writes queries (or collection lines) as JSONL, one per line. */
export async function writeDevQueries(file: string, queries: readonly DevQuery[]): Promise<void> {
  await writeJsonl(file, queries);
}

/** Writes the collection manifest for `rosetta index --manifest FILE --root DEMO_DIR`. */
export async function writeDevCollection(file: string, items: readonly DevCollectionItem[]): Promise<void> {
  await writeJsonl(file, items);
}

type Item = Pick<DemoItem, 'id' | 'path' | 'modality' | 'caption' | 'split'> & { meta: Pick<ImageMeta, 'caption'> & Partial<Pick<ImageMeta, 'family' | 'sketch'>> };

async function readItems(demoDir: string): Promise<Item[]> {
  const file = path.join(demoDir, 'items.jsonl');
  const rows = parseJsonl(await readText(file, 'demo items manifest'), itemSchema, file, (i) =>
    i.modality === 'image' && (i.meta.family === undefined || i.meta.sketch === undefined) ? `image ${i.id} has no meta.family or meta.sketch` : undefined,
  );
  return rows.map((r) => r.value);
}

async function readComposed(demoDir: string, items: ReadonlyMap<string, Item>): Promise<Pick<ComposedQuery, 'qid' | 'image' | 'base' | 'text' | 'relevant'>[]> {
  const file = path.join(demoDir, 'composed.jsonl');
  const notEval = (id: string) => items.get(id)?.split !== 'eval';
  const rows = parseJsonl(await readText(file, 'demo composed queries'), composedSchema, file, (q) => {
    if (q.split !== 'eval') return undefined;
    const bad = [q.base, ...q.relevant].filter(notEval);
    return bad.length > 0 ? `eval query ${q.qid} names ${bad.join(', ')}, not eval items of items.jsonl` : undefined;
  });
  return rows.map((r) => r.value).filter((q) => q.split === 'eval');
}

/** Groups items by a key, in first-seen order. */
function groupBy(items: readonly Item[], key: (i: Item) => string | undefined): Map<string, Item[]> {
  const groups = new Map<string, Item[]>();
  for (const item of items) {
    const k = key(item);
    if (k === undefined) continue;
    const g = groups.get(k);
    if (g) g.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/** One query per distinct caption of the modality; every item with that caption is relevant. */
function textQueries(evalItems: readonly Item[], modality: 'image' | 'audio'): DevQuery[] {
  const byCaption = groupBy(
    evalItems.filter((i) => i.modality === modality),
    (i) => i.meta.caption,
  );
  return [...byCaption].map(([caption, group]) => ({
    qid: `${modality === 'image' ? 't2i' : 't2a'}-${group[0].id}`,
    type: modality === 'image' ? 'text→image' : 'text→audio',
    text: caption,
    relevant: group.map((i) => i.id),
    modalities: [modality],
  }));
}

/** One query per distinct line-art file: it finds every eval image drawn with it. */
function sketchQueries(evalItems: readonly Item[]): DevQuery[] {
  const bySketch = groupBy(
    evalItems.filter((i) => i.modality === 'image'),
    (i) => i.meta.sketch,
  );
  return [...bySketch].map(([sketch, group]) => ({
    qid: `s2i-${group[0].id}`,
    type: 'sketch→image',
    sketch,
    relevant: group.map((i) => i.id),
    modalities: ['image'],
  }));
}

/** The base image is in the collection and looks most like the variant, so it is not an answer. */
function composedQueries(composed: readonly Pick<ComposedQuery, 'qid' | 'image' | 'base' | 'text' | 'relevant'>[]): DevQuery[] {
  return composed.map((q) => ({
    qid: q.qid,
    type: 'composed',
    image: q.image,
    text: q.text,
    relevant: [...q.relevant],
    exclude: [q.base],
    modalities: ['image'],
  }));
}

/** Each eval sound finds the eval images whose captions share a category word (EMERGENT_RELEVANCE). */
function audioToImageQueries(evalItems: readonly Item[]): DevQuery[] {
  const images = evalItems.filter((i) => i.modality === 'image').map((i) => ({ id: i.id, words: categoryWords(i.meta.caption) }));
  return evalItems
    .filter((i) => i.modality === 'audio')
    .flatMap((sound): DevQuery[] => {
      const words = categoryWords(sound.meta.caption);
      const relevant = images.filter((img) => [...img.words].some((w) => words.has(w))).map((img) => img.id);
      return relevant.length === 0 ? [] : [{ qid: `a2i-${sound.id}`, type: 'audio→image', audio: sound.path, relevant, modalities: ['image'] }];
    });
}

/** Each eval image finds the rest of its variant family (skin tones, gendered forms). */
function imageToImageQueries(evalItems: readonly Item[]): DevQuery[] {
  const families = groupBy(
    evalItems.filter((i) => i.modality === 'image'),
    (i) => i.meta.family,
  );
  return [...families.values()]
    .filter((family) => family.length > 1)
    .flatMap((family) =>
      family.map((img): DevQuery => ({
        qid: `i2i-${img.id}`,
        type: 'image→image',
        image: img.path,
        relevant: family.filter((other) => other.id !== img.id).map((other) => other.id),
        exclude: [img.id],
        modalities: ['image'],
      })),
    );
}

/** At most `cap` queries by seeded hash rank (independent of input order), then sorted by qid. */
function pick(queries: readonly DevQuery[], cap: number, salt: string): DevQuery[] {
  const chosen =
    queries.length <= cap
      ? [...queries]
      : queries
          .map((q) => ({ q, h: hash32(`${salt}:${q.qid}`) }))
          .sort((a, b) => a.h - b.h || compare(a.q.qid, b.q.qid))
          .slice(0, cap)
          .map((x) => x.q);
  return chosen.sort((a, b) => compare(a.qid, b.qid));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
