import { RosettaError } from '../../models/errors.ts';
import { l2normalize } from '../../models/vectors.ts';

export interface WeightedVector {
  vector: Float32Array;
  weight: number;
}

/**
 * A query made of several parts (an image and what to change, a sketch and words): the
 * weighted sum of their unit vectors, minus the negatives, renormalised. Averaging in the
 * shared space is the simplest composition that the contrastive objective makes meaningful
 * (directions carry the concepts); it needs no extra model.
 *
 * @example combineQuery([{ vector: img, weight: 0.6 }, { vector: txt, weight: 0.4 }], [{ vector: neg, weight: 0.5 }])
 */
export function combineQuery(parts: readonly WeightedVector[], negatives: readonly WeightedVector[] = []): Float32Array {
  const dim = parts[0]?.vector.length;
  if (!dim) throw new RosettaError('EMPTY_INPUT', 'the query has no part to search with');
  const out = new Float32Array(dim);
  let total = 0;
  for (const { vector, weight } of parts) {
    total += weight;
    for (let i = 0; i < dim; i++) out[i] += weight * vector[i];
  }
  if (total <= 0) throw new RosettaError('INVALID_ARGUMENT', 'weights: at least one part of the query needs a weight above 0');
  for (const { vector, weight } of negatives) for (let i = 0; i < dim; i++) out[i] -= weight * vector[i];
  let norm = 0;
  for (let i = 0; i < dim; i++) norm += out[i] * out[i];
  if (norm < 1e-12) throw new RosettaError('INVALID_ARGUMENT', 'the query parts cancel out (negativeText removes everything the query says); lower its weight');
  return l2normalize(out);
}
