/** What the file-system errors a user can fix mean, in words. */
const meanings: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOTDIR: 'a folder on the path is a file',
  EEXIST: 'it already exists, and is not what was expected there (a file where a folder should be?)',
  ENOSPC: 'no space left on the device',
};

/**
 * A one-line message for a Node file-system error a user can fix (permissions, a read-only
 * disk, a file where a folder should be, a full disk), naming the path and what was being
 * done; undefined for anything else, which is a bug and keeps its stack.
 *
 * @example
 * fileSystemMessage(eaccesFromMkdir) // 'EACCES: cannot mkdir /srv/c/x: permission denied'
 */
export function fileSystemMessage(err: unknown): string | undefined {
  const e = err as (NodeJS.ErrnoException & { dest?: string }) | undefined;
  const code = e?.code;
  if (!code || !(code in meanings) || typeof e.syscall !== 'string') return undefined;
  const where = [e.path, e.dest].filter((p): p is string => typeof p === 'string').join(' -> ');
  return `${code}: cannot ${e.syscall}${where ? ` ${where}` : ''}: ${meanings[code]}`;
}
