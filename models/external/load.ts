// Finding manifests in the models folder(s), checking their files, and loading them.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { RosettaError, isRosettaError } from '../errors.ts';
import type { Device } from '../runtime/index.ts';
import { modalities, type Modality } from '../types.ts';
import { createExternalEncoder, type ExternalEncoder } from './encoder.ts';
import { manifestSuffix, parseManifest, readManifestJson, type ParsedManifest } from './manifest.ts';

export interface LoadOptions {
  device?: Device;
}

/** One manifest as `rosetta models list` shows it. */
export interface ExternalEncoderDescription {
  name: string;
  /** Null when the manifest does not say a valid one. */
  modality: Modality | null;
  version: string | null;
  manifest: string;
  /** Manifest, ONNX file and recipe files (a tokenizer); only the manifest when it is invalid. */
  files: string[];
  /** Manifest valid and every file present. Names and shapes are only checked by loading. */
  ready: boolean;
  reason?: string;
}

/**
 * Every `*.encoder.json` directly inside the folders, sorted; a folder that does not exist has none.
 *
 * @example
 * await findManifests('models') // ['/srv/rosetta/models/clip-visual.encoder.json']
 */
export async function findManifests(dirs: string | readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const dir of typeof dirs === 'string' ? [dirs] : dirs) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new RosettaError('NOT_FOUND', `cannot read models folder ${dir}`, { cause: err });
    }
    found.push(...names.filter((n) => n.endsWith(manifestSuffix)).sort().map((n) => resolve(dir, n)));
  }
  return found;
}

/**
 * Loads every external encoder in the folders: one ONNX session each, checked against its
 * manifest. Fails on the first bad manifest or model (closing what it had opened).
 *
 * @example
 * const [clip] = await loadExternalEncoders('models', { device: 'cpu' });
 * clip.modality // 'image'; (await clip.encode([file]))[0].length === clip.dim
 */
export async function loadExternalEncoders(
  dirs: string | readonly string[],
  options: LoadOptions = {},
): Promise<ExternalEncoder[]> {
  const parsed: ParsedManifest[] = [];
  for (const file of await findManifests(dirs)) parsed.push(parseManifest(file, await readManifestJson(file)));
  checkUniqueNames(parsed);
  const loaded: ExternalEncoder[] = [];
  try {
    for (const p of parsed) loaded.push(await openEncoder(p, options));
  } catch (err) {
    await Promise.all(loaded.map((e) => e.close()));
    throw err;
  }
  return loaded;
}

/**
 * Loads the one external encoder called `name` (other manifests are only read for their names).
 * With `modality`, also checks the encoder is of that modality.
 *
 * @example
 * const enc = await loadExternalEncoder('models', 'clip-vit-b32-text', { modality: 'text' });
 */
export async function loadExternalEncoder(
  dirs: string | readonly string[],
  name: string,
  options: LoadOptions & { modality?: Modality } = {},
): Promise<ExternalEncoder> {
  const entries = await Promise.all((await findManifests(dirs)).map(readEntry));
  const matches = entries.filter((e) => e.name === name);
  const where = typeof dirs === 'string' ? dirs : dirs.join(', ');
  if (matches.length === 0) {
    // A manifest that cannot be read may be the one meant: say why, rather than only "not found".
    const unreadable = entries.flatMap((e) => (e.error ? [e.error.message] : []));
    throw new RosettaError(
      'MODEL_NOT_READY',
      `no external encoder named '${name}' in ${where} (found: ${entries.map((e) => e.name).join(', ') || 'none'})` +
        (unreadable.length > 0 ? `; unreadable: ${unreadable.join('; ')}` : ''),
    );
  }
  if (matches.length > 1) throw duplicateNames(name, matches.map((e) => e.file));
  const [match] = matches;
  if (match.error) throw match.error;
  const parsed = parseManifest(match.file, match.raw);
  if (options.modality && parsed.manifest.modality !== options.modality) {
    throw new RosettaError(
      'MODEL_INVALID',
      `encoder '${name}' (${match.file}) is a ${parsed.manifest.modality} encoder, not ${options.modality}`,
    );
  }
  return openEncoder(parsed, options);
}

/**
 * What each manifest in the folders declares and whether it can be loaded, without loading it.
 *
 * @example
 * await describeExternalEncoders('models')
 * // [{ name: 'clip-visual', modality: 'image', version: '1', ready: false,
 * //    reason: 'missing file: /srv/models/clip/visual.onnx', files: [...], manifest: '...' }]
 */
export async function describeExternalEncoders(dirs: string | readonly string[]): Promise<ExternalEncoderDescription[]> {
  const out: ExternalEncoderDescription[] = [];
  for (const entry of await Promise.all((await findManifests(dirs)).map(readEntry))) {
    const { file, raw, name } = entry;
    try {
      if (entry.error) throw entry.error;
      const parsed = parseManifest(file, raw);
      const missing = parsed.files.filter((f) => !existsSync(f));
      out.push({
        name: parsed.manifest.name,
        modality: parsed.manifest.modality,
        version: parsed.manifest.version,
        manifest: file,
        files: parsed.files,
        ready: missing.length === 0,
        ...(missing.length > 0 ? { reason: `missing file: ${missing.join(', ')}` } : {}),
      });
    } catch (err) {
      if (!isRosettaError(err)) throw err;
      const r = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
      out.push({
        name,
        modality: modalities.find((m) => m === r.modality) ?? null,
        version: typeof r.version === 'string' ? r.version : null,
        manifest: file,
        files: [file],
        ready: false,
        reason: err.message,
      });
    }
  }
  // Loading refuses a name two manifests share, so neither of them is ready.
  for (const row of out) {
    const same = out.filter((o) => o.name === row.name);
    if (same.length < 2) continue;
    const clash = duplicateNames(row.name, same.map((o) => o.manifest)).message;
    row.reason = row.ready ? clash : `${clash}; ${row.reason}`;
    row.ready = false;
  }
  return out;
}

async function openEncoder(parsed: ParsedManifest, options: LoadOptions): Promise<ExternalEncoder> {
  const missing = parsed.files.filter((f) => !existsSync(f));
  if (missing.length > 0) {
    throw new RosettaError(
      'MODEL_NOT_READY',
      `encoder '${parsed.manifest.name}' (${parsed.file}) is missing file: ${missing.join(', ')}`,
    );
  }
  const { name, version, preprocess, normalize } = parsed.manifest;
  // Preprocessing changes the vectors without changing the weights (a tokenizer file too), so
  // its digest is part of the version: editing a recipe never mixes old and new vectors.
  const recipe = createHash('sha256').update(JSON.stringify({ preprocess, normalize }));
  for (const file of parsed.files.filter((f) => f !== parsed.onnxPath)) recipe.update(await sha256File(file));
  const identity = { name, version: `${version}+${recipe.digest('hex').slice(0, 8)}`, weightsHash: await sha256File(parsed.onnxPath) };
  return createExternalEncoder(parsed, identity, options);
}

function checkUniqueNames(parsed: ParsedManifest[]): void {
  for (const p of parsed) {
    const same = parsed.filter((o) => o.manifest.name === p.manifest.name);
    if (same.length > 1) throw duplicateNames(p.manifest.name, same.map((o) => o.file));
  }
}

function duplicateNames(name: string, files: string[]): RosettaError {
  return new RosettaError('MODEL_INVALID', `two encoder manifests are named '${name}': ${files.join(' and ')}`);
}

interface ManifestEntry {
  file: string;
  /** The parsed JSON; undefined when the file could not be read or parsed (see `error`). */
  raw: unknown;
  error?: RosettaError;
  /** The name the manifest gives itself, or its file name without the suffix. */
  name: string;
}

/** A manifest's JSON and name, without validating it: listing and picking need broken ones too. */
async function readEntry(file: string): Promise<ManifestEntry> {
  try {
    const raw = await readManifestJson(file);
    return { file, raw, name: nameOf(raw, file) };
  } catch (err) {
    if (!isRosettaError(err)) throw err;
    // Invalid JSON usually still says which encoder it was meant to be ('"name": "clip"' near the
    // top), so a pick of that name gets the JSON error instead of "no encoder named". A guess:
    // the first "name" string anywhere, which is right for every manifest this loader accepts.
    const text = await readFile(file, 'utf8').catch(() => '');
    const guess = /"name"\s*:\s*"([^"\\]*)"/.exec(text)?.[1];
    return { file, raw: undefined, error: err, name: guess || basename(file, manifestSuffix) };
  }
}

function nameOf(raw: unknown, file: string): string {
  const name = typeof raw === 'object' && raw !== null ? (raw as { name?: unknown }).name : undefined;
  return typeof name === 'string' ? name : basename(file, manifestSuffix);
}

// Hashing a large export takes seconds, so the result is kept for as long as the file is unchanged.
const hashes = new Map<string, { key: string; hash: string }>();

/** sha256 (hex) of a file, streamed. */
export async function sha256File(path: string): Promise<string> {
  const s = await stat(path);
  const key = `${s.size}:${s.mtimeMs}`;
  const cached = hashes.get(path);
  if (cached?.key === key) return cached.hash;
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  const hex = hash.digest('hex');
  hashes.set(path, { key, hash: hex });
  return hex;
}

