/**
 * Files to feature rows for training: batches through an encoder, where a file that cannot be
 * read or decoded is skipped and reported instead of failing the run.
 */
import { readFile } from 'node:fs/promises';
import { isRosettaError } from '../errors.ts';
import type { Encoder, MediaInput, StagedEncoder } from '../types.ts';

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
 * Encodes files in batches; a file that fails to read, decode or encode is skipped.
 *
 * @example
 * const { rows, skipped } = await encodeFiles(imageEncoder, [{ key: 'a.png', load: fromDisk('/d/a.png') }]);
 * rows.get('a.png') // Float32Array(384)
 */
export async function encodeFiles(
  encoder: Encoder,
  files: readonly FileSource[],
  options: { batchSize?: number; onProgress?: (p: EncodeProgress) => void } = {},
): Promise<{ rows: Map<string, Float32Array>; skipped: SkippedFile[] }> {
  const batchSize = options.batchSize ?? 16;
  const rows = new Map<string, Float32Array>();
  const skipped: SkippedFile[] = [];
  const staged = isStaged(encoder) ? encoder : undefined;
  for (let start = 0; start < files.length; start += batchSize) {
    const batch = files.slice(start, start + batchSize);
    const loaded = await Promise.all(
      batch.map(async (f) => {
        try {
          const input: MediaInput = { name: f.key, data: await f.load() };
          return { f, value: staged ? await staged.prepare(input) : input };
        } catch (err) {
          skipped.push(reason(f.key, err));
          return undefined;
        }
      }),
    );
    const ok = loaded.filter((x): x is NonNullable<typeof x> => x !== undefined);
    const run = (items: typeof ok) =>
      staged ? staged.run(items.map((x) => x.value as Float32Array)) : (encoder.encode(items.map((x) => x.value as never)) as Promise<Float32Array[]>);
    try {
      (await run(ok)).forEach((row, i) => rows.set(ok[i].f.key, row));
    } catch {
      // One bad item fails the whole batch call; run them one by one to find it.
      for (const item of ok) {
        try {
          rows.set(item.f.key, (await run([item]))[0]);
        } catch (err) {
          skipped.push(reason(item.f.key, err));
        }
      }
    }
    options.onProgress?.({ stage: 'encode', modality: encoder.modality, done: Math.min(files.length, start + batchSize), total: files.length });
  }
  return { rows, skipped };
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
