import type { SparseRow } from '../../models/types.ts';
import type { VectorIndex } from '../vector/index.ts';

/** What an item is: the file that was indexed. Sketches and text are query or feature modalities. */
export type ItemModality = 'image' | 'audio';
export const itemModalities: readonly ItemModality[] = ['image', 'audio'];

/** Which encoder input a feature came from: a sketch feature is an image encoded as a sketch. */
export type FeatureModality = 'image' | 'audio' | 'sketch' | 'text';
export const featureModalities: readonly FeatureModality[] = ['image', 'audio', 'sketch', 'text'];

export type CaptionSource = 'manifest' | 'sidecar' | 'user';
export const captionSources: readonly CaptionSource[] = ['manifest', 'sidecar', 'user'];

export interface Caption {
  text: string;
  source: CaptionSource;
}

/**
 * One encoder's output for one item. `encoder` is `identityKey(encoder.identity)`; `dim` is
 * the dense length or the size of the sparse id space.
 */
export type StoredFeature =
  | { kind: 'dense'; modality: FeatureModality; encoder: string; dim: number; vector: Float32Array }
  | { kind: 'sparse'; modality: FeatureModality; encoder: string; dim: number; sparse: SparseRow };

/**
 * Maps an item's stored features into the current shared space. `version` names the fitted
 * space; when it changes the store re-projects every item.
 *
 * @example
 * projector.project({ modality: 'image', features }); // Float32Array(dim), or null
 */
export interface Projector {
  readonly version: string;
  readonly dim: number;
  /** null when the item cannot be placed in this space (no features for its encoders). */
  project(item: { modality: ItemModality; features: StoredFeature[] }): Float32Array | null;
}

export interface NewItem {
  /** The user's stable id for the item (a path relative to the library root, say). */
  externalId: string;
  modality: ItemModality;
  sourcePath: string;
  /** sha256 of the file's bytes, lowercase hex. */
  contentHash: string;
  mime: string;
  width?: number;
  height?: number;
  /** Seconds, for audio. */
  duration?: number;
  /** Replace the item's 'manifest' and 'sidecar' captions; 'user' captions are only added. */
  captions?: Caption[];
  /** Upserted per (modality, encoder); all replaced when the content hash changed. */
  features: StoredFeature[];
  /** WebP bytes. */
  thumbnail?: Buffer;
}

/** Fields of an item that can change without it becoming another item. */
export interface ItemPatch {
  sourcePath?: string;
  mime?: string;
  width?: number | null;
  height?: number | null;
  duration?: number | null;
  /** Replaces all captions, whatever their source. */
  captions?: Caption[];
  /** Upserted per (modality, encoder). */
  features?: StoredFeature[];
  /** WebP bytes; null removes the thumbnail. */
  thumbnail?: Buffer | null;
}

export interface ItemRecord {
  id: number;
  externalId: string;
  modality: ItemModality;
  sourcePath: string;
  contentHash: string;
  mime: string;
  width: number | null;
  height: number | null;
  duration: number | null;
  createdAt: string;
  updatedAt: string;
  captions: Caption[];
  hasThumbnail: boolean;
  /** Whether the item has a vector in the current space (false when the projector gave null). */
  indexed: boolean;
}

/**
 * `duplicate`: another item already holds this content hash, so nothing was written and `id`
 * is that item's.
 */
export type AddStatus = 'added' | 'updated' | 'unchanged' | 'duplicate';

export interface AddResult {
  id: number;
  status: AddStatus;
}

export type ItemRef = number | string;

export interface SearchOptions {
  modalities?: readonly ItemModality[];
  filter?: (id: number) => boolean;
}

export interface SearchHit {
  id: number;
  /** Cosine similarity in the shared space. */
  score: number;
  item: ItemRecord;
}

export interface KeywordHit {
  id: number;
  /** Higher is better; the list's order, counted down from its length (see store.keywordSearch). */
  score: number;
  item: ItemRecord;
}

export type JobStatus = 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

export interface JobRecord {
  id: number;
  kind: string;
  status: JobStatus;
  startedAt: string;
  finishedAt: string | null;
  counts: Record<string, number>;
  args: unknown;
  errorCount: number;
}

export interface JobError {
  path: string;
  /** An ErrorCode, or another stable reason code. */
  code: string;
  message: string;
}

/** What openStore found and did to make SQLite and the vector index agree. */
export interface OpenReport {
  /**
   * created: a new collection. loaded: the index file matched. repaired: it was loaded and
   * some items were re-projected or dropped. rebuilt: every item was re-projected.
   */
  action: 'created' | 'loaded' | 'repaired' | 'rebuilt';
  /** Why a rebuild or repair was needed. */
  reason?: string;
  reprojected: number;
  removed: number;
}

export interface StoreOptions {
  projector: Projector;
  /** Makes the empty vector index for a space of `dim`. Default: HnswIndex. */
  createIndex?: (dim: number) => VectorIndex;
  /**
   * Answer keywordIdsAsync from a read-only connection on a worker thread (CaptionReader), off
   * the caller's event loop: for a server. Default false.
   */
  readThread?: boolean;
}

export interface StoreStats {
  items: number;
  byModality: Record<ItemModality, number>;
  /** Live vectors in the index; items minus those the projector could not place. */
  vectors: number;
  captions: number;
  thumbnails: number;
  features: { modality: FeatureModality; encoder: string; dim: number; count: number }[];
  space: { version: string; dim: number };
  /** Vector changes not yet saved to the index file. */
  unsaved: number;
}
