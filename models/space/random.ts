// Seeded Gaussian values for the unaligned baseline (Math.random cannot be seeded).
import { gaussians, mulberry32 } from '../random.ts';

/**
 * `count` N(0, 1) values from a seed (mulberry32 + Box-Muller).
 *
 * @example gaussianFill(3, 1) // Float32Array(3) [0.61, -1.2, 0.05] (fixed for seed 1)
 */
export function gaussianFill(count: number, seed: number): Float32Array {
  return gaussians(count, mulberry32(seed));
}
