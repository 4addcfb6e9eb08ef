import { RosettaError } from '../../models/errors.ts';

/** Labels are uint32 in hnswlib; the same bound holds for every index so they stay swappable. */
export const MAX_ID = 0xffff_ffff;

export function checkId(id: number, what = 'id'): void {
  if (!Number.isInteger(id) || id < 0 || id > MAX_ID) {
    throw new RosettaError('INVALID_ARGUMENT', `${what} ${String(id)} is not an integer in [0, ${MAX_ID}]`);
  }
}

export function checkK(k: number): void {
  if (!Number.isInteger(k) || k < 1) {
    throw new RosettaError('INVALID_ARGUMENT', `k ${String(k)} is not a positive integer`);
  }
}

/**
 * Checks length and values and returns a unit-length copy, so that inner product is cosine.
 * `what` names the vector in messages ("vector for id 3", "query").
 */
export function normalised(vector: Float32Array, dim: number, what: string): Float32Array {
  if (!(vector instanceof Float32Array)) {
    throw new RosettaError('INVALID_ARGUMENT', `${what} is not a Float32Array`);
  }
  if (vector.length !== dim) {
    throw new RosettaError(
      'DIMENSION_MISMATCH',
      `${what} has ${vector.length} dimensions but the index has ${dim}`,
    );
  }
  let sum = 0;
  for (let i = 0; i < dim; i++) {
    const x = vector[i];
    if (!Number.isFinite(x)) {
      throw new RosettaError('INVALID_ARGUMENT', `${what} has a non-finite value at ${i}`);
    }
    sum += x * x;
  }
  if (sum === 0) {
    throw new RosettaError('INVALID_ARGUMENT', `${what} is all zeros and has no direction`);
  }
  const inv = 1 / Math.sqrt(sum);
  const out = new Float32Array(dim);
  for (let i = 0; i < dim; i++) out[i] = vector[i] * inv;
  return out;
}
