import { describe, expect, it } from 'vitest';
import { isRosettaError } from '../../models/errors.ts';
import { decodeFeature, sameFeature, toBlob, type FeatureRow } from './codec.ts';
import { ftsQuery } from './fts.ts';

describe('feature blobs', () => {
  it('decode from a buffer that is not 4-byte aligned', () => {
    const values = new Float32Array([1.5, -2, 3.25]);
    const unaligned = Buffer.alloc(13);
    toBlob(values).copy(unaligned, 1);
    const row: FeatureRow = { modality: 'image', encoder: 'e', dim: 3, kind: 'dense', vector: unaligned.subarray(1), sparse_ids: null, sparse_weights: null };
    const f = decodeFeature(row);
    expect(f.kind === 'dense' && Array.from(f.vector)).toEqual([1.5, -2, 3.25]);
  });

  it('refuse a dense blob whose length does not match its dim with INTERNAL', () => {
    const row: FeatureRow = { modality: 'image', encoder: 'e', dim: 4, kind: 'dense', vector: Buffer.alloc(12), sparse_ids: null, sparse_weights: null };
    let err: unknown;
    try {
      decodeFeature(row);
    } catch (e) {
      err = e;
    }
    expect(isRosettaError(err, 'INTERNAL')).toBe(true);
  });

  it('compare features by their numbers', () => {
    const a = { kind: 'dense', modality: 'image', encoder: 'e', dim: 2, vector: new Float32Array([1, 2]) } as const;
    expect(sameFeature(a, { ...a, vector: new Float32Array([1, 2]) })).toBe(true);
    expect(sameFeature(a, { ...a, vector: new Float32Array([1, 2.0001]) })).toBe(false);
    expect(sameFeature(a, { ...a, encoder: 'f' })).toBe(false);
  });
});

describe('ftsQuery', () => {
  it('quotes words, joins them with OR and makes the last a prefix', () => {
    expect(ftsQuery('red "bird" son')).toBe('"red" OR "bird" OR "son"*');
    expect(ftsQuery('NEAR(a b) AND c*')).toBe('"NEAR" OR "a" OR "b" OR "AND" OR "c"*');
  });

  it('gives nothing for text without words', () => {
    expect(ftsQuery('"*" ( ) -')).toBeUndefined();
  });
});
