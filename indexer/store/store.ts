import type { Database } from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { RosettaError, isRosettaError } from '../../models/errors.ts';
import { HnswIndex, SerialQueue, type VectorIndex } from '../vector/index.ts';
import { openDatabase } from './db.ts';
import { planKeywordSearch, queryWords, type KeywordMode } from './fts.ts';
import { fingerprint, loadRecorded } from './index-file.ts';
import { ItemWriter, type WriteOutcome } from './item-writes.ts';
import { CaptionReader } from './caption-reader.ts';
import { ItemRepository, type ItemSummary } from './items.ts';
import { JobRepository } from './jobs.ts';
import { isUnwritable, lockDirectory } from './lock.ts';
import { MetaRepository } from './meta.ts';
import { checkProjector } from './project.ts';
import { projectInto } from './rebuild.ts';
import {
  itemModalities,
  type AddResult,
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
import { checkNewItem, checkPatch } from './validate.ts';

export const DATABASE_FILE = 'collection.sqlite';
export const INDEX_FILE = 'vectors.hnsw';
const LOCK_FILE = 'LOCK';

export interface KeywordOptions extends SearchOptions {
  /** Which matches count (fts.ts); default 'fill'. */
  mode?: KeywordMode;
}

/**
 * Opens the collection in `dir` (creating it), and makes the vector index agree with the
 * database before returning: a missing, damaged or stale index file is rebuilt from the
 * stored features, and items written after the last save are re-projected.
 *
 * @example
 * const store = await openStore('data/collection', { projector });
 * store.openReport; // { action: 'loaded', reprojected: 0, removed: 0 }
 */
export async function openStore(dir: string, options: StoreOptions): Promise<CollectionStore> {
  checkProjector(options.projector);
  makeDirectory(dir);
  const release = lockDirectory(join(dir, LOCK_FILE));
  let db: Database | undefined;
  let store: CollectionStore | undefined;
  try {
    db = openDatabase(join(dir, DATABASE_FILE));
    store = new CollectionStore(db, dir, options, release);
    await store.reconcile();
    return store;
  } catch (err) {
    await store?.closeThreads();
    db?.close();
    release();
    throw err;
  }
}

/** Creates the collection directory; a path that is a file, or a parent it may not write, is the caller's error. */
function makeDirectory(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') {
      throw new RosettaError('INVALID_ARGUMENT', `collection directory ${dir} is not a directory (it, or a folder above it, is a file)`, { cause: err });
    }
    if (isUnwritable(code)) {
      throw new RosettaError('INVALID_ARGUMENT', `collection directory ${dir} cannot be created: its parent is not writable (${code})`, { cause: err });
    }
    throw err;
  }
}

/**
 * The collection: item metadata, features, captions, thumbnails and jobs in SQLite, and the
 * items' vectors in the current shared space in a VectorIndex saved beside it. The only
 * code that opens either file.
 *
 * Writes (add, update, delete, reproject, compact, save) run one at a time in call order;
 * each commits to SQLite first, then changes the index. Reads (get*, search) run at once and
 * see every write that has finished; they do not wait for queued writes, so that a long
 * reproject does not stall searches.
 */
export class CollectionStore {
  openReport: OpenReport = { action: 'loaded', reprojected: 0, removed: 0 };
  private readonly items: ItemRepository;
  private readonly writer: ItemWriter;
  private readonly jobs: JobRepository;
  private readonly meta: MetaRepository;
  private readonly writes = new SerialQueue();
  private readonly createIndex: (dim: number) => VectorIndex;
  private readonly indexPath: string;
  private projector: Projector;
  private index: VectorIndex;
  /** Kept in memory so a search filter by modality needs no query per candidate. */
  private modalityOf: Map<number, ItemModality>;
  private readonly modalityCounts: Record<ItemModality, number> = { image: 0, audio: 0 };
  private readonly reader: CaptionReader | undefined;
  private seq: number;
  private unsaved = 0;
  private closed = false;

  /** @internal use openStore */
  constructor(
    private readonly db: Database,
    readonly dir: string,
    options: StoreOptions,
    private readonly release: () => void,
  ) {
    this.items = new ItemRepository(db);
    this.writer = new ItemWriter(this.items, () => this.projector, () => this.nextSeq());
    this.jobs = new JobRepository(db);
    this.meta = new MetaRepository(db);
    this.projector = options.projector;
    this.createIndex = options.createIndex ?? ((dim) => new HnswIndex(dim));
    this.index = this.createIndex(this.projector.dim);
    this.indexPath = join(dir, INDEX_FILE);
    this.modalityOf = this.items.modalities();
    for (const m of this.modalityOf.values()) this.modalityCounts[m]++;
    // Rows can carry a later counter than meta if the database was edited outside the store.
    this.seq = Math.max(this.meta.seq(), this.items.maxSeq());
    // The lock guarantees no other process is running these jobs.
    this.jobs.markInterrupted();
    // Started last: the database it reads is migrated by now.
    this.reader = options.readThread ? new CaptionReader(db.name) : undefined;
  }

  /** The current space: vectors given to search must have `dim` values. */
  get space(): { version: string; dim: number } {
    return { version: this.projector.version, dim: this.projector.dim };
  }

  /**
   * Adds an item, or brings the stored one with the same externalId up to date. A file
   * whose content hash another item already has is not stored twice.
   *
   * @example
   * await store.addItem({ externalId: 'cats/1.jpg', modality: 'image', ... }); // { id: 1, status: 'added' }
   */
  async addItem(input: NewItem): Promise<AddResult> {
    this.checkOpen();
    checkNewItem(input);
    return this.writes.run(() => this.applyWrite(() => this.writer.add(input)));
  }

  /** Changes an item's fields, captions, features or thumbnail. Throws NOT_FOUND. */
  async updateItem(ref: ItemRef, patch: ItemPatch): Promise<AddResult> {
    this.checkOpen();
    checkPatch(patch, `item ${String(ref)}`);
    return this.writes.run(() => this.applyWrite(() => this.writer.update(ref, patch)));
  }

  /** Removes the item with everything hanging off it, and its vector. Throws NOT_FOUND. */
  async deleteItem(ref: ItemRef): Promise<void> {
    this.checkOpen();
    await this.writes.run(() => this.applyWrite(() => this.writer.delete(ref)));
  }

  /** Throws NOT_FOUND for an unknown id or externalId. */
  getItem(ref: ItemRef): ItemRecord {
    this.checkOpen();
    return this.writer.resolve(ref);
  }

  findByHash(contentHash: string): ItemRecord | undefined {
    this.checkOpen();
    return this.items.getByHash(contentHash);
  }

  getFeatures(ref: ItemRef): StoredFeature[] {
    return this.items.features(this.getItem(ref).id);
  }

  /** WebP bytes. Throws NOT_FOUND when the item or its thumbnail does not exist. */
  getThumbnail(ref: ItemRef): Buffer {
    const item = this.getItem(ref);
    const webp = this.items.thumbnail(item.id);
    if (!webp) throw new RosettaError('NOT_FOUND', `item ${item.externalId} has no thumbnail`);
    return webp;
  }

  /**
   * Every stored feature of one encoder, in item id order, read a page at a time so other
   * store calls may run between pages.
   *
   * @example
   * for (const { itemId, feature } of store.listFeatures('image', key)) ...
   */
  *listFeatures(modality: FeatureModality, encoder: string, pageSize = 512): Generator<{ itemId: number; feature: StoredFeature }> {
    this.checkOpen();
    let after = 0;
    for (;;) {
      const page = this.items.featurePage(modality, encoder, after, pageSize);
      yield* page;
      if (page.length < pageSize) return;
      after = page[page.length - 1].itemId;
    }
  }

  /**
   * The `k` items nearest to `vector` (a point in the current space), best first.
   *
   * @example
   * await store.search(query, 2, { modalities: ['audio'] });
   * // [{ id: 9, score: 0.81, item: { externalId: 'rain.wav', ... } }, ...]
   */
  async search(vector: Float32Array, k: number, options: SearchOptions = {}): Promise<SearchHit[]> {
    const hits = await this.nearest(vector, k, options);
    const records = this.items.getMany(hits.map((h) => h.id));
    // A delete can commit between the index search and this read; drop what it removed.
    return hits.flatMap((h) => {
      const item = records.get(h.id);
      return item ? [{ id: h.id, score: h.score, item }] : [];
    });
  }

  /**
   * search without the item records (ids and cosine scores), for callers that read what they
   * show for the final page only (getSummaries).
   */
  async nearest(vector: Float32Array, k: number, options: SearchOptions = {}): Promise<{ id: number; score: number }[]> {
    this.checkOpen();
    const allowed = allowedModalities(options.modalities);
    const keep = this.keeper(options, allowed);
    if (!Number.isInteger(k) || k < 1) throw new RosettaError('INVALID_ARGUMENT', `k ${String(k)} must be a positive integer`);
    // HNSW widens its search until it finds k hits; never ask for more than can exist.
    const reachable = allowed ? [...allowed].reduce((sum, m) => sum + this.modalityCounts[m], 0) : k;
    if (reachable === 0) {
      if (vector?.length !== this.projector.dim) {
        throw new RosettaError('DIMENSION_MISMATCH', `query has ${vector?.length} dimensions but the space has ${this.projector.dim}`);
      }
      return [];
    }
    return this.index.search(vector, Math.min(k, reachable), keep);
  }

  /** SearchOptions as one predicate on item ids; undefined when they keep everything. Checks them. */
  private keeper({ modalities, filter }: SearchOptions, allowed = allowedModalities(modalities)): ((id: number) => boolean) | undefined {
    return allowed || filter ? (id: number) => (!allowed || allowed.has(this.modalityOf.get(id)!)) && (!filter || filter(id)) : undefined;
  }

  /**
   * Items whose captions match the words of `text`, best first: those whose captions hold
   * every word, then those holding some of its words that are not common in the collection
   * (planKeywordSearch, mode 'fill').
   *
   * @example
   * store.keywordSearch('red bird', 5); // [{ id: 3, score: 2, item }, { id: 9, score: 1, item }]
   */
  keywordSearch(text: string, limit = 20): KeywordHit[] {
    const rows = this.keywordIds(text, limit);
    const records = this.items.getMany(rows.map((r) => r.id));
    return rows.flatMap((r) => {
      const item = records.get(r.id);
      return item ? [{ id: r.id, score: r.score, item }] : [];
    });
  }

  /**
   * keywordSearch without the item records, for callers that fuse lists and read records for
   * the final page only. The options keep what they admit of the `limit` best matches in the
   * whole collection, so a filtered list may be shorter: a keyword hit earns its place in the
   * fused ranking by being among the best matches for the words, not the best of one medium.
   * In `exhaustive` mode, a query's only ranking, the list is filled to `limit` when enough match.
   *
   * @example
   * store.keywordIds('red bird', 20, { modalities: ['image'] }); // [{ id: 3, score: 2 }, { id: 9, score: 1 }]
   */
  keywordIds(text: string, limit = 20, options: KeywordOptions = {}): { id: number; score: number }[] {
    const keep = this.checkKeywordQuery(text, limit, options);
    const plan = (n: number) => planKeywordSearch(this.items, text, n, options.mode);
    if (!keep) return plan(limit);
    if (options.mode !== 'exhaustive') return plan(limit).filter((h) => keep(h.id));
    for (let n = limit * 4; ; n *= 4) {
      const next = widenedKeywords(plan(n), n, limit, keep);
      if (next) return next;
    }
  }

  /** keywordIds, run on the reader thread when the store has one (StoreOptions.readThread). */
  async keywordIdsAsync(text: string, limit = 20, options: KeywordOptions = {}): Promise<{ id: number; score: number }[]> {
    if (!this.reader) return this.keywordIds(text, limit, options);
    const keep = this.checkKeywordQuery(text, limit, options);
    const plan = (n: number) => this.reader!.keywordIds(text, n, options.mode);
    if (!keep) return plan(limit);
    if (options.mode !== 'exhaustive') return (await plan(limit)).filter((h) => keep(h.id));
    for (let n = limit * 4; ; n *= 4) {
      const next = widenedKeywords(await plan(n), n, limit, keep);
      if (next) return next;
    }
  }

  /** Checks a keyword query's arguments; returns the options' filter. */
  private checkKeywordQuery(text: string, limit: number, options: KeywordOptions): ((id: number) => boolean) | undefined {
    this.checkOpen();
    checkLimit(limit, 'limit');
    if (typeof text !== 'string' || queryWords(text).length === 0) throw new RosettaError('EMPTY_INPUT', 'keyword query has no words to search for');
    return this.keeper(options);
  }

  /**
   * What a search result shows of the items that exist among `ids` (deleted ones are left
   * out), keyed by id: one query, about half the work of reading whole records.
   *
   * @example
   * store.getSummaries([3]); // Map { 3 => { id: 3, externalId: 'cats/1.jpg', modality: 'image', caption: 'a cat', hasThumbnail: true } }
   */
  getSummaries(ids: readonly number[]): Map<number, ItemSummary> {
    this.checkOpen();
    return this.items.summaries(ids);
  }

  /**
   * Re-projects every item with `projector` into a new index and swaps it in; searches keep
   * using the old index until then, writes wait. Use after the shared space was refitted.
   *
   * @example
   * await store.reproject(v2); // { vectors: 1200, skipped: 3 }
   */
  async reproject(projector: Projector): Promise<{ vectors: number; skipped: number }> {
    this.checkOpen();
    checkProjector(projector);
    return this.writes.run(() => this.rebuild(projector));
  }

  /** Rebuilds the index without the holes deleted items leave. */
  async compact(): Promise<{ vectors: number; skipped: number }> {
    this.checkOpen();
    return this.writes.run(() => this.rebuild(this.projector));
  }

  /** Writes the index file and records it in the database. */
  async save(): Promise<void> {
    this.checkOpen();
    await this.writes.run(() => this.saveNow());
  }

  /** Saves only if a vector changed since the last save. */
  async flush(): Promise<void> {
    this.checkOpen();
    await this.writes.run(() => (this.unsaved > 0 ? this.saveNow() : undefined));
  }

  /** Finishes queued writes, saves, and releases the files. Later calls throw. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.writes.run(() => (this.unsaved > 0 ? this.saveNow() : undefined));
    } finally {
      await this.closeThreads();
      this.db.close();
      this.release();
    }
  }

  /** @internal ends the index's and the reader's threads, if any (openStore's cleanup too). */
  async closeThreads(): Promise<void> {
    await Promise.all([this.index.close(), this.reader?.close()]);
  }

  /** @example store.startJob('index', { root: '/photos' }); // 4 */
  startJob(kind: string, args?: unknown): number {
    this.checkOpen();
    return this.jobs.start(kind, args, now());
  }

  /** One file the job could not handle. Throws NOT_FOUND for an unknown job. */
  recordError(jobId: number, error: JobError): void {
    this.checkOpen();
    this.jobs.addError(jobId, error, now());
  }

  finishJob(jobId: number, outcome: { status: Exclude<JobStatus, 'running' | 'interrupted'>; counts?: Record<string, number> }): void {
    this.checkOpen();
    this.jobs.finish(jobId, outcome.status, outcome.counts ?? {}, now());
  }

  getJob(jobId: number): JobRecord {
    this.checkOpen();
    return this.jobs.get(jobId);
  }

  /** Newest first. */
  listJobs(limit = 20): JobRecord[] {
    this.checkOpen();
    checkLimit(limit, 'limit');
    return this.jobs.list(limit);
  }

  listJobErrors(jobId: number, page: { limit?: number; offset?: number } = {}): JobError[] {
    this.checkOpen();
    const { limit = 100, offset = 0 } = page;
    checkLimit(limit, 'limit');
    if (!Number.isInteger(offset) || offset < 0) throw new RosettaError('INVALID_ARGUMENT', `offset ${offset} must be a non-negative integer`);
    this.jobs.get(jobId);
    return this.jobs.errors(jobId, limit, offset);
  }

  /** @example store.stats(); // { items: 120, vectors: 118, byModality: { image: 100, audio: 20 }, ... } */
  stats(): StoreStats {
    this.checkOpen();
    return {
      items: this.modalityOf.size,
      byModality: { ...this.modalityCounts },
      vectors: this.index.size(),
      ...this.items.counts(),
      space: this.space,
      unsaved: this.unsaved,
    };
  }

  /** @internal Called once by openStore: make the index agree with the database. */
  async reconcile(): Promise<void> {
    const space = this.meta.space();
    const p = this.projector;
    if (!space && this.modalityOf.size === 0) {
      this.db.transaction(() => this.meta.setSpace({ version: p.version, dim: p.dim }))();
      await this.saveNow();
      this.openReport = { action: 'created', reprojected: 0, removed: 0 };
      return;
    }
    let reason: string | undefined;
    if (!space) reason = 'the database records no space';
    else if (space.version !== p.version || space.dim !== p.dim) {
      reason = `the space changed from ${space.version} (${space.dim}-d) to ${p.version} (${p.dim}-d)`;
    } else {
      reason = await loadRecorded(this.index, this.indexPath, this.meta.indexFile(), p);
    }
    if (reason !== undefined) {
      const { vectors } = await this.rebuild(p);
      this.openReport = { action: 'rebuilt', reason, reprojected: vectors, removed: 0 };
      return;
    }
    await this.repairDrift();
  }

  /**
   * The index file loaded: re-project items that changed after it was saved or that it
   * lacks, and drop vectors of items the database no longer places.
   */
  private async repairDrift(): Promise<void> {
    const savedSeq = this.meta.indexFile()!.seq;
    const expected = new Set(this.items.projectedIds());
    const present = new Set(this.index.ids());
    const extra = [...present].filter((id) => !expected.has(id));
    const missing = [...expected].filter((id) => !present.has(id));
    const stale = this.items.changedSince(savedSeq).filter((id) => expected.has(id) && present.has(id));
    if (extra.length + missing.length + stale.length === 0) {
      this.openReport = { action: 'loaded', reprojected: 0, removed: 0 };
      return;
    }
    for (const id of extra) await this.index.remove(id);
    const { skipped } = await projectInto(this.items, this.projector, this.index, [...missing, ...stale]);
    this.db.transaction(() => {
      for (const id of skipped) this.items.setVectorState(id, this.seq, false);
    })();
    for (const id of skipped) if (present.has(id)) await this.index.remove(id);
    this.unsaved++;
    await this.saveNow();
    this.openReport = {
      action: 'repaired',
      reason: `${missing.length} missing, ${extra.length} extra and ${stale.length} changed vectors since the last save`,
      reprojected: missing.length + stale.length - skipped.length,
      removed: extra.length + skipped.filter((id) => present.has(id)).length,
    };
  }

  /** Builds a new index from the stored features, saves it, records it, then swaps it in. */
  private async rebuild(projector: Projector): Promise<{ vectors: number; skipped: number }> {
    const next = this.createIndex(projector.dim);
    const { placed, skipped } = await projectInto(this.items, projector, next);
    await next.save(this.indexPath);
    const file = await fingerprint(this.indexPath);
    this.db.transaction(() => {
      this.items.resetProjected(placed);
      this.meta.setSpace({ version: projector.version, dim: projector.dim });
      this.meta.setIndexFile({
        spaceVersion: projector.version,
        dim: projector.dim,
        count: next.size(),
        seq: this.seq,
        ...file,
      });
    })();
    // Synchronous with the commit, so no reader sees the new space with the old index.
    const old = this.index;
    this.index = next;
    this.projector = projector;
    this.unsaved = 0;
    // Searches already running on the old index finish first (close waits for them).
    await old.close();
    return { vectors: placed.length, skipped: skipped.length };
  }

  private async saveNow(): Promise<void> {
    const seq = this.seq;
    const count = this.index.size();
    await this.index.save(this.indexPath);
    const file = await fingerprint(this.indexPath);
    this.meta.setIndexFile({ spaceVersion: this.projector.version, dim: this.projector.dim, count, seq, ...file });
    this.unsaved = 0;
  }

  /**
   * Runs `write` in one SQLite transaction, then applies its vector change to the index. If
   * the index refuses, the item is marked unplaced so that database and index still agree.
   */
  private async applyWrite<T>(write: () => WriteOutcome<T>): Promise<T> {
    const { result, change, modality } = this.db.transaction(write)();
    if (modality) this.setModality(modality.id, modality.is);
    if (!change) return result;
    this.unsaved++;
    try {
      if (change.vector) await this.index.add(change.id, change.vector);
      else if (change.wasIndexed) await this.index.remove(change.id);
    } catch (err) {
      if (change.vector) {
        this.items.setVectorState(change.id, this.nextSeq(), false);
        await this.index.remove(change.id).catch((e: unknown) => {
          if (!isRosettaError(e, 'NOT_FOUND')) throw e;
        });
      }
      throw err;
    }
    return result;
  }

  private setModality(id: number, modality: ItemModality | null): void {
    const old = this.modalityOf.get(id);
    if (old) this.modalityCounts[old]--;
    if (modality) {
      this.modalityOf.set(id, modality);
      this.modalityCounts[modality]++;
    } else {
      this.modalityOf.delete(id);
    }
  }

  private nextSeq(): number {
    this.seq++;
    this.meta.setSeq(this.seq);
    return this.seq;
  }

  private checkOpen(): void {
    if (this.closed) throw new RosettaError('INVALID_ARGUMENT', `store ${this.dir} is closed`);
  }
}

/**
 * The modalities a search keeps, checked; undefined when it keeps every modality.
 *
 * @example allowedModalities(['audio']) // Set { 'audio' }
 */
function allowedModalities(modalities: readonly ItemModality[] | undefined): Set<ItemModality> | undefined {
  if (modalities === undefined) return undefined;
  const bad = modalities.find((m) => !itemModalities.includes(m));
  if (bad !== undefined || modalities.length === 0) {
    throw new RosettaError('INVALID_ARGUMENT', `modalities must be a non-empty subset of ${itemModalities.join(', ')}`);
  }
  return modalities.length < itemModalities.length ? new Set(modalities) : undefined;
}

function checkLimit(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new RosettaError('INVALID_ARGUMENT', `${what} ${String(value)} must be a positive integer`);
  }
}

function now(): string {
  return new Date().toISOString();
}

/**
 * An exhaustive keyword ranking is a query's only one (its words are unknown to the space), so
 * a filter must not leave it short: the best `limit` hits that pass, once `n` raw hits hold
 * them or are all there is; undefined when a wider window is needed.
 */
function widenedKeywords(hits: { id: number; score: number }[], n: number, limit: number, keep: (id: number) => boolean): { id: number; score: number }[] | undefined {
  const kept = hits.filter((h) => keep(h.id));
  return kept.length >= limit || hits.length < n ? kept.slice(0, limit) : undefined;
}
