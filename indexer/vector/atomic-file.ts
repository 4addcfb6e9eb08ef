import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Writes `path` crash-safely: `write(tmp)` fills `path.tmp`, which is synced to disk and then
 * renamed over `path`, so a reader sees the old file or the new one, never half of one.
 *
 * @example
 * await replaceFile('/c/vectors.hnsw', (tmp) => hnsw.writeIndex(tmp));
 */
export async function replaceFile(path: string, write: (tmpPath: string) => Promise<unknown>): Promise<void> {
  const tmp = `${path}.tmp`;
  try {
    await write(tmp);
    await fsync(tmp);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  // The rename itself is durable only once the directory entry is synced.
  await fsync(dirname(path)).catch(() => undefined);
}

async function fsync(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
