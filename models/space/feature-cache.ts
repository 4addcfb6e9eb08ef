/**
 * Encoded features kept on disk by file content, one file per encoder identity, so retraining
 * (a new recipe, a new seed, the tests) does not run the CNN over the same files again. The
 * key is sha256 of the file's bytes; the encoder identity names the file, so features of two
 * encoders never mix.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

const MAGIC = 'rosetta-features-1';

/**
 * @example
 * const cache = await FeatureCache.open('models/cache/features', 'image-cnn/...@1#abcd', 384);
 * cache.get(sha256(bytes)) // Float32Array(384) or undefined
 */
export class FeatureCache {
  private added = 0;

  private constructor(
    readonly file: string,
    readonly dim: number,
    private readonly rows: Map<string, Float32Array>,
  ) {}

  static async open(dir: string, encoderKey: string, dim: number): Promise<FeatureCache> {
    const name = `${encoderKey.replace(/[^\w.@#+-]/g, '_')}-${createHash('sha256').update(encoderKey).digest('hex').slice(0, 8)}.bin`;
    const file = path.join(dir, name);
    const rows = new Map<string, Float32Array>();
    try {
      const buf = await readFile(file);
      const head = buf.subarray(0, MAGIC.length + 8).toString('latin1');
      const storedDim = buf.readUInt32LE(MAGIC.length);
      if (head.startsWith(MAGIC) && storedDim === dim) {
        const entry = 32 + 4 * dim;
        for (let at = MAGIC.length + 4; at + entry <= buf.length; at += entry) {
          const key = buf.subarray(at, at + 32).toString('hex');
          const row = new Float32Array(dim);
          for (let j = 0; j < dim; j++) row[j] = buf.readFloatLE(at + 32 + 4 * j);
          rows.set(key, row);
        }
      }
    } catch {
      // No cache yet, or an unreadable one: start empty (it is only a cache).
    }
    return new FeatureCache(file, dim, rows);
  }

  get size(): number {
    return this.rows.size;
  }

  get(hash: string): Float32Array | undefined {
    return this.rows.get(hash);
  }

  set(hash: string, row: Float32Array): void {
    if (row.length !== this.dim || this.rows.has(hash)) return;
    this.rows.set(hash, row);
    this.added++;
  }

  /** Writes the cache (temp file + rename) if anything was added. */
  async save(): Promise<void> {
    if (this.added === 0) return;
    const entry = 32 + 4 * this.dim;
    const buf = Buffer.alloc(MAGIC.length + 4 + this.rows.size * entry);
    buf.write(MAGIC, 0, 'latin1');
    buf.writeUInt32LE(this.dim, MAGIC.length);
    let at = MAGIC.length + 4;
    for (const [key, row] of this.rows) {
      Buffer.from(key, 'hex').copy(buf, at);
      for (let j = 0; j < this.dim; j++) buf.writeFloatLE(row[j], at + 32 + 4 * j);
      at += entry;
    }
    await mkdir(path.dirname(this.file), { recursive: true });
    const temp = `${this.file}.${process.pid}.tmp`;
    await writeFile(temp, buf);
    await rename(temp, this.file);
    this.added = 0;
  }
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
