import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { RosettaError } from '../../models/errors.ts';

/**
 * One process owns a collection directory at a time: each keeps its own in-memory index and
 * saves it over the other's, which is exactly the disagreement the store exists to prevent.
 * The lock is a file holding the owner's pid; a lock whose process is gone is taken over.
 *
 * @example
 * const release = lockDirectory('/c/LOCK');
 * release();
 */
export function lockDirectory(path: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = Number.parseInt(readFileSync(path, 'utf8'), 10);
    // An empty file is a lock being written by another opener right now.
    if (!Number.isInteger(owner) || isAlive(owner)) {
      const who =
        owner === process.pid ? 'this process (close the other store first)' : `process ${Number.isInteger(owner) ? owner : '?'}`;
      throw new RosettaError(
        'INVALID_ARGUMENT',
        `collection lock ${path} is held by ${who}; if no Rosetta is running, delete the file`,
      );
    }
    rmSync(path, { force: true });
  }
  throw new RosettaError('INVALID_ARGUMENT', `collection lock ${path} could not be taken`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
