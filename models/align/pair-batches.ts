// Pair data and mini-batches for the step graph. Captions are compiled once into CSR arrays of
// E-row indices (unknown hashed ids dropped), so building a batch is a few typed-array passes.
import { RosettaError } from '../errors.ts';
import type { SparseRow } from '../types.ts';
import type { TensorSpec } from '../runtime/index.ts';
import type { HeadParams } from './head-params.ts';
import { bagRowIndex } from './head-params.ts';
import type { BatchSide, StepBatch } from './step.ts';

/** `count` dense rows of `dim` features, row-major. */
export interface DenseRows {
  kind: 'dense';
  count: number;
  dim: number;
  data: Float32Array;
}

/** Sparse rows over hashed feature ids (the text featurizer's output). */
export interface SparseRows {
  kind: 'sparse';
  rows: readonly SparseRow[];
}

/** Row i of `a` pairs with row i of `b`. */
export interface PairData {
  a: DenseRows;
  b: DenseRows | SparseRows;
}

/** Captions as CSR over rows of E: caption i has rows[offsets[i]..offsets[i+1]]. */
export interface CompiledBag {
  offsets: Int32Array;
  rows: Int32Array;
  weights: Float32Array;
  tableRows: number;
}

/** Stacks rows into a DenseRows matrix. */
export function denseRows(rows: readonly Float32Array[], dim: number): DenseRows {
  const data = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => {
    if (r.length !== dim) throw new RosettaError('DIMENSION_MISMATCH', `row ${i} has ${r.length} features; expected ${dim}`);
    data.set(r, i * dim);
  });
  return { kind: 'dense', count: rows.length, dim, data };
}

export function pairCount(data: PairData): number {
  const nb = data.b.kind === 'dense' ? data.b.count : data.b.rows.length;
  if (data.a.count !== nb) {
    throw new RosettaError('DIMENSION_MISMATCH', `pair data has ${data.a.count} rows on side a but ${nb} on side b`);
  }
  if (data.a.data.length !== data.a.count * data.a.dim) {
    throw new RosettaError('DIMENSION_MISMATCH', `side a has ${data.a.data.length} values; expected ${data.a.count}x${data.a.dim}`);
  }
  return nb;
}

/** Maps each caption's hashed ids to rows of the bag; ids without a row are dropped. */
export function compileBag(rows: readonly SparseRow[], rowOf: ReadonlyMap<number, number>, tableRows: number): CompiledBag {
  const offsets = new Int32Array(rows.length + 1);
  const outRows: number[] = [];
  const outWeights: number[] = [];
  rows.forEach((r, i) => {
    if (r.ids.length !== r.weights.length) {
      throw new RosettaError('INVALID_ARGUMENT', `caption ${i} has ${r.ids.length} ids but ${r.weights.length} weights`);
    }
    for (let k = 0; k < r.ids.length; k++) {
      const row = rowOf.get(r.ids[k]);
      if (row !== undefined) {
        outRows.push(row);
        outWeights.push(r.weights[k]);
      }
    }
    offsets[i + 1] = outRows.length;
  });
  return { offsets, rows: Int32Array.from(outRows), weights: Float32Array.from(outWeights), tableRows };
}

/**
 * Builds step batches from pair data for a given pair of heads.
 *
 * @example
 * const batcher = new PairBatcher(data, params);
 * const batch = batcher.batch(order.subarray(0, 256)); // { size: 256, a: { x }, b: { rows, S } }
 */
export class PairBatcher {
  readonly size: number;
  private readonly bag?: CompiledBag;
  // Scratch for de-duplicating rows; `stamp` avoids clearing `seen` between batches.
  private seen?: Int32Array;
  private position?: Int32Array;
  private stamp = 0;

  constructor(
    readonly data: PairData,
    heads: { a: HeadParams; b: HeadParams },
  ) {
    this.size = pairCount(data);
    if (data.a.dim !== (heads.a.kind === 'dense' ? heads.a.inDim : -1)) {
      throw new RosettaError('DIMENSION_MISMATCH', `side a has ${data.a.dim} features but its head expects ${heads.a.kind === 'dense' ? heads.a.inDim : 'a bag'}`);
    }
    if (data.b.kind === 'sparse') {
      if (heads.b.kind !== 'bag') throw new RosettaError('INVALID_ARGUMENT', 'side b is sparse captions but its head is dense');
      const tableRows = heads.b.ids.length;
      this.bag = compileBag(data.b.rows, bagRowIndex(heads.b), tableRows);
      this.seen = new Int32Array(tableRows);
      this.position = new Int32Array(tableRows);
    } else if (heads.b.kind !== 'dense' || heads.b.inDim !== data.b.dim) {
      throw new RosettaError('DIMENSION_MISMATCH', `side b has ${data.b.dim} dense features but its head expects ${heads.b.kind === 'dense' ? heads.b.inDim : 'captions'}`);
    }
  }

  /** The compiled captions (for the validation forward). */
  get compiledBag(): CompiledBag | undefined {
    return this.bag;
  }

  batch(indices: ArrayLike<number>): StepBatch {
    const a = gatherDense(this.data.a, indices);
    const b: BatchSide = this.data.b.kind === 'dense' ? gatherDense(this.data.b, indices) : this.bagBatch(indices);
    return { size: indices.length, a, b };
  }

  /** Unique rows (ascending, so gathers walk E forward) and the dense [B, U] weight matrix. */
  private bagBatch(indices: ArrayLike<number>): BatchSide & { kind: 'bag' } {
    const bag = this.bag!;
    const seen = this.seen!;
    const position = this.position!;
    const stamp = ++this.stamp;
    const unique: number[] = [];
    for (let i = 0; i < indices.length; i++) {
      for (let k = bag.offsets[indices[i]]; k < bag.offsets[indices[i] + 1]; k++) {
        const row = bag.rows[k];
        if (seen[row] !== stamp) {
          seen[row] = stamp;
          unique.push(row);
        }
      }
    }
    // No caption knows any id: keep one zero-weight row so the graph never sees a [B, 0] matrix.
    if (unique.length === 0) unique.push(0);
    const rows = Int32Array.from(unique).sort();
    rows.forEach((row, u) => (position[row] = u));
    const U = rows.length;
    const S = new Float32Array(indices.length * U);
    for (let i = 0; i < indices.length; i++) {
      for (let k = bag.offsets[indices[i]]; k < bag.offsets[indices[i] + 1]; k++) S[i * U + position[bag.rows[k]]] += bag.weights[k];
    }
    return { kind: 'bag', rows, S };
  }
}

function gatherDense(m: DenseRows, indices: ArrayLike<number>): BatchSide & { kind: 'dense' } {
  const x = new Float32Array(indices.length * m.dim);
  for (let i = 0; i < indices.length; i++) x.set(m.data.subarray(indices[i] * m.dim, (indices[i] + 1) * m.dim), i * m.dim);
  return { kind: 'dense', x };
}

/** Captions start..end-1 as the bag head's feeds: padded [n, K] rows and weights (row 0 at weight 0 pads). */
export function paddedBag(bag: CompiledBag, start = 0, end = bag.offsets.length - 1): { rows: TensorSpec; weights: TensorSpec } {
  let K = 1;
  for (let i = start; i < end; i++) K = Math.max(K, bag.offsets[i + 1] - bag.offsets[i]);
  const rows = new BigInt64Array((end - start) * K);
  const weights = new Float32Array((end - start) * K);
  for (let i = start; i < end; i++) {
    for (let k = bag.offsets[i], j = 0; k < bag.offsets[i + 1]; k++, j++) {
      rows[(i - start) * K + j] = BigInt(bag.rows[k]);
      weights[(i - start) * K + j] = bag.weights[k];
    }
  }
  return { rows: { data: rows, dims: [end - start, K] }, weights: { data: weights, dims: [end - start, K] } };
}

/** A seeded Fisher-Yates permutation of 0..n-1. */
export function shuffled(n: number, rand: () => number): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}
