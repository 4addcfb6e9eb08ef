/**
 * Generated media for the job's tests and benchmark (not exported from index.ts): small
 * deterministic images and WAV clips, different enough that each has its own content hash
 * and its own features.
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import sharp from 'sharp';
import { pcm16Wav } from '../../data/demo/index.ts';
import { mulberry32 } from '../../models/random.ts';
import { DATABASE_FILE } from '../store/index.ts';

/** mulberry32: a seeded stream of numbers in [0, 1). */
export function prng(seed: number): () => number {
  return mulberry32(seed);
}

/**
 * A `side` x `side` picture: a gradient in a seed-chosen direction and palette, a few
 * rectangles, and mild noise, so JPEG sizes and decode costs resemble photos.
 *
 * @example
 * await makeImage(3, 512, 'jpeg') // <Buffer ff d8 ff ...>
 */
export async function makeImage(seed: number, side: number, format: 'jpeg' | 'png' | 'webp' = 'jpeg'): Promise<Buffer> {
  const rand = prng(seed * 7919 + 1);
  const raw = Buffer.alloc(side * side * 3);
  const base = [rand() * 255, rand() * 255, rand() * 255];
  const slope = [rand() - 0.5, rand() - 0.5, rand() - 0.5].map((x) => (x * 400) / side);
  const angle = rand() * Math.PI;
  const [cx, cy] = [Math.cos(angle), Math.sin(angle)];
  for (let y = 0; y < side; y++) {
    for (let x = 0, o = y * side * 3; x < side; x++, o += 3) {
      const t = x * cx + y * cy;
      raw[o] = base[0] + slope[0] * t;
      raw[o + 1] = base[1] + slope[1] * t;
      raw[o + 2] = base[2] + slope[2] * t;
    }
  }
  for (let b = 0; b < 3; b++) {
    const [x0, y0] = [Math.floor(rand() * side), Math.floor(rand() * side)];
    const [w, h] = [Math.ceil((0.1 + rand() * 0.4) * side), Math.ceil((0.1 + rand() * 0.4) * side)];
    const colour = [rand() * 255, rand() * 255, rand() * 255];
    for (let y = y0; y < Math.min(side, y0 + h); y++) {
      for (let x = x0, o = (y * side + x0) * 3; x < Math.min(side, x0 + w); x++, o += 3) raw.set(colour, o);
    }
  }
  // Noise from a cheap xorshift: a per-pixel call to prng() dominates at 512 px.
  let state = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < raw.length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    raw[i] = Math.max(0, Math.min(255, raw[i] + ((state >>> 0) % 25) - 12));
  }
  const img = sharp(raw, { raw: { width: side, height: side, channels: 3 } });
  if (format === 'png') return img.png().toBuffer();
  if (format === 'webp') return img.webp({ quality: 80 }).toBuffer();
  return img.jpeg({ quality: 85 }).toBuffer();
}

export { pcm16Wav };

/**
 * A mono 16-bit PCM WAV: a seed-chosen chord with a slow sweep and a little noise.
 *
 * @example
 * makeWav(2, 1, 16_000).subarray(0, 4).toString() // 'RIFF'
 */
export function makeWav(seed: number, seconds: number, rate = 16_000): Buffer {
  const rand = prng(seed * 104729 + 3);
  const n = Math.round(seconds * rate);
  const samples = new Int16Array(n);
  const tones = Array.from({ length: 3 }, () => ({ f: 110 + rand() * 1800, a: 0.1 + rand() * 0.2, sweep: (rand() - 0.5) * 200 }));
  for (let i = 0; i < n; i++) {
    const t = i / rate;
    let v = (rand() - 0.5) * 0.02;
    for (const tone of tones) v += tone.a * Math.sin(2 * Math.PI * (tone.f + tone.sweep * t) * t);
    samples[i] = Math.max(-32768, Math.min(32767, Math.round(v * 32767)));
  }
  return pcm16Wav(samples, rate);
}

/** A collection's contents with everything that depends on when it was written left out. */
export interface CollectionDump {
  items: unknown[];
  captions: unknown[];
  features: unknown[];
  thumbnails: unknown[];
}

/**
 * Reads a closed collection's database straight from SQLite (tests only; the app goes
 * through the store) into plain rows keyed by external id, so that two collections built
 * differently can be compared with toEqual.
 *
 * @example
 * dumpCollection('/tmp/c').items[0] // { id: 1, externalId: 'a.jpg', contentHash: '9f86...', ... }
 */
export function dumpCollection(dir: string): CollectionDump {
  const db = new Database(join(dir, DATABASE_FILE), { readonly: true });
  try {
    const all = (sql: string) => db.prepare(sql).all() as Record<string, unknown>[];
    const digest = (b: unknown) => (Buffer.isBuffer(b) ? createHash('sha256').update(b).digest('hex') : null);
    return {
      items: all(`SELECT id, external_id AS externalId, modality, source_path AS sourcePath, content_hash AS contentHash, mime,
                  width, height, duration, projected FROM items ORDER BY id`),
      captions: all(`SELECT i.external_id AS externalId, c.text, c.source FROM captions c JOIN items i ON i.id = c.item_id
                     ORDER BY i.external_id, c.source, c.text`),
      features: all(`SELECT i.external_id AS externalId, f.modality, f.encoder, f.dim, f.kind, f.vector, f.sparse_ids AS ids,
                     f.sparse_weights AS weights FROM features f JOIN items i ON i.id = f.item_id
                     ORDER BY i.external_id, f.modality, f.encoder`).map((f) => ({
        ...f,
        vector: digest(f.vector),
        ids: digest(f.ids),
        weights: digest(f.weights),
      })),
      thumbnails: all(`SELECT i.external_id AS externalId, t.webp FROM thumbnails t JOIN items i ON i.id = t.item_id
                       ORDER BY i.external_id`).map((t) => ({ externalId: t.externalId, webp: digest(t.webp) })),
    };
  } finally {
    db.close();
  }
}
