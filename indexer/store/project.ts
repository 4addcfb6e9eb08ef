import { RosettaError } from '../../models/errors.ts';
import type { ItemModality, Projector, StoredFeature } from './types.ts';

/**
 * Runs the projector and checks what it returns, so that a bad vector fails the write that
 * caused it instead of the index insert after the transaction has committed.
 *
 * @example
 * projectItem(projector, 7, 'image', features); // Float32Array(projector.dim), or null
 */
export function projectItem(
  projector: Projector,
  id: number,
  modality: ItemModality,
  features: StoredFeature[],
): Float32Array | null {
  const vector = projector.project({ modality, features });
  if (vector === null) return null;
  const what = `projector ${projector.version} on item ${id}`;
  if (!(vector instanceof Float32Array)) {
    throw new RosettaError('INTERNAL', `${what} returned something other than a Float32Array or null`);
  }
  if (vector.length !== projector.dim) {
    throw new RosettaError('DIMENSION_MISMATCH', `${what} returned ${vector.length} values; the space has ${projector.dim}`);
  }
  let sum = 0;
  for (const x of vector) sum += x * x;
  if (!Number.isFinite(sum) || sum === 0) {
    throw new RosettaError('INTERNAL', `${what} returned a zero or non-finite vector`);
  }
  return vector;
}

export function checkProjector(projector: Projector): void {
  if (typeof projector !== 'object' || projector === null || typeof projector.project !== 'function') {
    throw new RosettaError('INVALID_ARGUMENT', 'projector must have a project(item) function');
  }
  if (typeof projector.version !== 'string' || projector.version === '') {
    throw new RosettaError('INVALID_ARGUMENT', 'projector.version must be a non-empty string');
  }
  if (!Number.isInteger(projector.dim) || projector.dim < 1) {
    throw new RosettaError('INVALID_ARGUMENT', `projector.dim ${String(projector.dim)} must be a positive integer`);
  }
}
