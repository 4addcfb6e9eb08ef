export { openStore, CollectionStore, DATABASE_FILE, INDEX_FILE } from './store.ts';
export type { ItemSummary } from './items.ts';
export { migrate, migrations, schemaVersion, type Migration } from './schema.ts';
export { randomLinearProjector, type RandomProjectorOptions } from './random-projector.ts';
export {
  itemModalities,
  featureModalities,
  captionSources,
  type AddResult,
  type AddStatus,
  type Caption,
  type CaptionSource,
  type FeatureModality,
  type ItemModality,
  type ItemPatch,
  type ItemRecord,
  type ItemRef,
  type JobError,
  type JobRecord,
  type JobStatus,
  type KeywordHit,
  type NewItem,
  type OpenReport,
  type Projector,
  type SearchHit,
  type SearchOptions,
  type StoreOptions,
  type StoreStats,
  type StoredFeature,
} from './types.ts';
