import type { Encoder, StagedEncoder } from '../../models/types.ts';
import type { Caption, ItemModality } from '../store/index.ts';

/**
 * The encoders a job uses. Image and audio must be staged (per-file `prepare`, batched
 * `run`) so one bad file never costs its batch; text may be sparse (the built-in featurizer)
 * or dense (an external model).
 */
export interface IndexEncoders {
  image: StagedEncoder<'image', unknown>;
  audio: StagedEncoder<'audio', unknown>;
  text: Encoder<'text'>;
}

/** A JSONL manifest and the directory its `path`s are relative to (default: its own). */
export interface ManifestInput {
  path: string;
  root?: string;
}

export interface IndexJobOptions {
  /** Directories (walked recursively), media files and `.jsonl` manifests, in this order. */
  paths: readonly string[];
  /** More manifests. */
  manifests?: readonly ManifestInput[];
  /** What manifest paths are relative to when a manifest has no `root` of its own. Default: the manifest's directory. */
  manifestRoot?: string;
  /** Items per inference batch. Default 32. */
  batchSize?: number;
  /** Stops the job after the batch in flight; it is recorded as 'cancelled'. */
  signal?: AbortSignal;
  /** Called at most every `progressIntervalMs` and once at the end. */
  onProgress?: (progress: IndexProgress) => void;
  progressIntervalMs?: number;
  /** Called for each file that could not be indexed, as soon as it is known. */
  onError?: (failure: IndexFailure) => void;
  /**
   * Reuse (and keep) image features by content hash in this folder, shared with space
   * training's cache (models/cache/features), so files the CNN already saw are not run again.
   */
  featureCacheDir?: string;
  /** Called once the inputs are scanned, before any file is read. */
  onStart?: (info: { jobId: number; total: number }) => void;
  /** Called for each file whose content another item already holds (it is not stored again). */
  onDuplicate?: (duplicate: IndexDuplicate) => void;
  /**
   * Add a duplicate's captions (manifest line, sidecar) to the item that holds its content, as
   * 'user' captions so that a re-index of that item's own file keeps them. Default false: the
   * duplicate is only reported.
   */
  keepDuplicateCaptions?: boolean;
}

/** A file not stored because an item already holds the same bytes. */
export interface IndexDuplicate {
  /** The file, and the id it would have had. */
  path: string;
  externalId: string;
  /** Where it came from when that was a manifest line (`items.jsonl:3`). */
  origin?: string;
  /** The item that holds this content. */
  of: { id: number; externalId: string; path: string };
  /** How many of the file's captions were added to that item (keepDuplicateCaptions). */
  captionsAdded: number;
}

/** One file the scan found, with everything needed to index it. */
export interface Candidate {
  /** Absolute path of the media file. */
  path: string;
  externalId: string;
  /** The modality a manifest declared; the content must agree. */
  declared?: ItemModality;
  /** The manifest line it came from (`/lib/items.jsonl:3`), for messages. */
  origin?: string;
  /** Captions from a manifest line. */
  captions: Caption[];
  /** Sidecar caption files to read, in order of preference; the first that exists is used. */
  sidecars: string[];
}

export type ItemOutcome = 'added' | 'updated' | 'unchanged' | 'duplicate' | 'failed';

export interface IndexFailure {
  path: string;
  /** A RosettaError code, or one of the job's own reason codes (see reasons.ts). */
  code: string;
  message: string;
}

export interface IndexProgress {
  done: number;
  total: number;
  /** Files per second since the job started. */
  rate: number;
  /** Seconds left at the current rate; null before the rate is known. */
  etaSeconds: number | null;
}

export interface IndexSummary {
  jobId: number;
  status: 'succeeded' | 'cancelled';
  total: number;
  /** added + updated. */
  indexed: number;
  added: number;
  updated: number;
  unchanged: number;
  duplicates: number;
  failed: number;
  /** Failures by reason code, with the first few of each. */
  errors: Record<string, { count: number; examples: IndexFailure[] }>;
  /** The first duplicates (up to 20), each with the item that holds its content. */
  duplicatesOf: IndexDuplicate[];
  seconds: number;
}
