import { readFile, writeFile } from 'node:fs/promises';
import { RosettaError } from '../../models/errors.ts';
import { replaceFile } from './atomic-file.ts';
import { SerialQueue } from './serial-queue.ts';
import type { VectorHit, VectorIndex } from './types.ts';
import { checkId, checkK, normalised } from './validate.ts';

/** "RXEX", then uint32 version, dim, count; count uint32 ids; count*dim float32; little-endian. */
const MAGIC = 0x58455852;
const VERSION = 1;
const HEADER_BYTES = 16;

/**
 * Brute-force cosine search: the ground truth HNSW is measured against, and a fine index for
 * a few thousand vectors. Uses the same queue discipline as HnswIndex so both behave alike
 * under interleaved calls.
 */
export class ExactIndex implements VectorIndex {
  readonly dim: number;
  private vectors = new Map<number, Float32Array>();
  private readonly queue = new SerialQueue();

  constructor(dim: number) {
    if (!Number.isInteger(dim) || dim < 1) {
      throw new RosettaError('INVALID_ARGUMENT', `dim ${String(dim)} is not a positive integer`);
    }
    this.dim = dim;
  }

  async add(id: number, vector: Float32Array): Promise<void> {
    checkId(id);
    const unit = normalised(vector, this.dim, `vector for id ${id}`);
    return this.queue.write(() => {
      this.vectors.set(id, unit);
    });
  }

  async remove(id: number): Promise<void> {
    checkId(id);
    return this.queue.write(() => {
      if (!this.vectors.delete(id)) throw new RosettaError('NOT_FOUND', `id ${id} is not in the index`);
    });
  }

  async search(query: Float32Array, k: number, filter?: (id: number) => boolean): Promise<VectorHit[]> {
    checkK(k);
    const q = normalised(query, this.dim, 'query');
    const pending = this.queue.writesDone();
    if (pending) await pending;
    const hits: VectorHit[] = [];
    for (const [id, v] of this.vectors) {
      if (filter && filter(id) !== true) continue;
      let dot = 0;
      for (let i = 0; i < this.dim; i++) dot += q[i] * v[i];
      hits.push({ id, score: dot });
    }
    hits.sort((a, b) => b.score - a.score || a.id - b.id);
    return hits.slice(0, k);
  }

  async save(path: string): Promise<void> {
    return this.queue.run(() => replaceFile(path, (tmp) => writeFile(tmp, this.encode())));
  }

  async load(path: string): Promise<void> {
    return this.queue.write(async () => {
      let data: Buffer;
      try {
        data = await readFile(path);
      } catch (err) {
        throw new RosettaError('NOT_FOUND', `index file ${path} cannot be opened`, { cause: err });
      }
      this.vectors = this.decode(data, path);
    });
  }

  size(): number {
    return this.vectors.size;
  }

  ids(): number[] {
    return [...this.vectors.keys()];
  }

  /** Nothing to release (the vectors are ordinary memory); calls after close keep working. */
  async close(): Promise<void> {}

  private encode(): Buffer {
    const count = this.vectors.size;
    const out = Buffer.alloc(HEADER_BYTES + count * 4 * (1 + this.dim));
    out.writeUInt32LE(MAGIC, 0);
    out.writeUInt32LE(VERSION, 4);
    out.writeUInt32LE(this.dim, 8);
    out.writeUInt32LE(count, 12);
    let at = HEADER_BYTES;
    for (const id of this.vectors.keys()) at = out.writeUInt32LE(id, at);
    for (const v of this.vectors.values()) {
      for (let i = 0; i < this.dim; i++) at = out.writeFloatLE(v[i], at);
    }
    return out;
  }

  private decode(data: Buffer, path: string): Map<number, Float32Array> {
    if (data.length < HEADER_BYTES || data.readUInt32LE(0) !== MAGIC || data.readUInt32LE(4) !== VERSION) {
      throw new RosettaError('CORRUPT_MEDIA', `index file ${path} is not an exact-index file`);
    }
    const dim = data.readUInt32LE(8);
    if (dim !== this.dim) {
      throw new RosettaError(
        'DIMENSION_MISMATCH',
        `index file ${path} holds ${dim}-dimensional vectors but the index has ${this.dim}`,
      );
    }
    const count = data.readUInt32LE(12);
    if (data.length !== HEADER_BYTES + count * 4 * (1 + dim)) {
      throw new RosettaError('CORRUPT_MEDIA', `index file ${path} is truncated or has trailing bytes`);
    }
    const vectors = new Map<number, Float32Array>();
    let at = HEADER_BYTES + count * 4;
    for (let j = 0; j < count; j++) {
      const v = new Float32Array(dim);
      for (let i = 0; i < dim; i++, at += 4) v[i] = data.readFloatLE(at);
      vectors.set(data.readUInt32LE(HEADER_BYTES + j * 4), v);
    }
    return vectors;
  }
}
