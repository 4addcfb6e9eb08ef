import type { Database, Statement } from 'better-sqlite3';
import { CaptionPostings } from './caption-postings.ts';
import { decodeFeature, toBlob, type FeatureRow } from './codec.ts';
import type { CaptionIndex } from './fts.ts';
import type { Caption, CaptionSource, ItemModality, ItemRecord, StoreStats, StoredFeature } from './types.ts';

interface ItemRow {
  id: number;
  external_id: string;
  modality: ItemModality;
  source_path: string;
  content_hash: string;
  mime: string;
  width: number | null;
  height: number | null;
  duration: number | null;
  created_at: string;
  updated_at: string;
  projected: number;
  has_thumbnail: number;
}

/** What a search result shows of an item: less to read than a whole record. */
export interface ItemSummary {
  id: number;
  externalId: string;
  modality: ItemModality;
  /** The first caption, if any. */
  caption: string | null;
  hasThumbnail: boolean;
}

/** Columns an add or update writes. */
export interface ItemFields {
  externalId: string;
  modality: ItemModality;
  sourcePath: string;
  contentHash: string;
  mime: string;
  width: number | null;
  height: number | null;
  duration: number | null;
}

const SELECT_ITEM = `
  SELECT items.*, EXISTS (SELECT 1 FROM thumbnails t WHERE t.item_id = items.id) AS has_thumbnail
  FROM items`;

/** Batches of ids bound as one JSON array, so an `IN` list needs no statement per size. */
const IN_IDS = `(SELECT value FROM json_each(?))`;

/** Summaries kept (a few MB): a thousand pages of 20. */
const MAX_CACHED_SUMMARIES = 20_000;

/**
 * SQL for items and what hangs off them (captions, features, thumbnails). Synchronous, no
 * transactions of its own: the store wraps calls in one.
 */
export class ItemRepository implements CaptionIndex {
  private readonly s: Record<string, Statement>;
  /**
   * Caption statistics the keyword planner reads on every query, kept until captions change:
   * count(*) walks the whole table, and a word's match count walks its matches.
   */
  private captionTotal: number | undefined;
  private readonly postings: CaptionPostings;
  /** The planner asks for the same list again, longer, while duplicates thin it (planKeywordSearch's fill). */
  private lastShortest: { key: string; items: number[] } | undefined;
  /**
   * Summaries every search page reads, kept until their item, caption or thumbnail is written
   * here (one process owns a collection: lock.ts). Read from SQLite, a page of 20 costs about
   * 0.2 ms of the API's main thread on a 100,000-item collection (0.4 ms under load), the
   * largest single part of it; results of popular queries repeat.
   */
  private readonly summaryCache = new Map<number, ItemSummary>();

  constructor(
    private readonly db: Database,
    /** CaptionPostings' quiet time after a caption write, in ms (tests pick a path with it). */
    options: { captionsQuietMs?: number } = {},
  ) {
    this.postings = new CaptionPostings(db, undefined, options.captionsQuietMs);
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      byId: p(`${SELECT_ITEM} WHERE id = ?`),
      byExternalId: p(`${SELECT_ITEM} WHERE external_id = ?`),
      byHash: p(`${SELECT_ITEM} WHERE content_hash = ?`),
      byIds: p(`${SELECT_ITEM} WHERE id IN ${IN_IDS}`),
      summaries: p(`SELECT id, external_id, modality, EXISTS (SELECT 1 FROM thumbnails t WHERE t.item_id = items.id),
                      (SELECT text FROM captions c WHERE c.item_id = items.id ORDER BY c.id LIMIT 1)
                    FROM items WHERE id IN ${IN_IDS}`),
      insert: p(`INSERT INTO items (external_id, modality, source_path, content_hash, mime, width, height, duration,
                   created_at, updated_at) VALUES (@externalId, @modality, @sourcePath, @contentHash, @mime, @width,
                   @height, @duration, @now, @now)`),
      update: p(`UPDATE items SET external_id = @externalId, modality = @modality, source_path = @sourcePath,
                   content_hash = @contentHash, mime = @mime, width = @width, height = @height,
                   duration = @duration, updated_at = @now WHERE id = @id`),
      touch: p(`UPDATE items SET updated_at = ? WHERE id = ?`),
      vectorState: p(`UPDATE items SET vector_seq = ?, projected = ? WHERE id = ?`),
      clearProjected: p(`UPDATE items SET projected = 0`),
      setProjected: p(`UPDATE items SET projected = 1 WHERE id IN ${IN_IDS}`),
      delete: p(`DELETE FROM items WHERE id = ?`),
      captions: p(`SELECT text, source FROM captions WHERE item_id = ? ORDER BY id`),
      captionsOf: p(`SELECT item_id, text, source FROM captions WHERE item_id IN ${IN_IDS} ORDER BY id`),
      addCaption: p(`INSERT INTO captions (item_id, text, source) VALUES (?, ?, ?)`),
      deleteCaptionsFrom: p(`DELETE FROM captions WHERE item_id = ? AND source IN (SELECT value FROM json_each(?))`),
      features: p(`SELECT * FROM features WHERE item_id = ? ORDER BY modality, encoder`),
      featuresOf: p(`SELECT * FROM features WHERE item_id IN ${IN_IDS} ORDER BY item_id, modality, encoder`),
      featurePage: p(`SELECT * FROM features WHERE modality = ? AND encoder = ? AND item_id > ?
                        ORDER BY item_id LIMIT ?`),
      featureDim: p(`SELECT dim FROM features WHERE modality = ? AND encoder = ? LIMIT 1`),
      upsertFeature: p(`INSERT OR REPLACE INTO features (item_id, modality, encoder, dim, kind, vector, sparse_ids,
                          sparse_weights) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
      deleteFeatures: p(`DELETE FROM features WHERE item_id = ?`),
      thumbnail: p(`SELECT webp FROM thumbnails WHERE item_id = ?`),
      setThumbnail: p(`INSERT OR REPLACE INTO thumbnails (item_id, webp) VALUES (?, ?)`),
      deleteThumbnail: p(`DELETE FROM thumbnails WHERE item_id = ?`),
      page: p(`SELECT id, modality FROM items WHERE id > ? ORDER BY id LIMIT ?`),
      modalities: p(`SELECT id, modality FROM items`),
      modalitiesOf: p(`SELECT id, modality FROM items WHERE id IN ${IN_IDS}`),
      projectedIds: p(`SELECT id FROM items WHERE projected = 1`),
      changedSince: p(`SELECT id FROM items WHERE vector_seq > ?`),
      maxSeq: p(`SELECT coalesce(max(vector_seq), 0) FROM items`),
      matchCount: p(`SELECT count(*) FROM (SELECT 1 FROM captions_fts WHERE captions_fts MATCH ? LIMIT ?)`),
      shortest: p(`SELECT c.item_id AS id FROM captions_fts f JOIN captions c ON c.id = f.rowid
                     WHERE captions_fts MATCH ? ORDER BY length(c.text), c.id LIMIT ?`),
      captionLengths: p(`SELECT id, item_id, length(text) AS length FROM captions WHERE id IN ${IN_IDS}`),
      // The LIMIT keeps SQLite from flattening the join into the FTS5 scan, where bm25() cannot run.
      ranked: p(`SELECT c.item_id AS id
                   FROM (SELECT rowid, bm25(captions_fts) AS rank FROM captions_fts WHERE captions_fts MATCH ? ORDER BY rank LIMIT ?) m
                   JOIN captions c ON c.id = m.rowid ORDER BY m.rank`),
      captionCount: p(`SELECT count(*) FROM captions`),
      thumbnailCount: p(`SELECT count(*) FROM thumbnails`),
      featureCounts: p(`SELECT modality, encoder, dim, count(*) AS count FROM features GROUP BY modality, encoder, dim`),
    };
  }

  get(id: number): ItemRecord | undefined {
    return this.record(this.s.byId.get(id) as ItemRow | undefined);
  }

  getByExternalId(externalId: string): ItemRecord | undefined {
    return this.record(this.s.byExternalId.get(externalId) as ItemRow | undefined);
  }

  getByHash(contentHash: string): ItemRecord | undefined {
    return this.record(this.s.byHash.get(contentHash) as ItemRow | undefined);
  }

  /** Records for the ids that exist, keyed by id, captions included. */
  getMany(ids: readonly number[]): Map<number, ItemRecord> {
    const out = new Map<number, ItemRecord>();
    if (ids.length === 0) return out;
    const json = JSON.stringify(ids);
    const captions = new Map<number, Caption[]>();
    for (const c of this.s.captionsOf.all(json) as { item_id: number; text: string; source: CaptionSource }[]) {
      const list = captions.get(c.item_id) ?? [];
      list.push({ text: c.text, source: c.source });
      captions.set(c.item_id, list);
    }
    for (const row of this.s.byIds.all(json) as ItemRow[]) {
      out.set(row.id, toRecord(row, captions.get(row.id) ?? []));
    }
    return out;
  }

  /** Summaries of the items that exist among `ids`, keyed by id. */
  summaries(ids: readonly number[]): Map<number, ItemSummary> {
    const out = new Map<number, ItemSummary>();
    const missing: number[] = [];
    for (const id of ids) {
      const cached = this.summaryCache.get(id);
      if (!cached) missing.push(id);
      else {
        // Least recently used first: Map keeps insertion order, so a hit moves to the end.
        this.summaryCache.delete(id);
        this.summaryCache.set(id, cached);
        out.set(id, cached);
      }
    }
    if (missing.length === 0) return out;
    for (const [id, externalId, modality, thumbnail, caption] of this.s.summaries.raw().all(JSON.stringify(missing)) as [number, string, ItemModality, number, string | null][]) {
      const summary = Object.freeze({ id, externalId, modality, caption, hasThumbnail: thumbnail === 1 });
      out.set(id, summary);
      // Inside a transaction the row may yet be rolled back: only committed state is kept.
      if (this.db.inTransaction) continue;
      if (this.summaryCache.size >= MAX_CACHED_SUMMARIES) this.summaryCache.delete(this.summaryCache.keys().next().value!);
      this.summaryCache.set(id, summary);
    }
    return out;
  }

  insert(fields: ItemFields, now: string): number {
    return Number(this.s.insert.run({ ...fields, now }).lastInsertRowid);
  }

  update(id: number, fields: ItemFields, now: string): void {
    this.s.update.run({ ...fields, now, id });
    this.summaryCache.delete(id);
  }

  touch(id: number, now: string): void {
    this.s.touch.run(now, id);
  }

  setVectorState(id: number, seq: number, projected: boolean): void {
    this.s.vectorState.run(seq, projected ? 1 : 0, id);
  }

  /** Marks exactly `ids` as placed in the current space. */
  resetProjected(ids: readonly number[]): void {
    this.s.clearProjected.run();
    for (let i = 0; i < ids.length; i += 10_000) this.s.setProjected.run(JSON.stringify(ids.slice(i, i + 10_000)));
  }

  delete(id: number): void {
    this.s.delete.run(id);
    this.summaryCache.delete(id);
    this.captionsChanged();
  }

  captions(id: number): Caption[] {
    return this.s.captions.all(id) as Caption[];
  }

  /** Deletes the captions from `sources`, then adds `captions`. */
  replaceCaptions(id: number, sources: readonly CaptionSource[], captions: readonly Caption[]): void {
    this.s.deleteCaptionsFrom.run(id, JSON.stringify(sources));
    for (const c of captions) this.s.addCaption.run(id, c.text, c.source);
    this.summaryCache.delete(id);
    this.captionsChanged();
  }

  features(id: number): StoredFeature[] {
    return (this.s.features.all(id) as FeatureRow[]).map(decodeFeature);
  }

  featuresOf(ids: readonly number[]): Map<number, StoredFeature[]> {
    const out = new Map<number, StoredFeature[]>(ids.map((id) => [id, []]));
    for (const row of this.s.featuresOf.all(JSON.stringify(ids)) as (FeatureRow & { item_id: number })[]) {
      out.get(row.item_id)?.push(decodeFeature(row));
    }
    return out;
  }

  /** Up to `limit` features of one encoder with item ids above `afterId`, in id order. */
  featurePage(modality: string, encoder: string, afterId: number, limit: number): { itemId: number; feature: StoredFeature }[] {
    const rows = this.s.featurePage.all(modality, encoder, afterId, limit) as (FeatureRow & { item_id: number })[];
    return rows.map((row) => ({ itemId: row.item_id, feature: decodeFeature(row) }));
  }

  /** The dim already stored for this encoder, if any item has its feature. */
  featureDim(modality: string, encoder: string): number | undefined {
    return (this.s.featureDim.get(modality, encoder) as { dim: number } | undefined)?.dim;
  }

  upsertFeature(id: number, f: StoredFeature): void {
    if (f.kind === 'dense') {
      this.s.upsertFeature.run(id, f.modality, f.encoder, f.dim, 'dense', toBlob(f.vector), null, null);
    } else {
      this.s.upsertFeature.run(id, f.modality, f.encoder, f.dim, 'sparse', null, toBlob(f.sparse.ids), toBlob(f.sparse.weights));
    }
  }

  deleteFeatures(id: number): void {
    this.s.deleteFeatures.run(id);
  }

  thumbnail(id: number): Buffer | undefined {
    return (this.s.thumbnail.get(id) as { webp: Buffer } | undefined)?.webp;
  }

  setThumbnail(id: number, webp: Buffer | null): void {
    if (webp) this.s.setThumbnail.run(id, webp);
    else this.s.deleteThumbnail.run(id);
    this.summaryCache.delete(id);
  }

  /** Up to `limit` items with ids above `afterId`, in id order. */
  page(afterId: number, limit: number): { id: number; modality: ItemModality }[] {
    return this.s.page.all(afterId, limit) as { id: number; modality: ItemModality }[];
  }

  modalities(): Map<number, ItemModality> {
    const rows = this.s.modalities.raw().all() as [number, ItemModality][];
    return new Map(rows);
  }

  modalitiesOf(ids: readonly number[]): Map<number, ItemModality> {
    const rows = this.s.modalitiesOf.raw().all(JSON.stringify(ids)) as [number, ItemModality][];
    return new Map(rows);
  }

  projectedIds(): number[] {
    return this.s.projectedIds.pluck().all() as number[];
  }

  captionCount(): number {
    return (this.captionTotal ??= this.s.captionCount.pluck().get() as number);
  }

  // While captions are being written, CaptionPostings holds no lists and FTS5 answers: the
  // statements give the same rows as the lists (caption-postings.test.ts checks both ways).
  matchCount(phrases: readonly string[], cap: number): number {
    const rows = this.postings.every(phrases);
    return rows ? Math.min(cap, rows.length) : (this.s.matchCount.pluck().get(phrases.join(' AND '), cap) as number);
  }

  shortest(phrases: readonly string[], limit: number): { id: number }[] {
    const key = phrases.join(' AND ');
    if (this.lastShortest?.key !== key) {
      const every = this.postings.every(phrases);
      if (!every) return this.s.shortest.all(key, limit) as { id: number }[];
      const rows = this.s.captionLengths.all(JSON.stringify(Array.from(every))) as { id: number; item_id: number; length: number }[];
      // FTS5's order would be `ORDER BY length(text), id`: the same here.
      rows.sort((a, b) => a.length - b.length || a.id - b.id);
      this.lastShortest = { key, items: rows.map((r) => r.item_id) };
    }
    return this.lastShortest.items.slice(0, limit).map((id) => ({ id }));
  }

  ranked(query: string, limit: number): { id: number }[] {
    return this.s.ranked.all(query, limit) as { id: number }[];
  }

  counts(): Pick<StoreStats, 'captions' | 'thumbnails' | 'features'> {
    return {
      captions: this.s.captionCount.pluck().get() as number,
      thumbnails: this.s.thumbnailCount.pluck().get() as number,
      features: this.s.featureCounts.all() as StoreStats['features'],
    };
  }

  /** The largest change counter any item carries. */
  maxSeq(): number {
    return this.s.maxSeq.pluck().get() as number;
  }

  changedSince(seq: number): number[] {
    return this.s.changedSince.pluck().all(seq) as number[];
  }

  /**
   * Every caption write and item delete comes through here, so the statistics never go stale;
   * a reader on another connection calls it when that connection saw a commit.
   */
  captionsChanged(): void {
    this.captionTotal = undefined;
    this.postings.captionsWritten();
    this.lastShortest = undefined;
  }

  private record(row: ItemRow | undefined): ItemRecord | undefined {
    return row && toRecord(row, this.captions(row.id));
  }
}

function toRecord(row: ItemRow, captions: Caption[]): ItemRecord {
  return {
    id: row.id,
    externalId: row.external_id,
    modality: row.modality,
    sourcePath: row.source_path,
    contentHash: row.content_hash,
    mime: row.mime,
    width: row.width,
    height: row.height,
    duration: row.duration,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    captions,
    hasThumbnail: row.has_thumbnail === 1,
    indexed: row.projected === 1,
  };
}
