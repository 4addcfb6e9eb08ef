import { isRosettaError } from '../../models/errors.ts';
import type { IndexFailure } from './types.ts';

/**
 * Reasons a file is skipped that are about the file system rather than the content, so they
 * have no RosettaError code. Content problems keep the encoder's code (CORRUPT_MEDIA,
 * UNSUPPORTED_MEDIA, EMPTY_INPUT, INPUT_TOO_LARGE...).
 */
export const jobReasons = {
  UNREADABLE: 'the file exists but cannot be read (permissions or an I/O error)',
  NOT_A_FILE: 'the path is not a regular file (a FIFO, socket or device)',
  SYMLINK_LOOP: 'a symbolic link points back at itself or at a directory above it',
  OUTSIDE_ROOT: 'a manifest path leads outside the manifest root',
  ID_TAKEN: 'the collection already has an item with this id from another file with other content',
} as const;

export type JobReason = keyof typeof jobReasons;

/** A per-file failure; `code` is a RosettaError code or a JobReason. */
export class FileFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'FileFailure';
  }
}

/** Node's errno codes for the problems above; anything else is not a per-file problem. */
const errnoReasons: Record<string, { code: string; what: string }> = {
  ENOENT: { code: 'NOT_FOUND', what: 'does not exist' },
  ENOTDIR: { code: 'NOT_FOUND', what: 'does not exist (a parent is not a directory)' },
  EACCES: { code: 'UNREADABLE', what: 'cannot be read: permission denied' },
  EPERM: { code: 'UNREADABLE', what: 'cannot be read: operation not permitted' },
  EIO: { code: 'UNREADABLE', what: 'cannot be read: I/O error' },
  ELOOP: { code: 'SYMLINK_LOOP', what: 'is a symbolic link loop' },
  EISDIR: { code: 'NOT_A_FILE', what: 'is a directory' },
};

/**
 * The failure to record for `path`, or undefined when `err` is not about this one file (a
 * full disk, a bug) and must stop the job.
 *
 * @example
 * asFailure(enoent, '/p/a.jpg') // { path: '/p/a.jpg', code: 'NOT_FOUND', message: '/p/a.jpg does not exist' }
 */
export function asFailure(err: unknown, path: string): IndexFailure | undefined {
  if (err instanceof FileFailure) return { path, code: err.code, message: err.message };
  if (isRosettaError(err)) {
    // INTERNAL from an encoder is a decoder or worker crash on this input, still per file.
    return { path, code: err.code, message: err.message };
  }
  const errno = (err as NodeJS.ErrnoException | undefined)?.code;
  const known = errno ? errnoReasons[errno] : undefined;
  if (known) return { path, code: known.code, message: `${path} ${known.what}` };
  return undefined;
}

/**
 * The failure of one file's read, decode or encode step. Anything those steps throw concerns
 * that file, so an error without a known code is recorded as INTERNAL rather than stopping
 * the job; a bug that hits every file still shows, as every file failing with INTERNAL.
 */
export function itemFailure(err: unknown, path: string): IndexFailure {
  return asFailure(err, path) ?? { path, code: 'INTERNAL', message: `${path}: ${err instanceof Error ? err.message : String(err)}` };
}
