/**
 * Seeded randomness for the demo builder: a string hash for order-independent decisions
 * (split, captionless share) and a small PRNG for jsfxr's presets.
 */

/**
 * 32-bit hash of a string: FNV-1a over UTF-16 code units, then murmur3's finaliser so that
 * ids differing in one character land far apart.
 * @example hash32('1:eval:1F600') // 2781935402 (some uint32)
 */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A hash mapped to [0, 1). @example unitHash('1:eval:1F600') // 0.6477... */
export function unitHash(text: string): number {
  return hash32(text) / 4294967296;
}

export { mulberry32 } from '../../models/random.ts';
import { mulberry32 } from '../../models/random.ts';

/**
 * Runs a synchronous `fn` with Math.random replaced by a seeded PRNG, then restores it.
 * jsfxr draws its preset parameters and its noise samples from the global Math.random and
 * takes no generator argument, so this is the only way to make its output reproducible.
 * `fn` must not be async: nothing else may run while the global is swapped.
 * @example withSeededRandom(7, () => Math.random()) // same number on every call
 */
export function withSeededRandom<T>(seed: number, fn: () => T): T {
  const original = Math.random;
  Math.random = mulberry32(seed);
  try {
    const out = fn();
    if (out instanceof Promise) throw new Error('withSeededRandom needs a synchronous function');
    return out;
  } finally {
    Math.random = original;
  }
}
