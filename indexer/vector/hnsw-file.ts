import { open } from 'node:fs/promises';
import { RosettaError } from '../../models/errors.ts';

/** Fields of hnswlib's index file header that let us check a file before the native loader trusts it. */
export interface HnswFileHeader {
  dim: number;
  count: number;
  maxElements: number;
  bytesPerElement: number;
  m: number;
  efConstruction: number;
  fileBytes: number;
}

/**
 * The header hnswlib's `saveIndex` writes (hnswalg.h, hnswlib-node 3.0): little-endian
 * size_t offsetLevel0, maxElements, count, bytesPerElement, labelOffset, dataOffset; int32
 * maxLevel; uint32 entryPoint; size_t maxM, maxM0, M; double mult; size_t efConstruction.
 */
const HEADER_BYTES = 96;

/**
 * Reads and sanity-checks the header, because the native loader takes the dimension from the
 * space it was constructed with and would read a file of another dimension out of bounds.
 * Throws NOT_FOUND for a missing file, CORRUPT_MEDIA for one that is not a whole index.
 *
 * @example
 * await readHnswHeader('/c/vectors.hnsw'); // { dim: 256, count: 1000, m: 16, ... }
 */
export async function readHnswHeader(path: string): Promise<HnswFileHeader> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw new RosettaError('NOT_FOUND', `index file ${path} cannot be opened`, { cause: err });
  }
  try {
    const { size } = await handle.stat();
    const buf = Buffer.alloc(HEADER_BYTES);
    const { bytesRead } = await handle.read(buf, 0, HEADER_BYTES, 0);
    if (bytesRead < HEADER_BYTES) {
      throw new RosettaError('CORRUPT_MEDIA', `index file ${path} is ${size} bytes, shorter than its header`);
    }
    const u64 = (at: number) => Number(buf.readBigUInt64LE(at));
    const count = u64(16);
    const maxElements = u64(8);
    const bytesPerElement = u64(24);
    const labelOffset = u64(32);
    const dataOffset = u64(40);
    const header: HnswFileHeader = {
      dim: (labelOffset - dataOffset) / 4,
      count,
      maxElements,
      bytesPerElement,
      m: u64(72),
      efConstruction: u64(88),
      fileBytes: size,
    };
    const plausible =
      u64(0) === 0 &&
      Number.isInteger(header.dim) &&
      header.dim > 0 &&
      bytesPerElement === labelOffset + 8 &&
      count <= maxElements &&
      // Every element has its level-0 block plus a 4-byte upper-level link count.
      size >= HEADER_BYTES + count * (bytesPerElement + 4);
    if (!plausible) {
      throw new RosettaError('CORRUPT_MEDIA', `index file ${path} has a damaged header or is truncated`);
    }
    return header;
  } finally {
    await handle.close();
  }
}
