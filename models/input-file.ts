import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { RosettaError } from './errors.ts';

/**
 * A file a user named (a CLI argument, a query file's media path), read whole. A missing file
 * is NOT_FOUND; any other failure to read it (a folder, no permission) is INVALID_ARGUMENT;
 * the message says what named it: "--image cat.jpg: cannot read it (ENOENT)".
 *
 * @example await readInputFile('cat.jpg', '--image');
 */
export async function readInputFile(file: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path.resolve(file));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new RosettaError(code === 'ENOENT' ? 'NOT_FOUND' : 'INVALID_ARGUMENT', `${what} ${file}: cannot read it (${code ?? String(err)})`, { cause: err });
  }
}
