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
      held.add(path);
      return () => {
        held.delete(path);
        rmSync(path, { force: true });
      };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw lockError(path, err);
    }
    const owner = Number.parseInt(readFileSync(path, 'utf8'), 10);
    // An empty file is a lock being written by another opener right now.
    if (!Number.isInteger(owner) || ownerLives(path, owner)) {
      const who = owner === process.pid ? 'this process (close the other store first)' : `process ${Number.isInteger(owner) ? owner : '?'}`;
      throw new RosettaError(
        'INVALID_ARGUMENT',
        `collection lock ${path} is held by ${who}: a rosetta serve, index, compact or train on this collection. ` +
          'Wait for it or stop it (while a server runs, add and delete items through its API); if no Rosetta is running, delete the file',
      );
    }
    rmSync(path, { force: true });
  }
  throw new RosettaError('INVALID_ARGUMENT', `collection lock ${path} could not be taken`);
}

/** The lock files this process holds, to tell its own lock from one a process with its pid left. */
const held = new Set<string>();

/**
 * Whether the lock's owner still runs. A pid is reused: in a container the server is often pid
 * 1 on every start, so a lock left by a killed one names the new process itself (not held here)
 * or, seen from the host, its init. Where /proc shows what runs, an owner that is not Node is gone.
 */
function ownerLives(path: string, pid: number): boolean {
  if (pid === process.pid) return held.has(path);
  if (!isAlive(pid)) return false;
  try {
    return /node|rosetta/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    // No /proc (not Linux), or the process just ended: trust the signal check.
    return isAlive(pid);
  }
}

/** Errors a user can fix (a directory they may not write, a full disk) as RosettaErrors naming the directory. */
const unwritable: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
};

/** Whether a file-system error code says the directory may not be written (a user's to fix). */
export function isUnwritable(code: string | undefined): boolean {
  return code !== undefined && Object.hasOwn(unwritable, code);
}

/** The error for a lock file that could not be created: a RosettaError when the user can fix it. */
export function lockError(path: string, err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const dir = dirname(path);
  if (isUnwritable(code)) {
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
