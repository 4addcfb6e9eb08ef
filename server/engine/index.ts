// The query engine: embeds queries of every modality into the shared space and ranks the collection.
export { QueryEngine, queryType, UPLOADS_DIR, type EngineQuery, type EngineOptions, type QueryProjector } from './engine.ts';
export { openCollection, type OpenedCollection } from './open.ts';
export { fromDataUrl, checkMedia, type QueryMediaField } from './media.ts';
export { reciprocalRankFusion, fuseRankings, RRF_C, FUSION_WINDOW } from './fusion.ts';
export { combineQuery, type WeightedVector } from './combine.ts';
export { readTuning, writeTuning, TUNING_FILE, DEFAULT_COMPOSED_TEXT_WEIGHT, type Tuning } from './tuning.ts';
export { itemView, searchResult, contentUrl, thumbnailUrl, type ItemView } from './views.ts';
export { tuneComposedWeight, TEXT_WEIGHT_GRID, MAX_TUNING_QUERIES, type ComposedExample, type ComposedTuning } from './tune.ts';
