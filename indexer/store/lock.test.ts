import { describe, expect, it } from 'vitest';
import { isRosettaError } from '../../models/errors.ts';
import { lockError } from './lock.ts';

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
