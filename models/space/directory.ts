/**
 * The versioned model directory: `<modelsDir>/spaces/<version>/` holds one trained space (head
 * ONNX files, the text id table, space.json, curves.svg), and `<modelsDir>/spaces/CURRENT`
 * names the one in service. A space is written into a hidden temp dir and renamed into place,
 * and CURRENT is replaced by rename, so a crash at any point leaves the previous space in
 * service and no half-written space visible.
 */
import { createHash } from 'node:crypto';
import { open, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { RosettaError } from '../errors.ts';
import type { Modality } from '../types.ts';
import { exportHead, type AlignModel, type HeadParams } from '../align/index.ts';
import { curvesSvg } from './curves.ts';
import { TEXT_BIAS_ID } from './init.ts';
import {
  CURVES_FILE,
  SPACE_FILE,
  TEXT_IDS_FILE,
  parseManifest,
  stableManifest,
  type HeadEntry,
  type SpaceManifest,
} from './manifest.ts';
import { headFromOnnx } from './onnx-weights.ts';

export const SPACES_DIR = 'spaces';
export const CURRENT_FILE = 'CURRENT';
const TEMP_PREFIX = '.tmp-';

/** A space as loaded from its directory. */
export interface LoadedSpace {
  dir: string;
  manifest: SpaceManifest;
  /** The final heads: what the space serves. */
  model: AlignModel;
  /** Stage 1's heads, when loaded (`loadSpace(dir, { withCca: true })`) or just written. */
  cca?: AlignModel;
}

/**
 * What a training run hands to writeSpace: everything but the file names and the version, and
 * the heads of earlier stages to write beside the final ones.
 */
export type SpaceDraft = Omit<SpaceManifest, 'version' | 'createdAt' | 'heads' | 'format' | 'stages'> & { stages?: { cca: AlignModel } };

export function spacesDir(modelsDir: string): string {
  return path.join(modelsDir, SPACES_DIR);
}

/**
 * Writes a trained space as a new version directory (not yet in service: see `setCurrentSpace`).
 * The version is a UTC timestamp and a hash of the files and the stable part of the manifest,
 * so two runs that trained the same heads differ only in the timestamp.
 *
 * @example
 * const space = await writeSpace('models', model, draft);
 * space.manifest.version // '20261128T075700Z-3f9a2b1c'
 */
export async function writeSpace(modelsDir: string, model: AlignModel, draft: SpaceDraft, options: { now?: Date } = {}): Promise<LoadedSpace> {
  const root = spacesDir(modelsDir);
  await mkdir(root, { recursive: true });
  await removeStaleTemps(root);
  const files = new Map<string, Uint8Array>();
  const { stages, ...rest } = draft;
  const heads = headFiles(model, '', draft.encoders, files);
  const cca = stages?.cca && { heads: headFiles(stages.cca, '.cca', draft.encoders, files) };
  const createdAt = (options.now ?? new Date()).toISOString();
  // The model's own temperature: the draft's copy may be of another model (a test's, a re-export).
  const manifest: SpaceManifest = { format: 1, version: '', createdAt, heads, ...(cca ? { stages: { cca } } : {}), ...rest, logScale: model.logScale };
  const svg = curvesSvg(
    draft.training.history.map((h) => ({ epoch: h.epoch, trainLoss: h.trainLoss, valLoss: h.valLoss, valR10: h.valR10 })),
    { bestEpoch: draft.training.bestEpoch, title: `${draft.data.source}: d=${draft.dim}, best epoch ${draft.training.bestEpoch}` },
  );
  files.set(CURVES_FILE, Buffer.from(svg));

  const hash = createHash('sha256');
  for (const [name, bytes] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) hash.update(name).update(sha256(bytes));
  hash.update(JSON.stringify(stableManifest(manifest)));
  const stamp = createdAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  let version = `${stamp}-${hash.digest('hex').slice(0, 8)}`;
  // Same heads written twice in one second: keep both, the later with a suffix.
  for (let n = 2; await exists(path.join(root, version)); n++) version = `${version.replace(/~\d+$/, '')}~${n}`;
  manifest.version = version;
  files.set(SPACE_FILE, Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`));

  const temp = path.join(root, `${TEMP_PREFIX}${version}-${process.pid}`);
  await rm(temp, { recursive: true, force: true });
  await mkdir(temp);
  try {
    for (const [name, bytes] of files) await writeDurable(path.join(temp, name), bytes);
    await syncDir(temp);
    await rename(temp, path.join(root, version));
    await syncDir(root);
  } catch (err) {
    await rm(temp, { recursive: true, force: true });
    throw new RosettaError('INTERNAL', `cannot write space ${version} under ${root}: ${(err as Error).message}`, { cause: err });
  }
  return { dir: path.join(root, version), manifest, model, ...(stages?.cca ? { cca: stages.cca } : {}) };
}

/** Exports a model's heads as `<modality><suffix>.onnx` into `files`; their manifest entries. */
function headFiles(model: AlignModel, suffix: string, encoders: SpaceDraft['encoders'], files: Map<string, Uint8Array>): SpaceManifest['heads'] {
  const heads: SpaceManifest['heads'] = {};
  for (const name of Object.keys(model.heads).sort() as Modality[]) {
    const head = model.heads[name];
    const encoder = encoders[name];
    const bytes = exportHead(head, { 'rosetta.modality': name, ...(encoder ? { 'rosetta.encoder': encoder.key } : {}) });
    const file = `${name}${suffix}.onnx`;
    files.set(file, bytes);
    heads[name] = headEntry(head, file, bytes, suffix, files);
  }
  return heads;
}

function headEntry(head: HeadParams, file: string, bytes: Uint8Array, suffix: string, files: Map<string, Uint8Array>): HeadEntry {
  if (head.kind === 'dense') return { kind: 'dense', file, sha256: sha256(bytes), inDim: head.inDim, hidden: head.mlp?.hidden ?? 0 };
  const ids = Buffer.alloc(head.ids.length * 4);
  head.ids.forEach((id, i) => ids.writeUInt32LE(id, i * 4));
  // Stages that share the id table (Stage 2 from this data's CCA does) share its file.
  const shared = files.get(TEXT_IDS_FILE);
  const idsFile = shared && Buffer.from(shared).equals(ids) ? TEXT_IDS_FILE : TEXT_IDS_FILE.replace(/\.bin$/, `${suffix}.bin`);
  files.set(idsFile, ids);
  return { kind: 'bag', file, sha256: sha256(bytes), ids: idsFile, idsSha256: sha256(ids), rows: head.ids.length, biasId: TEXT_BIAS_ID };
}

/**
 * Loads a space directory, checking every file against the manifest's hashes and the heads'
 * shapes against its dimensions (MODEL_INVALID naming the file otherwise). `withCca` also
 * loads Stage 1's heads; a space written without them (before recipe v2) is then NOT_FOUND.
 *
 * @example (await loadSpace('models/spaces/20261128T075700Z-3f9a2b1c')).model.heads.image.dim // 256
 * @example (await loadSpace(dir, { withCca: true })).cca?.heads.image // Stage 1's image map
 */
export async function loadSpace(dir: string, options: { withCca?: boolean } = {}): Promise<LoadedSpace> {
  const manifestPath = path.join(dir, SPACE_FILE);
  let raw: string;
  try {
    raw = await readFile(manifestPath, 'utf8');
  } catch (err) {
    throw new RosettaError('NOT_FOUND', `no trained space in ${dir} (${SPACE_FILE} is missing)`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new RosettaError('MODEL_INVALID', `${manifestPath} is not JSON`);
  }
  const manifest = parseManifest(json, manifestPath);
  const model = await loadHeads(dir, manifest, manifest.heads);
  if (!options.withCca) return { dir, manifest, model };
  if (!manifest.stages?.cca) throw missingCca(manifest.version);
  return { dir, manifest, model, cca: await loadHeads(dir, manifest, manifest.stages.cca.heads) };
}

/** The error for a Stage-1 request on a space that has no Stage-1 heads. */
export function missingCca(version: string): RosettaError {
  return new RosettaError(
    'NOT_FOUND',
    `space ${version} was written without its Stage-1 (CCA) heads (spaces trained before recipe v2 have none); retrain it to compare stages`,
  );
}

async function loadHeads(dir: string, manifest: SpaceManifest, entries: SpaceManifest['heads']): Promise<AlignModel> {
  const manifestPath = path.join(dir, SPACE_FILE);
  const heads: Record<string, HeadParams> = {};
  for (const [name, entry] of Object.entries(entries)) {
    const file = path.join(dir, entry.file);
    const bytes = await readChecked(file, entry.sha256);
    let ids: Uint32Array | undefined;
    if (entry.kind === 'bag') {
      const buf = await readChecked(path.join(dir, entry.ids), entry.idsSha256);
      ids = new Uint32Array(buf.length / 4);
      for (let i = 0; i < ids.length; i++) ids[i] = buf.readUInt32LE(i * 4);
    }
    const head = headFromOnnx(bytes, ids, file);
    const encoder = manifest.encoders[name as Modality];
    if (head.dim !== manifest.dim) throw new RosettaError('MODEL_INVALID', `${file} maps into ${head.dim} dims but ${SPACE_FILE} says ${manifest.dim}`);
    if (head.kind === 'dense' && encoder && head.inDim !== encoder.dim) {
      throw new RosettaError('MODEL_INVALID', `${file} takes ${head.inDim} features but encoder ${encoder.key} gives ${encoder.dim}`);
    }
    heads[name] = head;
  }
  if (!heads.text) throw new RosettaError('MODEL_INVALID', `${manifestPath} has no text head`);
  return { heads, logScale: manifest.logScale };
}

async function readChecked(file: string, expected: string): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new RosettaError('MODEL_INVALID', `space file ${file} is missing`, { cause: err });
  }
  if (sha256(bytes) !== expected) throw new RosettaError('MODEL_INVALID', `space file ${file} does not match the sha256 in ${SPACE_FILE}; the space is damaged`);
  return bytes;
}

/** The version CURRENT names, or null when no space was put in service. */
export async function readCurrentVersion(modelsDir: string): Promise<string | null> {
  try {
    const version = (await readFile(path.join(spacesDir(modelsDir), CURRENT_FILE), 'utf8')).trim();
    return version === '' ? null : version;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * The space in service (CURRENT), loaded; null when there is none.
 *
 * @example (await loadCurrentSpace('models'))?.manifest.version // '20261128T075700Z-3f9a2b1c'
 * @example (await loadCurrentSpace('models', { withCca: true }))?.cca // Stage 1's heads too
 */
export async function loadCurrentSpace(modelsDir: string, options: { withCca?: boolean } = {}): Promise<LoadedSpace | null> {
  const version = await readCurrentVersion(modelsDir);
  return version === null ? null : loadSpace(path.join(spacesDir(modelsDir), version), options);
}

/**
 * Puts a written space in service: CURRENT is written to a temp file, synced, and renamed over
 * the old one, so readers see the old version or the new one, never a torn file.
 *
 * @example await setCurrentSpace('models', '20261128T075700Z-3f9a2b1c')
 */
export async function setCurrentSpace(modelsDir: string, version: string): Promise<void> {
  const root = spacesDir(modelsDir);
  if (!/^[\w.~-]+$/.test(version) || version.startsWith('.')) throw new RosettaError('INVALID_ARGUMENT', `'${version}' is not a space version`);
  if (!(await exists(path.join(root, version, SPACE_FILE)))) {
    throw new RosettaError('NOT_FOUND', `no space ${version} in ${root}; see rosetta models list`);
  }
  const temp = path.join(root, `${TEMP_PREFIX}${CURRENT_FILE}-${process.pid}`);
  await writeDurable(temp, Buffer.from(`${version}\n`));
  await rename(temp, path.join(root, CURRENT_FILE));
  await syncDir(root);
}

/** One row of `rosetta models list`. */
export interface SpaceSummary {
  version: string;
  dir: string;
  current: boolean;
  default: boolean;
  /** The default-space recipe it was trained by. */
  recipe?: string;
  createdAt?: string;
  dim?: number;
  source?: string;
  pairs?: number;
  device?: string;
  /** Validation Recall@10 of the space itself, per task. */
  recall10?: Record<string, number>;
  /** Set when space.json is missing or invalid. */
  error?: string;
}

/**
 * Every space directory under `<modelsDir>/spaces/`, oldest first (versions start with a UTC
 * timestamp). Temp dirs of writes in progress or interrupted are not listed.
 *
 * @example
 * await listSpaces('models')
 * // [{ version: '20261128T075700Z-3f9a2b1c', current: true, default: true, dim: 256, recall10: { 'text→image': 0.61, ... } }]
 */
export async function listSpaces(modelsDir: string): Promise<SpaceSummary[]> {
  const root = spacesDir(modelsDir);
  let names: string[];
  try {
    names = (await readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const current = await readCurrentVersion(modelsDir);
  const out: SpaceSummary[] = [];
  for (const version of names.sort()) {
    const dir = path.join(root, version);
    try {
      const m = parseManifest(JSON.parse(await readFile(path.join(dir, SPACE_FILE), 'utf8')), path.join(dir, SPACE_FILE));
      out.push({
        version,
        dir,
        current: version === current,
        default: m.default,
        ...(m.recipe ? { recipe: m.recipe } : {}),
        createdAt: m.createdAt,
        dim: m.dim,
        source: m.data.source,
        pairs: Object.values(m.data.pairs).reduce((s, p) => s + p.train + p.val, 0),
        device: m.device,
        recall10: Object.fromEntries(Object.entries(m.recall).flatMap(([task, r]) => (r.systems.contrastive ? [[task, r.systems.contrastive.r10]] : []))),
      });
    } catch (err) {
      out.push({ version, dir, current: version === current, default: false, error: (err as Error).message });
    }
  }
  return out;
}

/** Temp dirs left by a process that died mid-write (its pid no longer runs). */
async function removeStaleTemps(root: string): Promise<void> {
  for (const name of await readdir(root)) {
    if (!name.startsWith(TEMP_PREFIX)) continue;
    const pid = Number(/-(\d+)$/.exec(name)?.[1]);
    if (Number.isInteger(pid) && pid !== process.pid && isRunning(pid)) continue;
    if (pid === process.pid) continue;
    await rm(path.join(root, name), { recursive: true, force: true });
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function writeDurable(file: string, bytes: Uint8Array): Promise<void> {
  const handle = await open(file, 'w');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** fsync a directory so a rename in it survives a power cut (a no-op where unsupported). */
async function syncDir(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Some platforms (Windows) cannot open or sync a directory; the rename is still atomic.
  } finally {
    await handle?.close();
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

