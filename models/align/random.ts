/**
 * A seeded normal generator, so that a fit (the randomised SVD's test matrix) gives the same
 * space on every run. Math.random cannot be seeded; a few lines beat a dependency.
 */

/** mulberry32: 32-bit state, passes the usual statistical batteries, well enough for sketching. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Standard normal samples (Box-Muller) from a seed.
 *
 * @example const next = gaussian(7); next() // e.g. -0.412..., the same for seed 7 every time
 */
export function gaussian(seed: number): () => number {
  const uniform = mulberry32(seed);
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    let u = 0;
    while (u === 0) u = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    const theta = 2 * Math.PI * uniform();
    spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  };
}
