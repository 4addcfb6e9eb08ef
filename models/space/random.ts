// Seeded Gaussian values for the unaligned baseline (Math.random cannot be seeded).

/**
 * `count` N(0, 1) values from a seed (mulberry32 + Box-Muller).
 *
 * @example gaussianFill(3, 1) // Float32Array(3) [0.61, -1.2, 0.05] (fixed for seed 1)
 */
export function gaussianFill(count: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - next()));
    const th = 2 * Math.PI * next();
    out[i] = r * Math.cos(th);
    if (i + 1 < count) out[i + 1] = r * Math.sin(th);
  }
  return out;
}
