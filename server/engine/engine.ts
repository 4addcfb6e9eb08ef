/**
 * The query engine: every query, whatever its media, is embedded into the shared space and
 * answered from the collection's HNSW index, with keyword matches fused in for text. One
 * engine owns one collection (the store's lock admits one process), so the API server and
 * `rosetta search` both go through it.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CollectionStore, ItemRecord, Projector } from '../../indexer/store/index.ts';
import { ingestFile, type IndexEncoders } from '../../indexer/job/index.ts';
import { ThreadedHnswIndex } from '../../indexer/vector/index.ts';
import { createEncoder, type EncoderSettings } from '../../models/encoders/index.ts';
import { RosettaError, isRosettaError } from '../../models/errors.ts';
import type { DefaultSpaceEvent, DefaultSpaceOptions, LoadedSpace } from '../../models/space/index.ts';
import { SpaceProjector } from '../../models/space/index.ts';
import { identityKey, type Encoder, type MediaInput, type Modality, type SparseRow } from '../../models/types.ts';
import type { QueryType, SearchRequest, SearchResponse } from '../api/schemas.ts';
import { combineQuery, type WeightedVector } from './combine.ts';
import { spellOutEmoji } from './emoji-names.ts';
import { FUSION_WINDOW, fuseRankings, primaryDepth } from './fusion.ts';
import { openCollection } from './open.ts';
import { TextEmbedThread } from './text-thread.ts';
import { readTuning, type Tuning } from './tuning.ts';
import { itemView, searchResult, type ItemView } from './views.ts';

/**
 * What the engine needs of a space: the store's Projector (items into the space) plus query
 * embedding. SpaceProjector is one; evaluation also plugs in baselines.
 */
export type QueryProjector = Projector & Pick<SpaceProjector, 'embedQuery' | 'modalities' | 'encoders'>;

/** A search request whose media fields hold checked bytes instead of data URLs. */
export type EngineQuery = Omit<SearchRequest, 'image' | 'sketch' | 'audio'> & {
  image?: MediaInput;
  sketch?: MediaInput;
  audio?: MediaInput;
};

export interface EngineOptions {
  settings: EncoderSettings;
  dataDir: string;
  /** Progress of training the default space, the first time a collection is opened. */
  onProgress?: (event: DefaultSpaceEvent) => void;
  /** Where the default space's demo data is, if it must be trained. */
  defaultSpace?: Pick<DefaultSpaceOptions, 'demoDir' | 'demoSize'>;
  /**
   * Search the vector index and the captions, and embed text queries, on worker threads, so
   * the event loop that parses requests is not held by hnswlib's and SQLite's synchronous
   * calls or by the text featurizer (a server's choice: each thread costs about 0.4 s to
   * start). Default false.
   */
  searchThreads?: boolean;
}

/** negativeText's default weight: half a query's, enough to push away without flipping the query. */
const DEFAULT_NEGATIVE_WEIGHT = 0.5;
/** Uploads are stored under the collection, named by content, so no client string names a file. */
export const UPLOADS_DIR = 'uploads';
/** An upload being written: `<hash>.part-<uuid>`, renamed to `<hash>` once whole. */
const PART_SUFFIX = '.part-';

type QueryEncoders = { image: IndexEncoders['image']; sketch: Encoder<'sketch'>; audio: IndexEncoders['audio']; text: Encoder<'text'> };

export class QueryEngine {
  private readonly projectors = new Map<string, QueryProjector>();
  /** The work running on each upload file, by hash (withUploadFile). */
  private readonly uploadTurns = new Map<string, Promise<void>>();
  /** Where uploads are stored (UPLOADS_DIR under the collection). */
  private readonly uploadsDir: string;
  /** Each modality's encoder identity, as spaces record the encoders they were trained on. */
  private readonly encoderKeys: Record<Modality, string>;
  private tuning: Tuning;

  private constructor(
    readonly store: CollectionStore,
    projector: SpaceProjector,
    private readonly encoders: QueryEncoders,
    readonly dataDir: string,
    tuning: Tuning,
    /** Embeds text queries for projectors that are SpaceProjectors (EngineOptions.searchThreads). */
    private readonly textThread?: TextEmbedThread,
  ) {
    this.projectors.set(projector.version, projector);
    this.tuning = tuning;
    this.uploadsDir = path.join(dataDir, UPLOADS_DIR);
    const key = (m: Modality) => identityKey(encoders[m].identity);
    this.encoderKeys = { image: key('image'), sketch: key('sketch'), audio: key('audio'), text: key('text') };
  }

  /**
   * Opens the collection (training the default space the first time) and loads every encoder.
   *
   * @example
   * const engine = await QueryEngine.open({ settings: config, dataDir: config.dataDir });
   * await engine.search({ text: 'red bird', k: 10, offset: 0, hybrid: true });
   */
  static async open(options: EngineOptions): Promise<QueryEngine> {
    const threads = options.searchThreads ? { readThread: true, createIndex: (dim: number) => new ThreadedHnswIndex(dim) } : {};
    const { store, projector } = await openCollection(options.settings, options.dataDir, options.onProgress, options.defaultSpace, threads);
    const opened: { close(): Promise<void> }[] = [];
    let textThread: TextEmbedThread | undefined;
    try {
      const thread = options.searchThreads ? new TextEmbedThread() : undefined;
      if (thread) opened.push(thread);
      // Started beside the encoders; awaited below (a failure to load them comes first).
      const threadReady = thread?.ready();
      threadReady?.catch(() => {});
      const load = async <M extends Modality>(m: M) => {
        const e = await createEncoder(m, options.settings);
        opened.push(e);
        return e;
      };
      const [image, sketch, audio, text] = await Promise.all([load('image'), load('sketch'), load('audio'), load('text')]);
      const encoders = { image, sketch, audio, text } as unknown as QueryEncoders;
      if (thread) {
        // The thread runs the built-in text encoder; a configured external one stays here.
        if (identityKey(await threadReady!) !== identityKey(text.identity)) await thread.close();
        else textThread = thread;
      }
      return new QueryEngine(store, projector, encoders, options.dataDir, await readTuning(options.dataDir), textThread);
    } catch (err) {
      await Promise.allSettled(opened.map((e) => e.close()));
      await store.close();
      throw err;
    }
  }

  /** The projector of the space the index is in now: queries and index must never disagree. */
  get projector(): QueryProjector {
    const version = this.store.space.version;
    const p = this.projectors.get(version);
    if (!p) throw new RosettaError('INTERNAL', `no projector loaded for space ${version}`);
    return p;
  }

  /** The encoders the bulk job needs, so a job can run inside the process that owns the collection. */
  get indexEncoders(): IndexEncoders {
    return { image: this.encoders.image, audio: this.encoders.audio, text: this.encoders.text };
  }

  /** The tuned share of the text in a composed image + text query. */
  get composedTextWeight(): number {
    return this.tuning.composedTextWeight;
  }

  async search(asked: EngineQuery): Promise<SearchResponse> {
    const started = performance.now();
    const query = withEmojiSpelledOut(asked);
    const type = queryType(query);
    const k = query.k ?? 20;
    const offset = query.offset ?? 0;
    const depth = offset + k;
    const filter = this.itemFilter(query);
    const options = { ...(query.modalities ? { modalities: query.modalities } : {}), ...(filter ? { filter } : {}) };
    const hybrid = type === 'text' && query.hybrid !== false;

    // The keyword list needs only the text: asked for now, it is found while the text is
    // embedded (both on threads in a server). Without a vector it is asked for again, whole.
    const strictKeywords = hybrid ? this.keywordHits(query.text!, FUSION_WINDOW, { ...options, mode: 'strict' }) : undefined;
    strictKeywords?.catch(() => {}); // awaited below, unless the embedding fails first
    let projector: QueryProjector;
    let vector: Float32Array | undefined;
    do {
      projector = this.projector;
      try {
        vector = await this.queryVector(query, type, projector);
      } catch (err) {
        // Words the space never saw can still match captions: keyword results only.
        if (!(hybrid && isRosettaError(err, 'EMPTY_INPUT') && /no word space/.test(err.message))) throw err;
        vector = undefined;
      }
      // The collection moved into another space while the query was embedded: a vector of the
      // old space means nothing in the new index (or has the wrong width), so embed it again.
      // From this check to the index search nothing awaits, so the two cannot disagree.
    } while (projector.version !== this.store.space.version);
    const exclude = type === 'item' ? this.store.getItem(query.itemId!).id : undefined;
    // Hybrid: the vector list is fused and continued (fusion.ts); an item's own id is dropped.
    // Without a vector (words the space never saw) the keyword list is the one that goes on.
    const reach = (hybrid ? primaryDepth(depth) : depth) + (exclude === undefined ? 0 : 1);
    const [nearest, keywordHits] = await Promise.all([
      vector ? this.store.nearest(vector, reach, options) : [],
      !hybrid ? [] : vector ? strictKeywords! : this.keywordHits(query.text!, Math.max(depth, FUSION_WINDOW), { ...options, mode: 'exhaustive' }),
    ]);
    const vectorHits = exclude === undefined ? nearest : nearest.filter((h) => h.id !== exclude);
    let ranked = vectorHits;
    if (hybrid) {
      const keywords = query.negativeText === undefined ? keywordHits : this.withoutWordsOf(query.negativeText, keywordHits);
      const [primary, secondary] = vector ? [vectorHits, keywords] : [keywords, []];
      ranked = fuseRankings(primary.map((h) => h.id), secondary.map((h) => h.id));
    }
    // What the page shows is read for the page only: the lists above need nothing but ids.
    // Read here, not on the store's reader thread: a page of summaries (about 0.2 ms on the
    // bench collection) costs less than another round trip to a thread adds to the machine.
    const page = ranked.slice(offset, depth);
    const shown = this.store.getSummaries(page.map((h) => h.id));
    return {
      // An item deleted since the index was searched is gone from the store: it drops out.
      results: page.flatMap((h) => {
        const s = shown.get(h.id);
        return s ? [searchResult(s, h.score)] : [];
      }),
      took_ms: Math.round((performance.now() - started) * 100) / 100,
      queryType: type,
      hybrid,
      offset,
      k,
      space: projector.version,
    };
  }

  /** The query's parts, embedded and combined into one unit vector. */
  private async queryVector(query: EngineQuery, type: QueryType, projector: QueryProjector): Promise<Float32Array> {
    if (type === 'item') {
      const { id, vector } = this.itemVector(query.itemId!, projector);
      if (!vector) throw new RosettaError('NOT_FOUND', `item ${id} has no vector in space ${projector.version}, so there is nothing like it to find`);
      return vector;
    }
    const w = query.weights ?? {};
    const parts: WeightedVector[] = [];
    const composedText = this.tuning.composedTextWeight;
    const defaults = type === 'composed' ? { image: 1 - composedText, text: composedText } : {};
    if (query.text !== undefined) parts.push({ vector: await this.embedText('text', query.text, projector), weight: w.text ?? defaults.text ?? 1 });
    for (const m of ['image', 'sketch', 'audio'] as const) {
      const input = query[m];
      if (input) parts.push({ vector: await this.embedMedia(m, input, projector), weight: w[m] ?? (m === 'image' ? defaults.image : undefined) ?? 1 });
    }
    if (query.itemId !== undefined) {
      const { vector } = this.itemVector(query.itemId, projector);
      if (vector) parts.push({ vector, weight: 1 });
    }
    const negatives = query.negativeText === undefined ? [] : [{ vector: await this.embedText('negativeText', query.negativeText, projector), weight: w.negativeText ?? DEFAULT_NEGATIVE_WEIGHT }];
    // One part alone needs no mixing, but a weight of 0 on it still means nothing to search with.
    if (parts.length === 1 && negatives.length === 0 && parts[0].weight > 0) return parts[0].vector;
    return combineQuery(parts, negatives);
  }

  /** A stored item's id and its vector in `projector`'s space, from its stored features (null when it has none there). */
  private itemVector(ref: number | string, projector: QueryProjector): { id: number; vector: Float32Array | null } {
    const item = this.store.getItem(ref);
    return { id: item.id, vector: projector.project({ modality: item.modality, features: this.store.getFeatures(item.id) }) };
  }

  /**
   * One query part in the space in service, for callers that combine or reuse parts
   * themselves (tuning, evaluation) instead of embedding them again for every search.
   *
   * @example await engine.embed('text', 'dark skin tone') // Float32Array(256), unit length
   */
  async embed(modality: Modality, input: string | MediaInput): Promise<Float32Array> {
    const projector = this.projector;
    if (modality === 'text') return this.embedText('text', input as string, projector);
    return this.embedMedia(modality, input as MediaInput, projector);
  }

  private async embedText(field: 'text' | 'negativeText', text: string, projector: QueryProjector): Promise<Float32Array> {
    this.checkQueryEncoder('text', projector);
    try {
      if (this.textThread && projector instanceof SpaceProjector) return await this.textThread.embed(text, projector.textHead);
      const [row] = await this.encoders.text.encode([text]);
      return row instanceof Float32Array ? projector.embedQuery('text', row) : projector.embedQuery('text', row as SparseRow);
    } catch (err) {
      // The encoder names its batch position ("text[0] has no words"); the client knows the field.
      if (isRosettaError(err, 'EMPTY_INPUT')) throw new RosettaError('EMPTY_INPUT', `${field}: ${err.message.replace(/^text\[0\] /, '')}`, { cause: err });
      throw err;
    }
  }

  private async embedMedia(modality: 'image' | 'sketch' | 'audio', input: MediaInput, projector: QueryProjector): Promise<Float32Array> {
    this.checkQueryEncoder(modality, projector);
    const encoder = this.encoders[modality] as Encoder;
    const [row] = await encoder.encode([input as never]);
    return projector.embedQuery(modality, row as Float32Array);
  }

  /**
   * Refuses a query the space cannot read: features from another encoder than the one the space
   * was trained on (an external encoder picked since) would go through a head fitted to other
   * features and rank at random, even when the widths agree.
   */
  private checkQueryEncoder(modality: Modality, projector: QueryProjector): void {
    const mismatch = encoderMismatch(modality, this.encoderKeys[modality], projector);
    if (mismatch) throw mismatch;
  }

  private async keywordHits(text: string, limit: number, options: Parameters<CollectionStore['keywordIds']>[2]): Promise<{ id: number; score: number }[]> {
    try {
      return await this.store.keywordIdsAsync(text, limit, options);
    } catch (err) {
      if (isRosettaError(err, 'EMPTY_INPUT')) return [];
      throw err;
    }
  }

  /** The request's filter as a predicate on item ids, memoised per query (HNSW may ask twice). */
  private itemFilter(query: EngineQuery): ((id: number) => boolean) | undefined {
    const f = query.filter;
    if (!f || (f.captioned === undefined && f.externalIdPrefix === undefined)) return undefined;
    const seen = new Map<number, boolean>();
    return (id) => {
      let keep = seen.get(id);
      if (keep === undefined) {
        // An item deleted while the index is searched is still in the graph until its removal
        // is applied: it is not kept, as unfiltered results drop it, rather than failing the search.
        const item = this.itemIfPresent(id);
        keep =
          item !== undefined &&
          (f.captioned === undefined || f.captioned === item.captions.length > 0) &&
          (f.externalIdPrefix === undefined || item.externalId.startsWith(f.externalIdPrefix));
        seen.set(id, keep);
      }
      return keep;
    };
  }

  /**
   * Keyword hits whose captions hold none of `negativeText`'s words. negativeText is subtracted
   * from the query vector, which keyword matches never see: "dog" without "hot sausage" would
   * otherwise bring "hot dog" back through its caption. The keyword list is short (FUSION_WINDOW).
   */
  private withoutWordsOf<T extends { id: number }>(negativeText: string, hits: T[]): T[] {
    const unwanted = new Set(captionWords(negativeText));
    if (unwanted.size === 0) return hits;
    return hits.filter((h) => !this.itemIfPresent(h.id)?.captions.some((c) => captionWords(c.text).some((w) => unwanted.has(w))));
  }

  private itemIfPresent(ref: number | string): ItemRecord | undefined {
    try {
      return this.store.getItem(ref);
    } catch (err) {
      if (isRosettaError(err, 'NOT_FOUND')) return undefined;
      throw err;
    }
  }

  getItem(ref: number | string): ItemView {
    return itemView(this.store.getItem(ref));
  }

  /** Where an item's file is, by id only: no client string ever reaches the file system. */
  content(ref: number): { path: string; mime: string } {
    const item = this.store.getItem(ref);
    return { path: item.sourcePath, mime: item.mime };
  }

  thumbnail(ref: number): Buffer {
    return this.store.getThumbnail(ref);
  }

  /**
   * Stores an uploaded file under the collection and indexes it; searchable on return.
   *
   * @example await engine.addItem({ name: 'cat.png', data }, { caption: 'a cat' }) // { id: 412, status: 'added', item }
   */
  async addItem(file: MediaInput, fields: { caption?: string; externalId?: string }): Promise<{ status: string; item: ItemView }> {
    if (file.data.length === 0) throw new RosettaError('EMPTY_INPUT', `file ${file.name} is empty (0 bytes)`);
    const hash = createHash('sha256').update(file.data).digest('hex');
    const dir = this.uploadsDir;
    const target = path.join(dir, hash);
    const externalId = fields.externalId ?? `upload/${hash.slice(0, 16)}`;
    let replaced: ItemRecord | undefined;
    const result = await this.withUploadFile(hash, async () => {
      await mkdir(dir, { recursive: true });
      // Written whole under another name first: a crash mid-write leaves a part file (swept at
      // the next start), never a file under the hash whose bytes are not the hash's.
      const part = `${target}${PART_SUFFIX}${randomUUID()}`;
      await writeFile(part, file.data);
      await rename(part, target);
      replaced = this.itemIfPresent(externalId);
      try {
        const { id, status } = await ingestFile(this.store, this.indexEncoders, {
          path: target,
          externalId,
          captions: fields.caption ? [{ text: fields.caption, source: 'user' }] : [],
        });
        return { status, item: this.getItem(id) };
      } catch (err) {
        if (isRosettaError(err)) throw new RosettaError(err.code, err.message.split(target).join(file.name || 'the upload'), { cause: err });
        throw err;
      } finally {
        // Uploads are named by their hash, so a file no item stores under that hash is one no
        // item uses: the copy of bytes the collection already had (a duplicate), or a refused file.
        await this.dropUnusedUpload(target);
      }
    });
    // The file an update under the same id replaced, under its own hash's turn.
    const old = replaced?.sourcePath;
    if (old && old !== target) await this.withUploadFile(path.basename(old), () => this.dropUnusedUpload(old));
    return result;
  }

  /**
   * Runs `work` on the upload named `hash` after any other still running on it: two requests
   * with the same bytes would otherwise write, ingest and remove one shared file under each other.
   */
  private async withUploadFile<T>(hash: string, work: () => Promise<T>): Promise<T> {
    const previous = this.uploadTurns.get(hash) ?? Promise.resolve();
    const turn = previous.then(work, work);
    const settled = turn.then(
      () => {},
      () => {},
    );
    this.uploadTurns.set(hash, settled);
    try {
      return await turn;
    } finally {
      if (this.uploadTurns.get(hash) === settled) this.uploadTurns.delete(hash);
    }
  }

  /** Removes an uploaded file (named by its hash) when no item stores those bytes from it. */
  private async dropUnusedUpload(file: string): Promise<void> {
    if (path.dirname(file) !== this.uploadsDir) return;
    if (this.store.findByHash(path.basename(file))?.sourcePath !== file) await rm(file, { force: true });
  }

  /**
   * Removes the files in uploads/ that no item uses, and part files: what a crash between
   * writing an upload and storing its item leaves. Returns how many were removed.
   */
  async sweepUploads(): Promise<number> {
    const dir = this.uploadsDir;
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return 0;
    }
    let removed = 0;
    for (const name of names) {
      const hash = name.includes(PART_SUFFIX) ? name.slice(0, name.indexOf(PART_SUFFIX)) : name;
      await this.withUploadFile(hash, async () => {
        const file = path.join(dir, name);
        if (name !== hash || this.store.findByHash(hash)?.sourcePath !== file) {
          await rm(file, { force: true });
          removed++;
        }
      });
    }
    return removed;
  }

  /** Deletes the item, and its file when the collection owns it (an upload). */
  async deleteItem(ref: number): Promise<void> {
    const item = this.store.getItem(ref);
    if (path.dirname(item.sourcePath) !== this.uploadsDir) return void (await this.store.deleteItem(item.id));
    await this.withUploadFile(path.basename(item.sourcePath), async () => {
      await this.store.deleteItem(item.id);
      await this.dropUnusedUpload(item.sourcePath);
    });
  }

  /**
   * Moves the collection into another space: every item is re-projected into a new index
   * while searches keep using the old one; the swap is atomic with the projector's.
   */
  async useSpace(space: LoadedSpace): Promise<{ vectors: number; skipped: number }> {
    return this.useProjector(new SpaceProjector(space));
  }

  /** useSpace for any projector: another stage of a space, or a baseline (evaluation). */
  async useProjector(next: QueryProjector): Promise<{ vectors: number; skipped: number }> {
    for (const m of ['image', 'sketch', 'audio', 'text'] as const) {
      const mismatch = encoderMismatch(m, this.encoderKeys[m], next);
      if (mismatch) throw mismatch;
    }
    this.projectors.set(next.version, next);
    const result = await this.store.reproject(next);
    for (const v of this.projectors.keys()) if (v !== next.version) this.projectors.delete(v);
    return result;
  }

  async reloadTuning(): Promise<void> {
    this.tuning = await readTuning(this.dataDir);
  }

  async close(): Promise<void> {
    await Promise.allSettled([...Object.values(this.encoders).map((e) => (e as Encoder).close()), this.textThread?.close()]);
    await this.store.close();
  }
}

/** What kind of query this is, for the ranking (hybrid is text-only) and the metrics. */
export function queryType(q: Pick<EngineQuery, 'text' | 'image' | 'sketch' | 'audio' | 'itemId'>): QueryType {
  const present = (['text', 'image', 'sketch', 'audio', 'itemId'] as const).filter((f) => q[f] !== undefined);
  if (present.length === 0) throw new RosettaError('EMPTY_INPUT', 'the query is empty: give at least one of text, image, sketch, audio or itemId');
  if (present.length === 1) return present[0] === 'itemId' ? 'item' : present[0];
  if (present.length === 2 && present.includes('image') && present.includes('text')) return 'composed';
  return 'mixed';
}

/** The query with emoji in its words spelled out as their names (emoji-names.ts). */
function withEmojiSpelledOut(query: EngineQuery): EngineQuery {
  const text = query.text === undefined ? undefined : spellOutEmoji(query.text);
  const negativeText = query.negativeText === undefined ? undefined : spellOutEmoji(query.negativeText);
  if (text === query.text && negativeText === query.negativeText) return query;
  return { ...query, ...(text === undefined ? {} : { text }), ...(negativeText === undefined ? {} : { negativeText }) };
}

/** A text's words as the caption index compares them: case and diacritics aside (unicode61). */
function captionWords(text: string): string[] {
  return text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** DIMENSION_MISMATCH when `projector`'s space was trained on another `modality` encoder than `running`. */
function encoderMismatch(modality: Modality, running: string, projector: Pick<QueryProjector, 'encoders' | 'version'>): RosettaError | undefined {
  const trained = projector.encoders[modality]?.key;
  if (trained === undefined || trained === running) return undefined;
  return new RosettaError(
    'DIMENSION_MISMATCH',
    `space ${projector.version} was trained on ${modality} encoder ${trained}, but this collection is set to encode ${modality} with ${running}; ` +
      `train a space with it (rosetta train) or pick the encoder the space was trained on`,
  );
}
