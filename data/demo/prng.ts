/**
 * Seeded randomness for the demo builder: a string hash for order-independent decisions
 * (split, captionless share) and a small PRNG for jsfxr's presets.
 */
import { hash32, mulberry32 } from '../../models/random.ts';

export { hash32, mulberry32 };

/** A hash mapped to [0, 1). @example unitHash('1:eval:1F600') // 0.6477... */
export function unitHash(text: string): number {
  return hash32(text) / 4294967296;
}

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
