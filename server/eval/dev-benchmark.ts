/**
 * The development benchmark in one run (issue 8): the demo's eval split indexed through the
 * real engine, every dev query type scored for three systems (unaligned random projections,
 * the space's CCA stage alone, CCA + contrastive as served), plus two ablations of the served
 * system: vector only vs hybrid keyword fusion for text queries (on a copy of the collection
 * with captions), and the tuned composed weighting vs image-only and text-only queries.
 * The composed weight is tuned on train-split queries in a collection of train-split images
 * (tune-set.ts), never on the eval split.
 */
import { cp, mkdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { runIndexJob, type IndexSummary } from '../../indexer/job/index.ts';
import { RosettaError } from '../../models/errors.ts';
import { loadCurrentSpace, SpaceProjector, type LoadedSpace } from '../../models/space/index.ts';
import { composedExamples } from '../demo/index.ts';
import { QueryEngine, tuneComposedWeight, writeTuning, type ComposedTuning, type QueryProjector } from '../engine/index.ts';
import { buildDevQueries, devCollection, writeDevCollection, writeDevQueries, type DevCollectionItem, type DevQuery, type DevSetOptions } from './dev-set.ts';
import { mapQueryIds, storedIds } from './duplicates.ts';
import { engineSearch } from './engine-search.ts';
import { pairedMargin, type Margin } from './margins.ts';
import type { Metrics } from './metrics.ts';
import { runEval, type EvalReport, type QueryResult, type TypeSummary } from './run.ts';
import { pickTuneExamples, tuneCollection } from './tune-set.ts';
import { unalignedProjector } from './unaligned.ts';

/** The scored queries, written to the work folder for `rosetta eval --queries`. */
export const QUERIES_FILE = 'queries.jsonl';

export type SystemName = 'unaligned' | 'cca' | 'contrastive';

/** The systems in report order, weakest first. */
export const SYSTEMS: readonly { name: SystemName; label: string }[] = [
  { name: 'unaligned', label: 'unaligned (random projection)' },
  { name: 'cca', label: 'CCA only' },
  { name: 'contrastive', label: 'CCA + contrastive' },
];

/** Query types whose query and targets are different media: the ones alignment must help. */
export const CROSS_MODAL_TYPES = ['text→image', 'sketch→image', 'composed', 'text→audio', 'audio→image'] as const;

/** The metrics each comparison is judged and reported on. */
export const MARGIN_METRICS: readonly (keyof Metrics)[] = ['recall10', 'mrr'];

export interface DevBenchmarkOptions {
  /** A demo build (data/demo): items.jsonl, composed.jsonl and the media. */
  demoDir: string;
  /** Where the benchmark's collections are built; reused (and only topped up) by later runs. */
  workDir: string;
  /** Holds the space in service (CURRENT), whose stages are compared. */
  modelsDir: string;
  cacheDir: string;
  /** Ids scored per query, and the length of the recall@K curves. Default 100. */
  k?: number;
  device?: string;
  encoders?: Record<string, string>;
  /** Queries per type and their seed (see buildDevQueries). */
  devSet?: DevSetOptions;
  /** Composed train queries the weight is tuned on (each costs 11 searches). Default 120. */
  tuneQueries?: number;
  /** Start from empty collections. */
  rebuild?: boolean;
  onProgress?: (line: string) => void;
}

/** One scored configuration: a system, a collection, and the query settings. */
export interface DevRun {
  id: string;
  label: string;
  system: SystemName;
  /** 'plain': the eval split without captions; 'captioned': the same items with their captions. */
  collection: 'plain' | 'captioned';
  hybrid: boolean;
  /** Text share of composed queries in this run; null when it ran none. */
  composedTextWeight: number | null;
  k: number;
  /** Per type, with mean recall@K curves for K = 1..k. */
  types: TypeSummary[];
  overall: TypeSummary;
  queries: QueryResult[];
  seconds: number;
}

/** "`better` beats `worse` on `type`": the claim, its margins, and whether it held. */
export interface DevComparison {
  area: 'alignment' | 'hybrid' | 'composed';
  type: string;
  better: string;
  worse: string;
  margins: Margin[];
  /** The first metric's (R@10's) margin is above 0. */
  holds: boolean;
  /** ... and so is its 95% interval: the margin is not noise. */
  significant: boolean;
}

export interface DevBenchmarkResult {
  k: number;
  demoDir: string;
  space: { version: string; dim: number; dir: string };
  collection: {
    images: number;
    sounds: number;
    captioned: number;
    index: IndexSummary;
    /** Items stored under a twin's id (identical bytes), queries whose ids were rewritten to it, and queries left with none. */
    duplicates: { items: number; queries: number; dropped: number };
  };
  queries: Record<string, number>;
  tuning: ComposedTuning & { split: 'train'; images: number; index: IndexSummary };
  runs: DevRun[];
  comparisons: DevComparison[];
  seconds: number;
}

/**
 * @example
 * const result = await runDevBenchmark({ demoDir: 'models/cache/demo-full', workDir: '.tmp/dev-bench', modelsDir: 'models', cacheDir: 'models/cache' });
 * result.comparisons.filter((c) => c.area === 'alignment' && !c.holds) // the claims that failed
 */
export async function runDevBenchmark(options: DevBenchmarkOptions): Promise<DevBenchmarkResult> {
  const started = performance.now();
  const k = options.k ?? 100;
  const log = options.onProgress ?? (() => {});
  const settings = { modelsDir: options.modelsDir, cacheDir: options.cacheDir, device: options.device ?? 'cpu', encoders: options.encoders ?? {} };
  // With Stage 1's heads: a space written without them cannot be compared stage by stage, and
  // loading says so (NOT_FOUND, naming the space) before any work is done.
  const space = await loadCurrentSpace(options.modelsDir, { withCca: true });
  if (!space) throw new RosettaError('MODEL_NOT_READY', `no space is in service in ${options.modelsDir}; train one first (rosetta train --default)`);
  if (options.rebuild) await rm(options.workDir, { recursive: true, force: true });
  await mkdir(options.workDir, { recursive: true });

  const allQueries = await buildDevQueries(options.demoDir, options.devSet);
  // Rewritten to the ids the collection stores once it is indexed (see duplicates.ts).
  let queries: DevQuery[] = allQueries;
  let duplicates = { items: 0, queries: 0, dropped: 0 };
  const plainItems = await devCollection(options.demoDir);
  const open = (dir: string) => QueryEngine.open({ settings, dataDir: dir });
  const index = async (engine: QueryEngine, name: string, items: readonly DevCollectionItem[]) => {
    const manifest = path.join(options.workDir, `${name}.jsonl`);
    await writeDevCollection(manifest, items);
    const summary = await runIndexJob(engine.store, engine.indexEncoders, { paths: [], manifests: [{ path: manifest, root: options.demoDir }] });
    log(`${name}: ${summary.total} items (${summary.added} added, ${summary.updated} updated, ${summary.unchanged} unchanged, ${summary.failed} failed) in ${summary.seconds.toFixed(1)} s`);
    return summary;
  };

  // 1. The composed weight, on train-split queries among train-split images.
  const images = plainItems.filter((i) => i.modality === 'image').length;
  const tuneItems = await tuneCollection(options.demoDir, { images, seed: options.devSet?.seed });
  let tuning: DevBenchmarkResult['tuning'];
  {
    const engine = await open(path.join(options.workDir, 'tune'));
    try {
      checkSpace(engine, space);
      const summary = await index(engine, 'tune', tuneItems);
      const ids = await storedIds(engine.store, tuneItems, options.demoDir);
      const examples = pickTuneExamples(await composedExamples(options.demoDir, 'train'), tuneItems, options.tuneQueries ?? 120, options.devSet?.seed)
        .map((e) => ({ ...e, relevant: [...new Set(e.relevant.flatMap((id) => (ids.has(id) ? [ids.get(id)!] : [])))] }))
        .filter((e) => e.relevant.length > 0);
      if (examples.length === 0) throw new RosettaError('INVALID_ARGUMENT', `${options.demoDir} has no train-split composed query within the tuning collection`);
      const tuned = await tuneComposedWeight(engine, examples);
      log(`composed weight: text ${tuned.composedTextWeight} (recall@10 by weight ${JSON.stringify(tuned.recall10)}, ${tuned.queries} train queries)`);
      tuning = { ...tuned, split: 'train', images: tuneItems.length, index: summary };
    } finally {
      await engine.close();
    }
  }
  const weight = tuning.composedTextWeight;
  // Kept beside the collection, so `rosetta eval --db <workDir>/plain` weighs composed queries the same way.
  const plainDir = path.join(options.workDir, 'plain');
  await mkdir(plainDir, { recursive: true });
  await writeTuning(plainDir, { composedTextWeight: weight, measured: { split: 'train', metric: 'recall@10', recall10: tuning.recall10, queries: tuning.queries, images: tuning.images } });

  // 2. Every system on every query type, and the composed weighting, on the plain collection.
  const runs: DevRun[] = [];
  let collectionIndex: IndexSummary;
  {
    const engine = await open(plainDir);
    try {
      checkSpace(engine, space);
      collectionIndex = await index(engine, 'plain', plainItems);
      const ids = await storedIds(engine.store, plainItems, options.demoDir);
      const mapped = mapQueryIds(allQueries, ids);
      queries = mapped.queries;
      duplicates = { items: [...ids].filter(([id, stored]) => id !== stored).length, queries: mapped.remapped, dropped: mapped.dropped };
      await writeDevQueries(path.join(options.workDir, QUERIES_FILE), queries);
      if (duplicates.items > 0) log(`${duplicates.items} items share their bytes with another and are stored under its id: ${duplicates.queries} queries look for that id instead, ${duplicates.dropped} are left with nothing to find`);
      const score = async (run: Omit<DevRun, 'k' | 'types' | 'overall' | 'queries' | 'seconds'>, subset: readonly DevQuery[]) => {
        const t = performance.now();
        const search = engineSearch(engine, { root: options.demoDir, hybrid: run.hybrid, ...(run.composedTextWeight === null ? {} : { composedTextWeight: run.composedTextWeight }) });
        const report = await runEval(subset, search, { k, curves: true });
        runs.push(toRun(run, report, (performance.now() - t) / 1000));
        log(`${run.id}: ${subset.length} queries, overall R@10 ${report.overall.metrics.recall10.toFixed(3)} (${((performance.now() - t) / 1000).toFixed(1)} s)`);
      };
      const composed = queries.filter((q) => q.type === 'composed');
      // The engine opens in the served space (CCA + contrastive): that system goes first.
      for (const system of [...SYSTEMS].reverse()) {
        if (system.name !== 'contrastive') await engine.useProjector(systemProjector(system.name, space));
        await score({ id: `system:${system.name}`, label: system.label, system: system.name, collection: 'plain', hybrid: false, composedTextWeight: weight }, queries);
        if (system.name === 'contrastive' && composed.length > 0) {
          for (const [id, label, w] of [['image-only', 'image only (text weight 0)', 0], ['text-only', 'text only (text weight 1)', 1]] as const) {
            await score({ id: `composed:${id}`, label, system: 'contrastive', collection: 'plain', hybrid: false, composedTextWeight: w }, composed);
          }
        }
      }
    } finally {
      await engine.close();
    }
  }

  // 3. Vector only vs hybrid on the same items with their captions. Captions change no vector
  // (a space places an item by its own medium), so only the keyword side differs.
  const captionedDir = path.join(options.workDir, 'captioned');
  // Copying the indexed collection spares a second pass of the encoders: the job then only
  // writes captions.
  if (!existsSync(captionedDir)) await cp(plainDir, captionedDir, { recursive: true });
  const captionedItems = await devCollection(options.demoDir, { captions: true });
  {
    const engine = await open(captionedDir);
    try {
      checkSpace(engine, space);
      await index(engine, 'captioned', captionedItems);
      const textQueries = queries.filter((q) => q.type === 'text→image' || q.type === 'text→audio');
      for (const hybrid of [false, true]) {
        const t = performance.now();
        const report = await runEval(textQueries, engineSearch(engine, { root: options.demoDir, hybrid }), { k, curves: true });
        const id = hybrid ? 'hybrid' : 'vector';
        runs.push(
          toRun({ id: `hybrid:${id}`, label: hybrid ? 'vector + keywords (RRF)' : 'vector only', system: 'contrastive', collection: 'captioned', hybrid, composedTextWeight: null }, report, (performance.now() - t) / 1000),
        );
        log(`hybrid:${id}: ${textQueries.length} queries, overall R@10 ${report.overall.metrics.recall10.toFixed(3)}`);
      }
    } finally {
      await engine.close();
    }
  }

  const counts: Record<string, number> = {};
  for (const q of queries) counts[q.type] = (counts[q.type] ?? 0) + 1;
  return {
    k,
    demoDir: options.demoDir,
    space: { version: space.manifest.version, dim: space.manifest.dim, dir: space.dir },
    collection: {
      images,
      sounds: plainItems.length - images,
      captioned: captionedItems.filter((i) => i.caption !== undefined).length,
      index: collectionIndex,
      duplicates,
    },
    queries: counts,
    tuning,
    runs,
    comparisons: compareRuns(runs),
    seconds: (performance.now() - started) / 1000,
  };
}

/** The engine must serve the space whose stages the benchmark compares. */
function checkSpace(engine: QueryEngine, space: LoadedSpace): void {
  const served = engine.projector.version;
  if (served !== space.manifest.version) {
    throw new RosettaError('INTERNAL', `the engine serves space ${served}, but the benchmark loaded ${space.manifest.version}; did the space in service change during the run?`);
  }
}

function systemProjector(name: SystemName, space: LoadedSpace): QueryProjector {
  switch (name) {
    case 'unaligned':
      return unalignedProjector({ dim: space.manifest.dim, encoders: space.manifest.encoders });
    case 'cca':
      return new SpaceProjector(space, { stage: 'cca' });
    case 'contrastive':
      return new SpaceProjector(space);
  }
}

function toRun(run: Omit<DevRun, 'k' | 'types' | 'overall' | 'queries' | 'seconds'>, report: EvalReport, seconds: number): DevRun {
  return { ...run, k: report.k, types: report.types, overall: report.overall, queries: report.queries, seconds };
}

/**
 * The claims the benchmark checks: on every cross-modal type, CCA beats unaligned and
 * CCA + contrastive beats CCA; hybrid beats vector only for text; the tuned composed weight
 * beats image-only and text-only queries.
 */
export function compareRuns(runs: readonly DevRun[]): DevComparison[] {
  const byId = new Map(runs.map((r) => [r.id, r]));
  const out: DevComparison[] = [];
  const compare = (area: DevComparison['area'], type: string, better: string, worse: string) => {
    const a = byId.get(better)?.queries.filter((q) => q.type === type);
    const b = byId.get(worse)?.queries.filter((q) => q.type === type);
    if (!a?.length || !b?.length) return;
    const margins = MARGIN_METRICS.map((m) => pairedMargin(a, b, m));
    out.push({ area, type, better, worse, margins, holds: margins[0].delta > 0, significant: margins[0].ci95[0] > 0 });
  };
  for (const type of CROSS_MODAL_TYPES) {
    compare('alignment', type, 'system:cca', 'system:unaligned');
    compare('alignment', type, 'system:contrastive', 'system:cca');
  }
  for (const type of ['text→image', 'text→audio']) compare('hybrid', type, 'hybrid:hybrid', 'hybrid:vector');
  // A tuned weight of 0 or 1 is one of the two ablations itself; the comparison says so (delta 0).
  compare('composed', 'composed', 'system:contrastive', 'composed:image-only');
  compare('composed', 'composed', 'system:contrastive', 'composed:text-only');
  return out;
}
