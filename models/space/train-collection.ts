/**
 * `rosetta train --db`: a space trained on a collection's own pairs, warm-started from the
 * default space, then put in service in an order that a crash at any point cannot break:
 * the space is written (hidden temp dir, renamed), the collection is re-projected from its
 * stored features into a new index that is swapped in atomically, and only then does CURRENT
 * move. Killed before the swap, the old space and old index stay in service; killed after
 * it but before CURRENT moves, the store sees on its next open that its index was made by
 * another space and rebuilds it with the one CURRENT names.
 */
import type { CollectionStore } from '../../indexer/store/index.ts';
import type { Encoder } from '../types.ts';
import { collectionPairs, mergeCorpora } from './collection-pairs.ts';
import { pairCounts, type PairCorpus, type PairSetName } from './corpus.ts';
import { readCurrentVersion, setCurrentSpace, writeSpace, type LoadedSpace } from './directory.ts';
import type { EncodeProgress } from './encode.ts';
import { SpaceProjector } from './projector.ts';
import { trainSpace, warmStartRefusal, type TrainEvent, type TrainSpaceOptions } from './train.ts';

export interface TrainCollectionOptions extends Omit<TrainSpaceOptions, 'source' | 'init' | 'encodeReport' | 'onProgress'> {
  store: CollectionStore;
  modelsDir: string;
  /** The text encoder featurizes captions; the sketch encoder makes pseudo-sketch features. */
  encoders: { text: Encoder; sketch?: Encoder };
  /** Stored feature encoder per item modality (default: the one with the most features). */
  keys?: Partial<Record<'image' | 'audio', string>>;
  /** Images to draw pseudo-sketches of. Default 1000; 0 for none. */
  pseudoSketches?: number;
  /** Keeps pseudo-sketch features by content between runs (see FeatureCache). */
  featureCacheDir?: string;
  /** The space Stage 2 starts from (normally the default space); null: this data's CCA. */
  warmStart: LoadedSpace | null;
  /** More pairs to train on beside the collection's (e.g. from a manifest). */
  extra?: { corpus: PairCorpus; skipped: number; droppedPairs: number; ms: number };
  /** Names the data in the manifest. Default 'collection:<store dir>'. */
  source?: string;
  onProgress?: (event: CollectionTrainEvent) => void;
}

export type CollectionTrainEvent =
  | { stage: 'pairs'; counts: Record<PairSetName, number> }
  | EncodeProgress
  | TrainEvent
  | { stage: 'written'; version: string }
  | { stage: 'reprojected'; vectors: number; skipped: number }
  | { stage: 'current'; version: string; previous: string | null };

/**
 * @example
 * const { space } = await trainCollectionSpace({ store, modelsDir: 'models', encoders: { text, sketch }, warmStart: defaultSpace });
 * space.manifest.hyper.init // 'warm:20261128T081500Z-5e0c1d2a'
 */
export async function trainCollectionSpace(options: TrainCollectionOptions): Promise<{ space: LoadedSpace; reprojected: { vectors: number; skipped: number }; previous: string | null }> {
  const emit = options.onProgress ?? (() => {});
  const { store, modelsDir, encoders, keys, pseudoSketches, featureCacheDir, warmStart, extra, source, ...train } = options;
  const pairs = await collectionPairs(store, { text: encoders.text, sketch: encoders.sketch, keys, pseudoSketches, seed: train.seed, cacheDir: featureCacheDir, onProgress: emit });
  const corpus = extra ? mergeCorpora(extra.corpus, pairs.corpus) : pairs.corpus;
  emit({ stage: 'pairs', counts: pairCounts(corpus) });
  const refusal = warmStart ? encoderRefusal(warmStart, corpus) ?? warmStartRefusal(warmStart.model, corpus) : undefined;
  const { model, draft } = await trainSpace(corpus, {
    ...train,
    source: source ?? `collection:${store.dir}`,
    ...(warmStart && !refusal ? { init: { model: warmStart.model, name: warmStart.manifest.version } } : {}),
    encodeReport: {
      skipped: pairs.report.skipped.length + (extra?.skipped ?? 0),
      droppedPairs: pairs.report.droppedPairs + (extra?.droppedPairs ?? 0),
      ms: pairs.report.ms + (extra?.ms ?? 0),
    },
    onProgress: (e) => emit(e.stage === 'init' && refusal ? { ...e, reason: refusal } : e),
  });
  const space = await writeSpace(modelsDir, model, draft);
  emit({ stage: 'written', version: space.manifest.version });
  const reprojected = await store.reproject(new SpaceProjector(space));
  emit({ stage: 'reprojected', ...reprojected });
  const previous = await readCurrentVersion(modelsDir);
  await setCurrentSpace(modelsDir, space.manifest.version);
  emit({ stage: 'current', version: space.manifest.version, previous });
  return { space, reprojected, previous };
}

/** Why the starting space's encoders rule out a warm start, if they do. */
function encoderRefusal(start: LoadedSpace, corpus: PairCorpus): string | undefined {
  for (const [m, e] of Object.entries(corpus.encoders)) {
    const theirs = start.manifest.encoders[m as keyof typeof start.manifest.encoders];
    if (theirs && theirs.key !== e.key) return `space ${start.manifest.version} was trained on ${m} encoder ${theirs.key}, the collection has ${e.key}`;
  }
  return undefined;
}
