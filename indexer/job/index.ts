// The bulk indexing job behind `rosetta index`: scan inputs, hash, decode, encode, write.
export { runIndexJob } from './job.ts';
export { scanInputs, type ScanResult } from './scan.ts';
export { readManifest } from './manifest.ts';
export { FILE_STATS_FILE } from './file-stats.ts';
export { jobReasons, type JobReason } from './reasons.ts';
export { THUMBNAIL_SIDE } from './thumbnail.ts';
export { progressBar, progressEvent, startEvent, errorEvent, duplicateEvent, summaryEvent, summaryText, clock } from './progress.ts';
export type {
  Candidate,
  IndexDuplicate,
  IndexEncoders,
  IndexFailure,
  IndexJobOptions,
  IndexProgress,
  IndexSummary,
  ItemOutcome,
  ManifestInput,
} from './types.ts';
export { ingestFile, type IngestInput } from './ingest.ts';
export { MIME_TYPES } from './media.ts';
