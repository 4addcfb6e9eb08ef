import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { VectorIndex } from '../vector/index.ts';
import type { IndexFileState } from './meta.ts';
import type { Projector } from './types.ts';

/**
 * sha256 and size of a file. The store checks both before loading the index, because
 * hnswlib trusts the link lists it reads and a flipped byte there can crash the process.
 */
export async function fingerprint(path: string): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { bytes, sha256: hash.digest('hex') };
}

/**
 * Loads the index file into `index` if it is the one recorded with the database; otherwise
 * says why not, and the caller rebuilds from the stored features.
 *
 * @example
 * await loadRecorded(index, path, state, projector); // undefined, or 'index file is missing'
 */
export async function loadRecorded(
  index: VectorIndex,
  path: string,
  state: IndexFileState | undefined,
  projector: Projector,
): Promise<string | undefined> {
  if (!state) return 'no index file is recorded in the database';
  if (state.spaceVersion !== projector.version || state.dim !== projector.dim) {
    return `the index file holds space ${state.spaceVersion} (${state.dim}-d), not ${projector.version} (${projector.dim}-d)`;
  }
  const size = await stat(path).then(
    (s) => s.size,
    () => undefined,
  );
  if (size === undefined) return 'the index file is missing';
  if (size !== state.bytes) return `the index file is ${size} bytes, not the ${state.bytes} recorded`;
  if ((await fingerprint(path)).sha256 !== state.sha256) return 'the index file does not match its recorded checksum';
  try {
    await index.load(path);
  } catch (err) {
    return `the index file cannot be loaded: ${(err as Error).message}`;
  }
  if (index.size() !== state.count) return `the index file holds ${index.size()} vectors, not the ${state.count} recorded`;
  return undefined;
}
