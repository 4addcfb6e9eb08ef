import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isRosettaError } from '../../models/errors.ts';
import { lockDirectory, lockError } from './lock.ts';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
function lockFile(owner?: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'rosetta-lock-'));
  dirs.push(dir);
  const file = join(dir, 'LOCK');
  if (owner !== undefined) writeFileSync(file, String(owner));
  return file;
}

describe('lockDirectory', () => {
  it('holds the lock until released, and refuses a second taker in the same process', () => {
    const file = lockFile();
    const release = lockDirectory(file);
    expect(readFileSync(file, 'utf8')).toBe(String(process.pid));
    expect(() => lockDirectory(file)).toThrow(/held by this process/);
    release();
    expect(existsSync(file)).toBe(false);
    lockDirectory(file)();
  });

  it('refuses a lock a live Node process holds, saying what may hold it', () => {
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      const file = lockFile(other.pid!);
      expect(() => lockDirectory(file)).toThrow(new RegExp(`held by process ${other.pid}: a rosetta serve, index, compact or train on this collection`));
    } finally {
      other.kill();
    }
  });

  it('takes over a lock left under its own pid by an earlier process (a container restarted as pid 1)', () => {
    const file = lockFile(process.pid);
    const release = lockDirectory(file);
    expect(readFileSync(file, 'utf8')).toBe(String(process.pid));
    release();
  });

  it.runIf(existsSync('/proc/self/cmdline'))('takes over a lock whose pid now belongs to a process that is not Node', async () => {
    const other = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      const file = lockFile(other.pid!);
      lockDirectory(file)();
    } finally {
      other.kill();
    }
  });
});

const errno = (code: string) => Object.assign(new Error(`${code}: open '/data/c/LOCK'`), { code });

describe('lockError', () => {
  it.each([
    ['EACCES', 'permission denied'],
    ['EPERM', 'operation not permitted'],
    ['EROFS', 'read-only file system'],
  ])('names the directory that is not writable (%s)', (code, reason) => {
    const err = lockError('/data/c/LOCK', errno(code));
    expect(isRosettaError(err, 'INVALID_ARGUMENT')).toBe(true);
    expect((err as Error).message).toBe(
      `collection directory /data/c is not writable (${reason}: cannot create its lock file /data/c/LOCK); give a directory you can write with --db, or fix its permissions`,
    );
  });

  it('says the disk is full, and passes anything else on as it is', () => {
    expect((lockError('/data/c/LOCK', errno('ENOSPC')) as Error).message).toBe('no space left on the device of /data/c: cannot create the lock file /data/c/LOCK');
    const other = errno('EIO');
    expect(lockError('/data/c/LOCK', other)).toBe(other);
  });
});
