import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { DATABASE_FILE } from '../../indexer/store/index.ts';
import { RosettaError } from '../../models/errors.ts';
import type { Config } from '../config.ts';

/**
 * The collection directory a command works on (`--db`, else --data-dir / ROSETTA_DATA_DIR),
 * checked before any work. `existing`: a command that only reads (search, eval, compact) must
 * find a collection there rather than create an empty one; `create`: index, serve and demo may
 * make it.
 *
 * @example
 * collectionDir('out/lib', config, 'existing') // '/home/me/out/lib', or NOT_FOUND "no collection in /home/me/out/lib; ..."
 */
export function collectionDir(db: string | undefined, config: Config, use: 'existing' | 'create'): string {
  const dir = path.resolve(db ?? config.dataDir);
  const flag = db !== undefined ? '--db' : '--data-dir (ROSETTA_DATA_DIR)';
  const missing = () =>
    new RosettaError('NOT_FOUND', `no collection in ${dir}; index files into it first (rosetta index <paths...> --db ${dir})`);
  let info;
  try {
    info = statSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') throw new RosettaError('INVALID_ARGUMENT', `${flag} ${dir} is not a directory (a folder above it is a file)`);
    if (code !== 'ENOENT') throw err;
    if (use === 'existing') throw missing();
    return dir;
  }
  if (!info.isDirectory()) throw new RosettaError('INVALID_ARGUMENT', `${flag} ${dir} is not a directory`);
  if (use === 'existing' && !existsSync(path.join(dir, DATABASE_FILE))) throw missing();
  return dir;
}
