/**
 * The demo collection, the first thing a new user searches: OpenMoji images, jsfxr sounds and object sounds
 * built from npm packages, the default space trained on their captioned training split,
 * everything indexed (a share without captions, so cross-modal search is what finds those),
 * and the composed-query balance tuned on the validation split.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DATABASE_FILE } from '../../indexer/store/index.ts';
import { runIndexJob, type IndexProgress, type IndexSummary } from '../../indexer/job/index.ts';
import { buildDemoData, DEMO_CREDITS, DEMO_VERSION, type ComposedQuery, type DemoProgress, type DemoSize } from '../../data/demo/index.ts';
import { RosettaError } from '../../models/errors.ts';
import type { DefaultSpaceEvent } from '../../models/space/index.ts';
import { MAX_TUNING_QUERIES, QueryEngine, tuneComposedWeight, writeTuning, type ComposedTuning } from '../engine/index.ts';
import { CREDITS_FILE, encoderSettings } from '../serve.ts';

/** The demo's media, inside the collection so that the collection is one folder to move or delete. */
export const DEMO_MEDIA_DIR = 'demo';
/** Written last: a collection without it is a build that did not finish, and is resumed. */
export const DEMO_DONE_FILE = 'demo-complete.json';

export type DemoCollectionEvent =
  | ({ stage: 'demo' } & DemoProgress)
  | { stage: 'space'; event: DefaultSpaceEvent }
  | ({ stage: 'index' } & IndexProgress)
  | { stage: 'tune'; queries: number }
  | { stage: 'done'; seconds: number };

export interface DemoCollectionOptions {
  dataDir: string;
  /** Trained spaces and external encoders. */
  modelsDir: string;
  /** Converted model files, the demo and feature caches. */
  cacheDir: string;
  /** Default 'cpu'. */
  device?: string;
  /** External encoder picks by modality; built-ins otherwise. */
  encoders?: Record<string, string>;
  /** 'full' (4,495 images, 660 sounds) for people; 'small' (150 images, 88 sounds) for tests. */
  size?: DemoSize;
  /** Delete the collection first and build it again. */
  rebuild?: boolean;
  onProgress?: (event: DemoCollectionEvent) => void;
}

export interface DemoCollectionReport {
  size: DemoSize;
  index: IndexSummary;
  tuning: ComposedTuning;
  seconds: number;
}

/** Whether `dataDir` holds a collection (demo or not) that needs no building. */
export function hasCollection(dataDir: string): boolean {
  if (!existsSync(path.join(dataDir, DATABASE_FILE))) return false;
  if (!existsSync(path.join(dataDir, DEMO_MEDIA_DIR))) return true;
  // A demo build that stopped half-way is finished on the next start, and one made by another
  // version of the demo builder is built again (its data changed: DEMO_VERSION).
  return readDone(dataDir)?.demoVersion === DEMO_VERSION;
}

function readDone(dataDir: string): { size?: string; demoVersion?: number } | undefined {
  try {
    return JSON.parse(readFileSync(path.join(dataDir, DEMO_DONE_FILE), 'utf8')) as { size?: string; demoVersion?: number };
  } catch {
    return undefined;
  }
}

/**
 * Builds (or finishes building) the demo collection in `dataDir`. Every step is resumable:
 * rendered images are kept, the index job skips what is already indexed.
 *
 * @example
 * await buildDemoCollection({ dataDir: 'data/collection', modelsDir: 'models', cacheDir: 'models/cache', size: 'small' })
 * // { size: 'small', index: { indexed: 194, ... }, tuning: { composedTextWeight: 0.4, ... }, seconds: 41.2 }
 */
export async function buildDemoCollection(options: DemoCollectionOptions): Promise<DemoCollectionReport> {
  const { dataDir } = options;
  const settings = encoderSettings(options);
  const size = options.size ?? 'full';
  const emit = options.onProgress ?? (() => {});
  const started = performance.now();
  if (options.rebuild) await rm(dataDir, { recursive: true, force: true });
  else if (existsSync(path.join(dataDir, DATABASE_FILE)) && !existsSync(path.join(dataDir, DEMO_MEDIA_DIR))) {
    // Building here would add the demo's 5,000 items to someone's own collection.
    throw new RosettaError(
      'INVALID_ARGUMENT',
      `${dataDir} holds a collection that is not the demo; build the demo into another directory (--db), or pass --rebuild to delete that collection first`,
    );
  } else if (existsSync(path.join(dataDir, DEMO_DONE_FILE))) {
    const done = readDone(dataDir);
    if (done?.size !== size || done.demoVersion !== DEMO_VERSION) await rm(dataDir, { recursive: true, force: true });
  }
  const mediaDir = path.join(dataDir, DEMO_MEDIA_DIR);
  await buildDemoData({ dir: mediaDir, size, onProgress: (p) => emit({ stage: 'demo', ...p }) });

  const engine = await QueryEngine.open({
    settings,
    dataDir,
    onProgress: (event) => emit({ stage: 'space', event }),
    defaultSpace: { demoDir: mediaDir, demoSize: size },
  });
  try {
    const index = await runIndexJob(engine.store, engine.indexEncoders, {
      paths: [],
      manifests: [{ path: path.join(mediaDir, 'items.jsonl') }],
      featureCacheDir: path.join(settings.cacheDir, 'features'),
      onProgress: (p) => emit({ stage: 'index', ...p }),
      progressIntervalMs: 1000,
    });
    const examples = await composedExamples(mediaDir, 'train');
    emit({ stage: 'tune', queries: Math.min(examples.length, MAX_TUNING_QUERIES) });
    const tuning = await tuneComposedWeight(engine, examples);
    await writeTuning(dataDir, { composedTextWeight: tuning.composedTextWeight, measured: { split: 'train', metric: 'recall@10', ...tuning } });
    await engine.reloadTuning();
    await writeFile(path.join(dataDir, CREDITS_FILE), JSON.stringify(DEMO_CREDITS, null, 2) + '\n');
    const seconds = (performance.now() - started) / 1000;
    await writeFile(path.join(dataDir, DEMO_DONE_FILE), JSON.stringify({ size, demoVersion: DEMO_VERSION, builtAt: new Date().toISOString(), seconds, index }, null, 2) + '\n');
    emit({ stage: 'done', seconds });
    return { size, index, tuning, seconds };
  } finally {
    await engine.close();
  }
}

/**
 * The demo's composed queries of one split with their base images loaded. The 'train' split
 * is never trained on (composed queries are not pairs): it is the validation set for the
 * weighting; 'eval' is kept for the benchmark.
 */
export async function composedExamples(mediaDir: string, split: 'train' | 'eval') {
  const lines = (await readFile(path.join(mediaDir, 'composed.jsonl'), 'utf8')).split('\n').filter(Boolean);
  const queries = lines.map((l) => JSON.parse(l) as ComposedQuery).filter((q) => q.split === split);
  const images = new Map<string, Buffer>();
  const out = [];
  for (const q of queries) {
    if (!images.has(q.image)) images.set(q.image, await readFile(path.join(mediaDir, q.image)));
    out.push({ qid: q.qid, image: { name: q.image, data: images.get(q.image)! }, text: q.text, relevant: q.relevant });
  }
  return out;
}
