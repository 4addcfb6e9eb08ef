import { describe, expect, it } from 'vitest';
import { PairBatcher, denseRows, shuffled } from './pair-batches.ts';
import { bagHead, denseHead, mulberry32 } from './head-params.ts';

describe('PairBatcher', () => {
  const a = denseHead({ inDim: 2, dim: 2, W: new Float32Array(4) });
  const b = bagHead(Uint32Array.of(10, 20, 30, 40), new Float32Array(8), 2);
  const data = {
    a: denseRows([Float32Array.of(1, 2), Float32Array.of(3, 4), Float32Array.of(5, 6)], 2),
    b: {
      kind: 'sparse' as const,
      rows: [
        { ids: Uint32Array.of(40, 10, 40), weights: Float32Array.of(1, 2, 3) },
        { ids: Uint32Array.of(99), weights: Float32Array.of(7) },
        { ids: Uint32Array.of(20, 10), weights: Float32Array.of(0.5, 0.25) },
      ],
    },
  };

  it('builds the unique rows (ascending) and the dense [B, U] weight matrix, summing repeats', () => {
    const batch = new PairBatcher(data, { a, b }).batch([2, 0, 1]);
    expect(batch.size).toBe(3);
    expect(Array.from(batch.a.x)).toEqual([5, 6, 1, 2, 3, 4]);
    if (batch.b.kind !== 'bag') throw new Error('expected a bag batch');
    expect(Array.from(batch.b.rows)).toEqual([0, 1, 3]);
    // Caption 1's only id (99) is unknown, so its row of S is zero.
    expect(Array.from(batch.b.S)).toEqual([0.25, 0.5, 0, 2, 0, 4, 0, 0, 0]);
  });

  it('keeps one zero-weight row when no caption in the batch knows an id', () => {
    const batch = new PairBatcher(data, { a, b }).batch([1]);
    expect(batch.b.kind === 'bag' && Array.from(batch.b.rows)).toEqual([0]);
    expect(batch.b.kind === 'bag' && Array.from(batch.b.S)).toEqual([0]);
  });

  it('rejects sides with different pair counts with DIMENSION_MISMATCH', () => {
    const short = { ...data, b: { kind: 'sparse' as const, rows: data.b.rows.slice(0, 2) } };
    expect(() => new PairBatcher(short, { a, b })).toThrowError(/3 rows on side a but 2 on side b/);
  });

  it('rejects features whose size differs from the head input', () => {
    const wide = { ...data, a: denseRows([Float32Array.of(1, 2, 3), Float32Array.of(4, 5, 6), Float32Array.of(7, 8, 9)], 3) };
    expect(() => new PairBatcher(wide, { a, b })).toThrowError(/side a has 3 features but its head expects 2/);
  });
});

describe('shuffled', () => {
  it('is a permutation that depends only on the seed', () => {
    const p1 = shuffled(100, mulberry32(5));
    expect(Array.from(p1).sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(shuffled(100, mulberry32(5))).toEqual(p1);
    expect(shuffled(100, mulberry32(6))).not.toEqual(p1);
  });
});
