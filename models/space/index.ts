// The public surface of models/space/: training a coordinated space end to end, the versioned
// model directory, and the projector that serves it to the store and to queries.
export { pairCounts, pairSetNames, denseModalities, selectPairs } from './corpus.ts';
export type { CaptionRow, CaptionedRows, DenseModality, EncoderInfo, PairCorpus, PairSetName, SketchImageRows } from './corpus.ts';
export { splitCorpus, orderedGroups, defaultSplit } from './groups.ts';
export type { SplitOptions } from './groups.ts';
export { encodeFiles, fromDisk } from './encode.ts';
export type { EncodeProgress, FileSource, SkippedFile } from './encode.ts';
export { readPairManifest, parsePairLines, encodePairLines, encodeCaptions } from './manifest-pairs.ts';
export type { EncodeReport, PairEncoders, PairLine } from './manifest-pairs.ts';
export { TEXT_BIAS_ID, withBias, modelFromLinearSpace, extendTextBag } from './init.ts';
export { trainSpace, trainDefaults, warmStartRefusal, PIVOT_SET } from './train.ts';
export { pivotAudioImagePairs } from './pivot-pairs.ts';
export type { PivotPairs } from './pivot-pairs.ts';
export type { TrainEvent, TrainSpaceOptions } from './train.ts';
export { evaluateSpace, evaluateEmergent, categoryWords, recallAtK, EMERGENT_RELEVANCE, modelEmbedder, linearEmbedder, randomEmbedder } from './evaluate.ts';
export type { Embedder } from './evaluate.ts';
export {
  writeSpace,
  loadSpace,
  listSpaces,
  loadCurrentSpace,
  readCurrentVersion,
  setCurrentSpace,
  spacesDir,
  SPACES_DIR,
  CURRENT_FILE,
} from './directory.ts';
export type { LoadedSpace, SpaceDraft, SpaceSummary } from './directory.ts';
export { SPACE_FILE, CURVES_FILE, TEXT_IDS_FILE, retrievalTasks, stableManifest, parseManifest } from './manifest.ts';
export type { SpaceManifest, SpaceStage, RecallAtK, RetrievalTask, SystemName, TaskResult, EmergentResult } from './manifest.ts';
export { curvesSvg } from './curves.ts';
export { TextHead } from './text-head.ts';
export { SpaceProjector } from './projector.ts';
export type { ProjectorOptions } from './projector.ts';
export { applyDense, BagIndex } from './head-math.ts';
export { headFromOnnx, readInitializers } from './onnx-weights.ts';
export { probeDevice } from './device.ts';
export { collectionPairs, mergeCorpora } from './collection-pairs.ts';
export type { CollectionPairOptions } from './collection-pairs.ts';
export { trainCollectionSpace } from './train-collection.ts';
export type { CollectionTrainEvent, TrainCollectionOptions } from './train-collection.ts';
export { ensureDefaultSpace, findDefaultSpace, recipeName, subsetPairLines, DEFAULT_MAX_IMAGES, DEFAULT_STAGE2, SKETCH_VARIANTS } from './default-space.ts';
export type { DefaultSpaceEvent, DefaultSpaceOptions } from './default-space.ts';
export { FeatureCache, sha256Hex } from './feature-cache.ts';
