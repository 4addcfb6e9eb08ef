import { existsSync } from 'node:fs';
import { RosettaError, isRosettaError } from '../../models/errors.ts';
import { identityKey } from '../../models/types.ts';
import type { Caption, CollectionStore, ItemModality, ItemRecord, NewItem, StoredFeature } from '../store/index.ts';
import { sameStat, type FileStatCache, type FileStatEntry } from './file-stats.ts';
import { loadFile, mediaType, statMedia, type LoadedFile, type MediaType } from './media.ts';
import { FileFailure, itemFailure } from './reasons.ts';
import { readSidecar } from './sidecar.ts';
import { imageExtras } from './thumbnail.ts';
import type { FeatureCache } from '../../models/space/index.ts';
import type { Candidate, IndexEncoders, IndexFailure } from './types.ts';

/** What one job needs to decide about and prepare a file. */
export interface StageContext {
  store: CollectionStore;
  encoders: IndexEncoders;
  cache: FileStatCache;
  /** Image features already computed for this content by the same encoder (e.g. while training a space). */
  imageFeatures?: FeatureCache;
  /**
   * Refuse (ID_TAKEN) a file whose id an item from another path with other content holds: the
   * bulk job's ids come from relative paths, and two folders can share one. An API upload under
   * an id it names replaces that item on purpose, so ingestFile leaves this off.
   */
  refuseTakenIds?: boolean;
}

/**
 * A file after its per-file work, before batched inference:
 * - `final`: nothing to write (unchanged);
 * - `duplicate`: another item holds this content; `captions` are the file's own, to report or add to it;
 * - `failed`: recorded and skipped;
 * - `write`: the item is complete without inference (only its path or captions changed);
 * - `encode`: `prepared` still has to go through the encoder's `run`, whose row joins `item.features`.
 */
export type Staged =
  | { kind: 'final'; candidate: Candidate; outcome: 'unchanged'; seen: FileStatEntry }
  | { kind: 'duplicate'; candidate: Candidate; of: ItemRecord; captions: Caption[]; seen: FileStatEntry }
  | { kind: 'failed'; candidate: Candidate; failure: IndexFailure }
  | { kind: 'write'; candidate: Candidate; item: NewItem; seen: FileStatEntry }
  | { kind: 'encode'; candidate: Candidate; item: NewItem; prepared: unknown; seen: FileStatEntry };

/**
 * Decides what a file needs and does its per-file work: stat, captions, hash (or the cached
 * hash when path, size and mtime are unchanged), and, only when the collection lacks this
 * content under this id for the current encoders, decode (`prepare`) and thumbnail.
 * Never throws: a problem with the file comes back as `failed`.
 *
 * @example
 * await stageFile(ctx, { path: '/lib/cat.jpg', externalId: 'cat.jpg', captions: [], sidecars: [] })
 * // { kind: 'encode', item: { externalId: 'cat.jpg', modality: 'image', mime: 'image/jpeg', ... }, prepared: Float32Array(150528), ... }
 */
export async function stageFile(ctx: StageContext, candidate: Candidate): Promise<Staged> {
  try {
    return await stage(ctx, candidate);
  } catch (err) {
    const failure = itemFailure(err, candidate.path);
    // A manifest line's problem names its line, as a syntax error there does.
    if (candidate.origin && !failure.message.startsWith(candidate.origin)) failure.message = `${candidate.origin}: ${failure.message}`;
    return { kind: 'failed', candidate, failure };
  }
}

async function stage(ctx: StageContext, c: Candidate): Promise<Staged> {
  const stat = await statMedia(c.path);
  const sidecar = await readSidecar(c.sidecars);
  const captions: Caption[] = [...c.captions, ...(sidecar ? [{ text: sidecar, source: 'sidecar' as const }] : [])];
  const cached = ctx.cache.get(c.externalId);
  let file: (LoadedFile & { type: MediaType }) | undefined;
  let hash: string;
  if (sameStat(cached, c.path, stat)) hash = cached.hash;
  else {
    file = await read(c);
    hash = file.hash;
  }
  for (;;) {
    const seen: FileStatEntry = { path: c.path, size: file?.size ?? stat.size, mtimeMs: file?.mtimeMs ?? stat.mtimeMs, hash };
    const existing = findItem(ctx.store, c.externalId);
    // The other file gone (a folder moved, and a file in it edited): re-pointing loses nothing.
    if (ctx.refuseTakenIds && existing && existing.sourcePath !== c.path && existing.contentHash !== hash && existsSync(existing.sourcePath)) throw idTaken(c, existing);
    if (existing?.contentHash === hash) {
      checkDeclared(c, existing.modality);
      const reused = await reuse(ctx, c, existing, captions, seen);
      if (reused) return reused;
    } else {
      const holder = ctx.store.findByHash(hash);
      if (holder && holder.externalId !== c.externalId) {
        checkDeclared(c, holder.modality);
        return { kind: 'duplicate', candidate: c, of: holder, captions, seen };
      }
    }
    if (!file) {
      // The cached hash said the content is known but something must be (re-)encoded: read it now.
      file = await read(c);
      if (file.hash !== hash) {
        hash = file.hash;
        continue;
      }
    }
    return prepare(ctx, c, file, captions, { ...seen, size: file.size, mtimeMs: file.mtimeMs });
  }
}

/**
 * Two files, one id: `rosetta index A` then `rosetta index B`, each with its own scene.jpg.
 * Re-pointing the item would silently drop A's file and captions; a moved folder (same bytes,
 * new path) and an edited file (same path, new bytes) are still updates.
 */
function idTaken(c: Candidate, existing: ItemRecord): FileFailure {
  return new FileFailure(
    'ID_TAKEN',
    `${c.path} has the id "${c.externalId}", which the collection already gives to ${existing.sourcePath} (other content); ` +
      'skipped, so neither replaces the other. To index both, index their common parent folder (their ids then ' +
      'differ by folder), or list them in a manifest (--manifest) with ids of your own',
  );
}

/**
 * Adds a duplicate file's captions to the item that holds its content, as 'user' captions: an
 * indexing run replaces an item's 'manifest' and 'sidecar' captions with its own file's, and
 * would drop these again. The text feature is made from all of them. Returns how many were new.
 *
 * @example
 * await addCaptions(ctx, 12, [{ text: 'my dog', source: 'manifest' }], 'items.jsonl:3') // 1
 */
export async function addCaptions(ctx: StageContext, holderId: number, captions: readonly Caption[], where: string): Promise<number> {
  const holder = ctx.store.getItem(holderId);
  const have = new Set(holder.captions.map((x) => x.text));
  const extra = captions.filter((x) => !have.has(x.text)).map((x) => ({ text: x.text, source: 'user' as const }));
  if (extra.length === 0) return 0;
  const all = [...holder.captions, ...extra];
  const text = await textFeature(ctx, where, all);
  await ctx.store.updateItem(holder.id, { captions: all, ...(text ? { features: [text] } : {}) });
  return extra.length;
}

/** Reads the file and refuses what is not media, or not what its manifest line says, at once. */
async function read(c: Candidate): Promise<LoadedFile & { type: MediaType }> {
  const file = await loadFile(c.path);
  const type = mediaType(c.path, file.data);
  checkDeclared(c, type.modality);
  return { ...file, type };
}

/**
 * The collection already holds these bytes under this id. If it also has the media feature
 * of the current encoder, nothing needs decoding: the item is unchanged, or only its path or
 * captions (and so its text feature) changed. Undefined when the media must be re-encoded.
 */
async function reuse(
  ctx: StageContext,
  c: Candidate,
  existing: ItemRecord,
  captions: Caption[],
  seen: FileStatEntry,
): Promise<Staged | undefined> {
  const modality = existing.modality;
  const mediaKey = identityKey(ctx.encoders[modality].identity);
  const stored = ctx.store.getFeatures(existing.id);
  const media = stored.find((f) => f.modality === modality && f.encoder === mediaKey);
  if (!media) return undefined;
  const fileCaptions = existing.captions.filter((x) => x.source !== 'user');
  const sameText = sameCaptions(fileCaptions, captions);
  const textKey = identityKey(ctx.encoders.text.identity);
  const storedText = stored.find((f) => f.modality === 'text' && f.encoder === textKey);
  const text = sameText && storedText ? storedText : await textFeature(ctx, c.path, captions);
  if (existing.sourcePath === c.path && sameText && (storedText !== undefined) === (text !== undefined)) {
    return { kind: 'final', candidate: c, outcome: 'unchanged', seen };
  }
  const item: NewItem = {
    externalId: c.externalId,
    modality,
    sourcePath: c.path,
    contentHash: existing.contentHash,
    mime: existing.mime,
    ...(existing.width !== null ? { width: existing.width } : {}),
    ...(existing.height !== null ? { height: existing.height } : {}),
    ...(existing.duration !== null ? { duration: existing.duration } : {}),
    captions,
    features: text ? [media, text] : [media],
  };
  return { kind: 'write', candidate: c, item, seen };
}

async function prepare(
  ctx: StageContext,
  c: Candidate,
  file: LoadedFile & { type: MediaType },
  captions: Caption[],
  seen: FileStatEntry,
): Promise<Staged> {
  const { type } = file;
  const input = { name: c.path, data: file.data };
  const item: NewItem = {
    externalId: c.externalId,
    modality: type.modality,
    sourcePath: c.path,
    contentHash: file.hash,
    mime: type.mime,
    captions,
    features: [],
  };
  let prepared: unknown;
  if (type.modality === 'image') {
    const known = ctx.imageFeatures?.get(file.hash);
    if (known) {
      // The CNN already saw these bytes: only the thumbnail and size are left to make.
      Object.assign(item, await imageExtras(input));
      const encoder = ctx.encoders.image;
      item.features.push({ kind: 'dense', modality: 'image', encoder: identityKey(encoder.identity), dim: encoder.dim, vector: known });
      const text = await textFeature(ctx, c.path, captions);
      if (text) item.features.push(text);
      return { kind: 'write', candidate: c, item, seen };
    }
    prepared = await ctx.encoders.image.prepare(input);
    // Only after the encoder accepted the file: its checks (pixel limits) come first.
    Object.assign(item, await imageExtras(input));
  } else {
    prepared = await ctx.encoders.audio.prepare(input);
    const duration = (prepared as { duration?: unknown }).duration;
    // The built-in decoder reports the duration; an external encoder's prepared form may not.
    if (typeof duration === 'number' && Number.isFinite(duration) && duration >= 0) item.duration = duration;
  }
  const text = await textFeature(ctx, c.path, captions);
  if (text) item.features.push(text);
  return { kind: 'encode', candidate: c, item, prepared, seen };
}

/**
 * The text encoder's feature of the item's captions, joined; undefined without captions or
 * when they hold no words (a caption of only punctuation is kept, but adds no feature).
 */
async function textFeature(ctx: StageContext, where: string, captions: readonly Caption[]): Promise<StoredFeature | undefined> {
  if (captions.length === 0) return undefined;
  const encoder = ctx.encoders.text;
  let row;
  try {
    [row] = await encoder.encode([captions.map((x) => x.text).join('\n')]);
  } catch (err) {
    if (isRosettaError(err, 'EMPTY_INPUT')) return undefined;
    if (isRosettaError(err)) throw new RosettaError(err.code, `caption of ${where}: ${err.message}`, { cause: err });
    throw err;
  }
  const base = { modality: 'text' as const, encoder: identityKey(encoder.identity), dim: encoder.dim };
  return row instanceof Float32Array ? { ...base, kind: 'dense', vector: row } : { ...base, kind: 'sparse', sparse: row };
}

function checkDeclared(c: Candidate, actual: ItemModality): void {
  if (c.declared && c.declared !== actual) {
    throw new RosettaError(
      'INVALID_ARGUMENT',
      `${c.path} is listed in the manifest as ${c.declared} (id "${c.externalId}") but its content is ${actual}`,
    );
  }
}

function findItem(store: CollectionStore, externalId: string): ItemRecord | undefined {
  try {
    return store.getItem(externalId);
  } catch (err) {
    if (isRosettaError(err, 'NOT_FOUND')) return undefined;
    throw err;
  }
}

function sameCaptions(a: readonly Caption[], b: readonly Caption[]): boolean {
  const key = (list: readonly Caption[]) => list.map((x) => `${x.source}\u0000${x.text}`).sort().join('\u0001');
  return key(a) === key(b);
}
