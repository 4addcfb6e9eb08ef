import { RosettaError, isRosettaError } from '../../models/errors.ts';
import { FeatureCache } from '../../models/space/index.ts';
import { identityKey } from '../../models/types.ts';
import type { Caption, CollectionStore } from '../store/index.ts';
import { encodeBatch } from './encode.ts';
import { FileStatCache, type FileStatEntry } from './file-stats.ts';
import { scanInputs } from './scan.ts';
import { addCaptions, stageFile, type Staged, type StageContext } from './stage.ts';
import { Tally } from './tally.ts';
import type { Candidate, IndexDuplicate, IndexEncoders, IndexFailure, IndexJobOptions, IndexProgress, IndexSummary } from './types.ts';

const DEFAULT_BATCH = 32;
/**
 * Files read and decoded at once. sharp runs each step on libuv's pool (4 threads unless
 * UV_THREADPOOL_SIZE says otherwise) and the audio decoders in their own workers; 4 keeps that
 * pool fed while inference holds the main thread. Measured on the shared 2-core machine, 2, 4
 * and 6 were within noise of each other.
 */
const PREPARE_CONCURRENCY = 4;
/**
 * How often the vector index is saved during a long job. The store repairs drift on open, so
 * this only bounds how many items a crash leaves to re-project.
 */
const SAVE_EVERY_MS = 120_000;

/**
 * Indexes the files, directories and manifests in `options`: scan, hash, decode, encode in
 * batches (decoding batch b+1 while batch b is in inference), then one store write per item.
 * Files already in the collection with the same content and features of the current encoders
 * are skipped, so a re-run, or a run after a crash, does only what is left. A bad file is
 * recorded against the job and skipped; only a failure of the collection itself throws.
 *
 * @example
 * await runIndexJob(store, encoders, { paths: ['/photos'] })
 * // { jobId: 3, status: 'succeeded', total: 1200, indexed: 1180, added: 1180, updated: 0, unchanged: 0,
 * //   duplicates: 12, failed: 8, errors: { CORRUPT_MEDIA: { count: 8, examples: [...] } }, seconds: 31.5 }
 */
export async function runIndexJob(store: CollectionStore, encoders: IndexEncoders, options: IndexJobOptions): Promise<IndexSummary> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 4096) {
    throw new RosettaError('INVALID_ARGUMENT', `batchSize must be an integer in 1..4096; got ${String(batchSize)}`);
  }
  checkEncoders(encoders);
  const jobId = store.startJob('index', { paths: options.paths, manifests: options.manifests ?? [], manifestRoot: options.manifestRoot, batchSize });
  const tally = new Tally();
  let cache: FileStatCache | undefined;
  let imageFeatures: FeatureCache | undefined;
  try {
    const scan = await scanInputs(options.paths, options.manifests, options.manifestRoot);
    tally.total = scan.candidates.length + scan.failures.length;
    options.onStart?.({ jobId, total: tally.total });
    const fail = (f: IndexFailure) => {
      store.recordError(jobId, f);
      tally.fail(f);
      options.onError?.(f);
    };
    scan.failures.forEach(fail);
    cache = FileStatCache.open(store.dir);
    const image = encoders.image;
    if (options.featureCacheDir && image.kind === 'dense') {
      imageFeatures = await FeatureCache.open(options.featureCacheDir, identityKey(image.identity), image.dim);
    }
    const ctx: StageContext = { store, encoders, cache, refuseTakenIds: true, ...(imageFeatures ? { imageFeatures } : {}) };
    // The last batch's report may already say done == total: the final one is not repeated.
    let lastDone = -1;
    const onProgress = options.onProgress && ((p: IndexProgress) => {
      if (p.done === lastDone) return;
      lastDone = p.done;
      options.onProgress!(p);
    });
    const sink: Sink = {
      fail,
      duplicate: (d) => {
        tally.duplicate(d);
        options.onDuplicate?.(d);
      },
    };
    await processAll(ctx, scan.candidates, { ...options, batchSize, onProgress }, tally, sink);
    const status = options.signal?.aborted ? 'cancelled' : 'succeeded';
    await store.flush();
    onProgress?.(tally.progress());
    store.finishJob(jobId, { status, counts: tally.counts() });
    return tally.summary(jobId, status);
  } catch (err) {
    try {
      store.finishJob(jobId, { status: 'failed', counts: tally.counts() });
    } catch {
      // The store itself is what failed; the job stays 'running' and reads as interrupted on the next open.
    }
    throw err;
  } finally {
    cache?.close();
    await imageFeatures?.save().catch(() => {
      // Only a cache: a failed write costs the next run some CNN time, nothing else.
    });
  }
}

async function processAll(
  ctx: StageContext,
  candidates: Candidate[],
  options: IndexJobOptions & { batchSize: number },
  tally: Tally,
  sink: Sink,
): Promise<void> {
  const { store, encoders, cache } = ctx;
  const interval = options.progressIntervalMs ?? 250;
  let lastProgress = 0;
  let lastSave = performance.now();
  const stageChunk = (from: number) =>
    mapOrdered(candidates.slice(from, from + options.batchSize), PREPARE_CONCURRENCY, (c) => stageFile(ctx, c));

  let next = candidates.length > 0 && !options.signal?.aborted ? stageChunk(0) : undefined;
  for (let from = 0; next; from += options.batchSize) {
    const staged = await next;
    const more = from + options.batchSize < candidates.length && !options.signal?.aborted;
    // Started before this batch's inference, so decoding overlaps it.
    next = more ? stageChunk(from + options.batchSize) : undefined;
    const seen: (FileStatEntry & { externalId: string })[] = [];
    for (const s of await encodeBatch(encoders, staged, ctx.imageFeatures)) {
      const outcome = await write(ctx, s, sink, options.keepDuplicateCaptions === true);
      if (outcome) {
        if (outcome !== 'duplicate') tally.count(outcome);
        if (s.kind !== 'failed') seen.push({ ...s.seen, externalId: s.candidate.externalId });
      }
    }
    cache.putMany(seen);
    const now = performance.now();
    if (options.onProgress && now - lastProgress >= interval) {
      lastProgress = now;
      options.onProgress(tally.progress());
    }
    if (now - lastSave >= SAVE_EVERY_MS) {
      lastSave = now;
      await store.flush();
    }
  }
}

/** Where a write's failures and duplicates go (both counted and reported by the job). */
interface Sink {
  fail(f: IndexFailure): void;
  duplicate(d: IndexDuplicate): void;
}

/** Commits one item; undefined when it failed (and was recorded). */
async function write(
  ctx: StageContext,
  s: Staged,
  sink: Sink,
  keepCaptions: boolean,
): Promise<'added' | 'updated' | 'unchanged' | 'duplicate' | undefined> {
  const { store } = ctx;
  switch (s.kind) {
    case 'final':
      return s.outcome;
    case 'failed':
      sink.fail(s.failure);
      return undefined;
    case 'duplicate':
      return duplicate(ctx, s.candidate, s.of.id, s.captions, sink, keepCaptions);
    case 'encode':
      throw new RosettaError('INTERNAL', `item ${s.candidate.path} reached the write step without inference`);
    case 'write':
      try {
        const result = await store.addItem(s.item);
        // Another file of this job, with the same bytes, was written first.
        if (result.status === 'duplicate') return duplicate(ctx, s.candidate, result.id, s.item.captions ?? [], sink, keepCaptions);
        return result.status;
      } catch (err) {
        // A RosettaError is the store refusing this item (a bad value); anything else is the
        // store failing (disk full, a closed database) and stops the job.
        if (!isRosettaError(err)) throw err;
        sink.fail({ path: s.candidate.path, code: err.code, message: `${s.candidate.path}: ${err.message}` });
        return undefined;
      }
  }
}

/** Reports a file whose bytes item `holderId` holds, adding its captions to that item if asked. */
async function duplicate(
  ctx: StageContext,
  c: Candidate,
  holderId: number,
  captions: readonly Caption[],
  sink: Sink,
  keepCaptions: boolean,
): Promise<'duplicate' | undefined> {
  let captionsAdded = 0;
  try {
    if (keepCaptions && captions.length > 0) captionsAdded = await addCaptions(ctx, holderId, captions, c.origin ?? c.path);
  } catch (err) {
    if (!isRosettaError(err)) throw err;
    sink.fail({ path: c.path, code: err.code, message: `${c.origin ?? c.path}: its captions could not be added to item ${holderId}: ${err.message}` });
    return undefined;
  }
  const holder = ctx.store.getItem(holderId);
  sink.duplicate({
    path: c.path,
    externalId: c.externalId,
    ...(c.origin ? { origin: c.origin } : {}),
    of: { id: holder.id, externalId: holder.externalId, path: holder.sourcePath },
    captionsAdded,
  });
  return 'duplicate';
}

/** `fn` over `items` with at most `limit` in flight, results in input order. */
async function mapOrdered<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}

function checkEncoders(encoders: IndexEncoders): void {
  for (const m of ['image', 'audio'] as const) {
    const e = encoders[m] as Partial<IndexEncoders[typeof m]> | undefined;
    if (typeof e?.prepare !== 'function' || typeof e.run !== 'function') {
      throw new RosettaError('INVALID_ARGUMENT', `the ${m} encoder must be staged (prepare and run) to index files`);
    }
    if (e.modality !== m) throw new RosettaError('INVALID_ARGUMENT', `encoders.${m} encodes ${String(e.modality)}, not ${m}`);
  }
  if (encoders.text?.modality !== 'text') throw new RosettaError('INVALID_ARGUMENT', 'encoders.text must be a text encoder');
}
