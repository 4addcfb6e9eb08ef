import { RosettaError, errorCodes, type ErrorCode } from '../../models/errors.ts';
import type { AddResult, Caption, CollectionStore } from '../store/index.ts';
import { encodeBatch } from './encode.ts';
import { FileStatCache } from './file-stats.ts';
import { stageFile } from './stage.ts';
import type { IndexEncoders } from './types.ts';

export interface IngestInput {
  /** The media file, already where the collection keeps it. */
  path: string;
  externalId: string;
  captions?: Caption[];
}

/**
 * One file through the same steps as the bulk job (sniff, decode, thumbnail, encode, write),
 * for the API's uploads: the item is searchable when this resolves. Unlike the job, a bad
 * file is the caller's error, so it throws (a RosettaError naming the file) instead of being
 * recorded.
 *
 * @example
 * await ingestFile(store, encoders, { path: 'data/collection/uploads/9f86.png', externalId: 'upload/9f86', captions: [] })
 * // { id: 412, status: 'added' }
 */
export async function ingestFile(store: CollectionStore, encoders: IndexEncoders, input: IngestInput): Promise<AddResult> {
  const candidate = { path: input.path, externalId: input.externalId, captions: input.captions ?? [], sidecars: [] };
  // A one-off upload gains nothing from the bulk job's file-stat cache; the memory-only
  // cache never hits, so the file is always read and hashed.
  const cache = FileStatCache.inMemory();
  try {
    const [staged] = await encodeBatch(encoders, [await stageFile({ store, encoders, cache }, candidate)]);
    switch (staged.kind) {
      case 'failed': {
        const code = (staged.failure.code in errorCodes ? staged.failure.code : 'CORRUPT_MEDIA') as ErrorCode;
        throw new RosettaError(code, staged.failure.message);
      }
      case 'final':
        return { id: store.findByHash(staged.seen.hash)?.id ?? store.getItem(input.externalId).id, status: staged.outcome };
      case 'duplicate':
        return { id: staged.of.id, status: 'duplicate' };
      case 'write':
        return await store.addItem(staged.item);
      case 'encode':
        throw new RosettaError('INTERNAL', `${input.path} reached the write step without inference`);
    }
  } finally {
    cache.close();
  }
}
