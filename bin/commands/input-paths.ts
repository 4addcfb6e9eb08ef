/**
 * A command's own file arguments must exist: a typo in them is an error before any work, not
 * one file "failed" in a job that exits 0, or minutes of encoding before a caption-less corpus.
 * Files inside a folder or manifest are still the job's to record and skip.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { RosettaError } from '../../models/index.ts';

/** What is at `p`: unreadable and the like count as 'other' (the job records them with their reason). */
export function pathKind(p: string): 'missing' | 'dir' | 'other' {
  try {
    return statSync(p).isDirectory() ? 'dir' : 'other';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : 'other';
  }
}

/** @example requireManifest('--manifest', 'pairs.jsonl') // throws NOT_FOUND when it does not exist */
export function requireManifest(flag: string, file: string): void {
  const k = pathKind(file);
  if (k === 'missing') throw new RosettaError('NOT_FOUND', `${flag} ${path.resolve(file)} does not exist`);
  if (k === 'dir') throw new RosettaError('INVALID_ARGUMENT', `${flag} ${path.resolve(file)} is a directory, not a JSONL file`);
}

/** @example requireDirectory('--root', 'media') // throws NOT_FOUND or INVALID_ARGUMENT naming the flag */
export function requireDirectory(flag: string, dir: string): void {
  const k = pathKind(dir);
  if (k === 'missing') throw new RosettaError('NOT_FOUND', `${flag} ${path.resolve(dir)} does not exist`);
  if (k !== 'dir') throw new RosettaError('INVALID_ARGUMENT', `${flag} ${path.resolve(dir)} is not a directory`);
}
