/**
 * Files to feature rows for training: batches through an encoder, where a file that cannot be
 * read or decoded is skipped and reported instead of failing the run.
 */
import { readFile } from 'node:fs/promises';
import { isRosettaError } from '../errors.ts';
import { identityKey, type Encoder, type MediaInput, type StagedEncoder } from '../types.ts';
import { FeatureCache, sha256Hex } from './feature-cache.ts';

export interface SkippedFile {
  path: string;
  /** An ErrorCode, or NOT_FOUND / UNREADABLE for the file system. */
  code: string;
  message: string;
}

export interface EncodeProgress {
  stage: 'encode';
  modality: string;
  done: number;
  total: number;
}

/** A file for the encoder: its key in the result, and how to get its bytes. */
export interface FileSource {
  key: string;
  load: () => Promise<Buffer>;
}

/** Reads a file from disk, for `FileSource.load`. */
export const fromDisk = (file: string) => () => readFile(file);

/**
 * Encodes files in batches; a file that fails to read, decode or encode is skipped. With
 * `cacheDir`, rows are looked up and kept by the file's content hash (see FeatureCache).
 *
 * @example
 * const { rows, skipped } = await encodeFiles(imageEncoder, [{ key: 'a.png', load: fromDisk('/d/a.png') }]);
 * rows.get('a.png') // Float32Array(384)
 */
export async function encodeFiles(
  encoder: Encoder,
  files: readonly FileSource[],
  options: { batchSize?: number; cacheDir?: string; onProgress?: (p: EncodeProgress) => void } = {},
): Promise<{ rows: Map<string, Float32Array>; skipped: SkippedFile[]; cached: number }> {
  const batchSize = options.batchSize ?? 16;
  const rows = new Map<string, Float32Array>();
  const skipped: SkippedFile[] = [];
  const staged = isStaged(encoder) ? encoder : undefined;
  const cache = options.cacheDir && encoder.kind === 'dense' ? await FeatureCache.open(options.cacheDir, identityKey(encoder.identity), encoder.dim) : undefined;
  let cached = 0;
  for (let start = 0; start < files.length; start += batchSize) {
    const batch = files.slice(start, start + batchSize);
    const loaded = await Promise.all(
      batch.map(async (f) => {
        try {
          const data = await f.load();
          const hash = cache ? sha256Hex(data) : '';
          const hit = cache?.get(hash);
          if (hit) {
            rows.set(f.key, hit);
            cached++;
            return undefined;
          }
          const input: MediaInput = { name: f.key, data };
          return { f, hash, value: staged ? await staged.prepare(input) : input };
        } catch (err) {
          skipped.push(reason(f.key, err));
          return undefined;
        }
      }),
    );
    const ok = loaded.filter((x): x is NonNullable<typeof x> => x !== undefined);
    const run = (items: typeof ok) =>
      staged ? staged.run(items.map((x) => x.value as Float32Array)) : (encoder.encode(items.map((x) => x.value as never)) as Promise<Float32Array[]>);
    const keep = (item: (typeof ok)[number], row: Float32Array) => {
      rows.set(item.f.key, row);
      cache?.set(item.hash, row);
    };
    try {
      if (ok.length > 0) (await run(ok)).forEach((row, i) => keep(ok[i], row));
    } catch {
      // One bad item fails the whole batch call; run them one by one to find it.
      for (const item of ok) {
        try {
          keep(item, (await run([item]))[0]);
        } catch (err) {
          skipped.push(reason(item.f.key, err));
        }
      }
    }
    options.onProgress?.({ stage: 'encode', modality: encoder.modality, done: Math.min(files.length, start + batchSize), total: files.length });
  }
  await cache?.save();
  return { rows, skipped, cached };
}

function isStaged(encoder: Encoder): encoder is StagedEncoder {
  const e = encoder as Partial<StagedEncoder>;
  return typeof e.prepare === 'function' && typeof e.run === 'function';
}

function reason(path: string, err: unknown): SkippedFile {
  if (isRosettaError(err)) return { path, code: err.code, message: err.message };
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return { path, code: 'NOT_FOUND', message: `${path} does not exist` };
  return { path, code: code ? 'UNREADABLE' : 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
}
