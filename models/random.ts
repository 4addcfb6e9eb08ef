// Seeded randomness. Math.random cannot be seeded, and training, demo data and test vectors must
// be reproducible; mulberry32 is tiny, fast and statistically good enough for all of them.

/**
 * A seeded uniform [0, 1) generator.
 *
 * @example mulberry32(1)() // 0.6270739405881613
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * One N(0, 1) draw (Box-Muller, cosine branch only).
 *
 * @example normal(mulberry32(7)) // the same number for the same seed
 */
export function normal(uniform: () => number): number {
  return Math.sqrt(-2 * Math.log(uniform() + 1e-12)) * Math.cos(2 * Math.PI * uniform());
}

/**
 * `count` N(0, 1) values from a uniform generator (Box-Muller, both outputs used).
 *
 * @example gaussians(3, mulberry32(1)) // Float32Array(3), the same for the same seed
 */
export function gaussians(count: number, uniform: () => number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - uniform()));
    const th = 2 * Math.PI * uniform();
    out[i] = r * Math.cos(th);
    if (i + 1 < count) out[i + 1] = r * Math.sin(th);
  }
  return out;
}

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
  return fmix32(h);
}

/** murmur3's 32-bit finaliser: every input bit flips about half of the output bits. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
