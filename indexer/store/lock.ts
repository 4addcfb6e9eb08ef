import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
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
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw lockError(path, err);
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

/** Errors a user can fix (a directory they may not write, a full disk) as RosettaErrors naming the directory. */
const unwritable: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
};

/** The error for a lock file that could not be created: a RosettaError when the user can fix it. */
export function lockError(path: string, err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const dir = dirname(path);
  if (unwritable[code]) {
    return new RosettaError(
      'INVALID_ARGUMENT',
      `collection directory ${dir} is not writable (${unwritable[code]}: cannot create its lock file ${path}); ` +
        'give a directory you can write with --db, or fix its permissions',
      { cause: err },
    );
  }
  if (code === 'ENOSPC') return new RosettaError('INTERNAL', `no space left on the device of ${dir}: cannot create the lock file ${path}`, { cause: err });
  return err;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
