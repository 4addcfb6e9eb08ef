import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { FileFailure } from './reasons.ts';

/** A caption file larger than this is not a caption. */
const MAX_SIDECAR_BYTES = 64 * 1024;

/**
 * The caption files a media file may have, most specific first: `cat.jpg.txt`, then `cat.txt`.
 *
 * @example
 * sidecarPaths('/lib/cat.jpg') // ['/lib/cat.jpg.txt', '/lib/cat.txt']
 */
export function sidecarPaths(file: string): string[] {
  const ext = path.extname(file);
  const both = [`${file}.txt`, ext ? file.slice(0, -ext.length) + '.txt' : undefined];
  return both.filter((p): p is string => p !== undefined && p !== file);
}

/** Whether a file in a directory walk is a caption file rather than an item. */
export function isSidecarName(name: string): boolean {
  return path.extname(name).toLowerCase() === '.txt';
}

/**
 * The trimmed text of the first sidecar that exists, or undefined. An empty file is no caption.
 *
 * @example
 * await readSidecar(['/lib/cat.jpg.txt', '/lib/cat.txt']) // 'a cat on a mat'
 */
export async function readSidecar(paths: readonly string[]): Promise<string | undefined> {
  for (const p of paths) {
    let data: Buffer;
    try {
      data = await readFile(p);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') continue;
      if (code === 'EISDIR') continue;
      throw new FileFailure('UNREADABLE', `caption file ${p} cannot be read (${code ?? String(err)})`, { cause: err });
    }
    if (data.length > MAX_SIDECAR_BYTES) {
      throw new FileFailure('INPUT_TOO_LARGE', `caption file ${p} is ${data.length} bytes; a caption may have at most ${MAX_SIDECAR_BYTES}`);
    }
    const text = data.toString('utf8').trim();
    return text === '' ? undefined : text;
  }
  return undefined;
}
