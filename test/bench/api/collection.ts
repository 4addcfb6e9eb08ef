/**
 * A large collection that the engine sees as real: built from the demo's real image and
 * audio features, perturbed and mixed with seeded noise (encoding 100,000 real files would
 * take hours), with recombined demo captions on 60 % of the items (FTS5 rows and real sparse
 * text features from the text encoder), real WebP thumbnails of the base images, all written
 * through store.addItem with the space in service (its projector, the HNSW index).
 *
 * Source paths and content hashes are made up: the content routes are not benchmarked.
 * Kept under `root` and reused while GENERATOR_VERSION, the size and the seed are the same.
 * When only the space differs, the items are moved into the new one the way a collection is
 * (the store re-projects its stored features and rebuilds the index on open), which takes a
 * fraction of a build.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { THUMBNAIL_SIDE } from '../../../indexer/job/index.ts';
import { openStore, type NewItem, type StoredFeature } from '../../../indexer/store/index.ts';
import { createEncoder, type EncoderSettings } from '../../../models/encoders/index.ts';
import { mulberry32, normal } from '../../../models/random.ts';
import type { SpaceProjector } from '../../../models/space/index.ts';
import { identityKey, type Encoder, type SparseRow } from '../../../models/types.ts';
import type { DemoBase, DemoBases } from './demo-bases.ts';

/** Bump when what is generated changes, so cached collections are rebuilt. */
export const GENERATOR_VERSION = 1;
/** The collection proper, under the cache root. */
export const COLLECTION_DIR = 'collection';
const STAMP_FILE = 'bench-collection.json';

/** Shares of the collection: most personal collections are mostly photos. */
export const AUDIO_SHARE = 0.07;
export const CAPTIONED_SHARE = 0.6;
/** How far an item strays from its base: a mix with another base, then per-dimension noise. */
const MAX_MIX = 0.5;
const NOISE = 0.2;
/** Items generated, caption-encoded and added per round. */
const CHUNK = 1000;

export interface BenchCollectionOptions {
  root: string;
  items: number;
  seed: number;
  projector: SpaceProjector;
  settings: EncoderSettings;
  bases: DemoBases;
  log?: (line: string) => void;
}

export interface BuildReport {
  items: number;
  image: number;
  audio: number;
  captioned: number;
  /** Making features, captions (text encoder) and thumbnails. */
  generateSeconds: number;
  /** store.addItem for every item: SQLite, projection, HNSW insert. */
  addSeconds: number;
  /** store.close: the index file written. */
  saveSeconds: number;
  totalSeconds: number;
  /**
   * CPU time of the whole build (every thread of the process): on a shared machine wall time
   * says more about the neighbours than about the build. Absent in stamps from before it was kept.
   */
  cpuSeconds?: number;
  /** Bytes on disk of the collection. */
  bytes: number;
  /** Set when the collection was built in another space and re-projected into this one. */
  reprojected?: { from: string; seconds: number; cpuSeconds: number };
}

interface Stamp {
  version: number;
  items: number;
  seed: number;
  space: string;
  build: BuildReport;
}

/**
 * @example
 * const { dataDir, build, reused } = await ensureBenchCollection({ root: 'test/artifacts/bench-api-100k', items: 100_000, ... });
 */
export async function ensureBenchCollection(o: BenchCollectionOptions): Promise<{ dataDir: string; build: BuildReport; reused: boolean }> {
  const dataDir = path.join(o.root, COLLECTION_DIR);
  const stampFile = path.join(o.root, STAMP_FILE);
  const want = { version: GENERATOR_VERSION, items: o.items, seed: o.seed, space: o.projector.version };
  if (existsSync(stampFile)) {
    const stamp = JSON.parse(readFileSync(stampFile, 'utf8')) as Stamp;
    if (stamp.version === want.version && stamp.items === want.items && stamp.seed === want.seed) {
      if (stamp.space === want.space) return { dataDir, build: stamp.build, reused: true };
      const build = { ...stamp.build, reprojected: await reproject(dataDir, stamp.space, o) };
      writeFileSync(stampFile, JSON.stringify({ ...want, build } satisfies Stamp, null, 2) + '\n');
      return { dataDir, build, reused: true };
    }
  }
  rmSync(o.root, { recursive: true, force: true });
  const build = await buildCollection(dataDir, o);
  // Written last: a build that stopped half-way is started again.
  writeFileSync(stampFile, JSON.stringify({ ...want, build } satisfies Stamp, null, 2) + '\n');
  return { dataDir, build, reused: false };
}

/** Opening the store with another space's projector re-projects every item from its stored features. */
async function reproject(dataDir: string, from: string, o: BenchCollectionOptions): Promise<NonNullable<BuildReport['reprojected']>> {
  o.log?.(`collection was built in space ${from}: re-projecting it into ${o.projector.version}`);
  const started = performance.now();
  const cpu = process.cpuUsage();
  const store = await openStore(dataDir, { projector: o.projector });
  try {
    const { space, vectors } = store.stats();
    if (space.version !== o.projector.version || vectors !== o.items) {
      throw new Error(`re-projecting the bench collection left space ${space.version} with ${vectors} vectors; delete ${o.root} to rebuild it`);
    }
  } finally {
    await store.close();
  }
  const used = process.cpuUsage(cpu);
  return { from, seconds: (performance.now() - started) / 1000, cpuSeconds: (used.user + used.system) / 1e6 };
}

async function buildCollection(dataDir: string, o: BenchCollectionOptions): Promise<BuildReport> {
  const log = o.log ?? (() => {});
  const started = performance.now();
  const cpu = process.cpuUsage();
  const uniform = mulberry32(o.seed);
  const text = (await createEncoder('text', o.settings)) as Encoder<'text', 'sparse'>;
  const textKey = identityKey(text.identity);
  const thumbs = await thumbnails(o.bases);
  const noise = { image: spread(o.bases.image), audio: spread(o.bases.audio) };
  // The encoders the space was trained on: the features the projector places.
  const featureKey = { image: o.projector.encoders.image!.key, audio: o.projector.encoders.audio!.key };
  const store = await openStore(dataDir, { projector: o.projector });
  const report: BuildReport = { items: o.items, image: 0, audio: 0, captioned: 0, generateSeconds: 0, addSeconds: 0, saveSeconds: 0, totalSeconds: 0, bytes: 0 };
  try {
    for (let from = 0; from < o.items; from += CHUNK) {
      let t = performance.now();
      const chunk: NewItem[] = [];
      const captions: string[] = [];
      for (let i = from; i < Math.min(o.items, from + CHUNK); i++) {
        const modality = uniform() < AUDIO_SHARE ? 'audio' : 'image';
        const pool = o.bases[modality];
        const base = pool[Math.floor(uniform() * pool.length)];
        const other = pool[Math.floor(uniform() * pool.length)];
        const vector = perturb(base.feature, other.feature, noise[modality], uniform);
        const caption = uniform() < CAPTIONED_SHARE ? recombine(base.caption, other.caption, uniform) : undefined;
        const item: NewItem = {
          externalId: `bench/${modality}/${String(i).padStart(6, '0')}`,
          modality,
          sourcePath: `/bench-api/not-on-disk/${i}.${modality === 'image' ? 'png' : 'wav'}`,
          contentHash: createHash('sha256').update(`bench-api:${o.seed}:${i}`).digest('hex'),
          mime: modality === 'image' ? 'image/png' : 'audio/wav',
          captions: caption ? [{ text: caption, source: 'manifest' }] : [],
          features: [{ kind: 'dense', modality, encoder: featureKey[modality], dim: vector.length, vector }],
          ...(modality === 'image' ? { width: 256, height: 256, thumbnail: thumbs.get(base)! } : { duration: 0.3 + 1.2 * uniform() }),
        };
        if (caption) captions.push(caption);
        chunk.push(item);
        report[modality]++;
      }
      const rows = captions.length ? ((await text.encode(captions)) as SparseRow[]) : [];
      let r = 0;
      for (const item of chunk) {
        if (item.captions!.length === 0) continue;
        const sparse = rows[r++];
        item.features.push({ kind: 'sparse', modality: 'text', encoder: textKey, dim: text.dim, sparse } satisfies StoredFeature);
        report.captioned++;
      }
      report.generateSeconds += (performance.now() - t) / 1000;
      t = performance.now();
      for (const item of chunk) await store.addItem(item);
      report.addSeconds += (performance.now() - t) / 1000;
      if ((from / CHUNK) % 10 === 9 || from + CHUNK >= o.items) {
        const done = Math.min(o.items, from + CHUNK);
        log(`  ${done} items: generate ${report.generateSeconds.toFixed(1)} s, addItem ${report.addSeconds.toFixed(1)} s (${(done / report.addSeconds).toFixed(0)} items/s)`);
      }
    }
  } finally {
    const t = performance.now();
    await store.close();
    report.saveSeconds = (performance.now() - t) / 1000;
    await text.close();
  }
  report.totalSeconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  report.cpuSeconds = (used.user + used.system) / 1e6;
  report.bytes = ['collection.sqlite', 'collection.sqlite-wal', 'vectors.hnsw']
    .map((f) => path.join(dataDir, f))
    .filter((f) => existsSync(f))
    .reduce((sum, f) => sum + statSync(f).size, 0);
  return report;
}

/** Per dimension: the spread across bases (noise scale) and the floor (ReLU features stay >= 0). */
function spread(bases: DemoBase[]): { std: Float32Array; min: Float32Array } {
  const dim = bases[0].feature.length;
  const mean = new Float64Array(dim);
  const sq = new Float64Array(dim);
  const min = new Float32Array(dim).fill(Infinity);
  for (const { feature } of bases) {
    for (let j = 0; j < dim; j++) {
      mean[j] += feature[j];
      sq[j] += feature[j] * feature[j];
      min[j] = Math.min(min[j], feature[j]);
    }
  }
  const std = new Float32Array(dim);
  for (let j = 0; j < dim; j++) {
    const m = mean[j] / bases.length;
    std[j] = Math.sqrt(Math.max(0, sq[j] / bases.length - m * m));
  }
  return { std, min };
}

/** (1 - a) base + a other + noise, a uniform in [0, MAX_MIX), clamped at the bases' floor. */
function perturb(base: Float32Array, other: Float32Array, s: { std: Float32Array; min: Float32Array }, uniform: () => number): Float32Array {
  const a = MAX_MIX * uniform();
  const out = new Float32Array(base.length);
  for (let j = 0; j < base.length; j++) {
    const v = (1 - a) * base[j] + a * other[j] + NOISE * s.std[j] * normal(uniform);
    out[j] = Math.max(s.min[j], v);
  }
  return out;
}

/**
 * The base's caption with its tags shuffled and thinned, sometimes with a tag of another
 * item: "grinning face — grin, happy, sparkle".
 */
export function recombine(caption: string, other: string, uniform: () => number): string {
  const [head, tagText = ''] = caption.split(' — ');
  const tags = tagText.split(', ').filter(Boolean);
  const otherTags = (other.split(' — ')[1] ?? '').split(', ').filter(Boolean);
  for (let i = tags.length - 1; i > 0; i--) {
    const j = Math.floor(uniform() * (i + 1));
    [tags[i], tags[j]] = [tags[j], tags[i]];
  }
  const keep = tags.slice(0, Math.min(tags.length, 2 + Math.floor(uniform() * 5)));
  if (otherTags.length && uniform() < 0.3) keep.push(otherTags[Math.floor(uniform() * otherTags.length)]);
  return keep.length ? `${head} — ${[...new Set(keep)].join(', ')}` : head;
}

/** One WebP thumbnail per base image, made as the indexer makes them; derived items share it. */
async function thumbnails(bases: DemoBases): Promise<Map<DemoBase, Buffer>> {
  const out = new Map<DemoBase, Buffer>();
  for (const base of bases.image) {
    const data = readFileSync(path.join(bases.demoDir, base.path));
    out.set(
      base,
      await sharp(data).resize(THUMBNAIL_SIDE, THUMBNAIL_SIDE, { fit: 'inside', withoutEnlargement: true }).webp({ quality: 75, effort: 2 }).toBuffer(),
    );
  }
  return out;
}
