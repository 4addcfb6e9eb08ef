/**
 * The caption matrix as CSR over a compacted id table, and its products with tall dense
 * matrices: the inner loops of the randomised SVD.
 *
 * The dense operand indexed by feature id (100k+ ids x ~270 columns, hundreds of MB) is read at
 * random, one row per non-zero; row-major it misses the cache on nearly every non-zero (we
 * measured ~0.1 G multiply-adds/s). So dense operands are kept in column panels 8 wide: one
 * panel of every id fits in cache, each non-zero reads 32 contiguous bytes, and the CSR index
 * is streamed once per panel. Hand-written because no JS library does sparse x dense products.
 */
import { RosettaError } from '../errors.ts';
import type { SparseRow } from '../types.ts';

export interface Csr {
  rows: number;
  /** Compacted column count: ids.length. */
  cols: number;
  /** Original id of each compacted column, ascending. */
  ids: Uint32Array;
  rowPtr: Uint32Array;
  colIdx: Uint32Array;
  values: Float32Array;
}

/**
 * CSR of `rows` over the ids occurring in at least `minCount` rows, compacted in ascending id
 * order. Throws INVALID_ARGUMENT naming the row for ids outside [0, idSpace) or bad weights.
 */
export function buildCsr(rows: readonly SparseRow[], idSpace: number, minCount = 1): Csr {
  const df = new Uint32Array(idSpace);
  rows.forEach((row, i) => {
    const { ids, weights } = row ?? {};
    if (!(ids instanceof Uint32Array) || !(weights instanceof Float32Array) || ids.length !== weights.length) {
      throw new RosettaError(
        'INVALID_ARGUMENT',
        `caption ${i} must be a SparseRow {ids: Uint32Array, weights: Float32Array} of equal lengths`,
      );
    }
    for (let k = 0; k < ids.length; k++) {
      if (ids[k] >= idSpace) {
        throw new RosettaError('INVALID_ARGUMENT', `caption ${i} has id ${ids[k]} outside the id space [0, ${idSpace})`);
      }
      if (!Number.isFinite(weights[k])) {
        throw new RosettaError('INVALID_ARGUMENT', `caption ${i} has a non-finite weight for id ${ids[k]}`);
      }
      df[ids[k]]++;
    }
  });
  const compact = new Int32Array(idSpace).fill(-1);
  let cols = 0;
  for (let id = 0; id < idSpace; id++) if (df[id] > 0 && df[id] >= minCount) compact[id] = cols++;
  const ids = new Uint32Array(cols);
  for (let id = 0; id < idSpace; id++) if (compact[id] >= 0) ids[compact[id]] = id;

  const rowPtr = new Uint32Array(rows.length + 1);
  let nnz = 0;
  rows.forEach((row, i) => {
    for (const id of row.ids) if (compact[id] >= 0) nnz++;
    rowPtr[i + 1] = nnz;
  });
  const colIdx = new Uint32Array(nnz);
  const values = new Float32Array(nnz);
  let at = 0;
  for (const row of rows) {
    for (let k = 0; k < row.ids.length; k++) {
      const c = compact[row.ids[k]];
      if (c < 0) continue;
      colIdx[at] = c;
      values[at++] = row.weights[k];
    }
  }
  return { rows: rows.length, cols, ids, rowPtr, colIdx, values };
}

const W = 8;

/** Row-major (rows x l) to column panels: panel p holds columns 8p..8p+7 of every row, contiguous. */
export function toPanels(src: Float32Array, rows: number, l: number): Float32Array {
  const out = new Float32Array(rows * l);
  for (let p = 0; p * W < l; p++) {
    const wp = Math.min(W, l - p * W);
    const base = rows * W * p;
    for (let r = 0; r < rows; r++) {
      const s = r * l + p * W;
      const o = base + r * wp;
      for (let j = 0; j < wp; j++) out[o + j] = src[s + j];
    }
  }
  return out;
}

export function fromPanels(src: Float32Array, rows: number, l: number): Float32Array {
  const out = new Float32Array(rows * l);
  for (let p = 0; p * W < l; p++) {
    const wp = Math.min(W, l - p * W);
    const base = rows * W * p;
    for (let r = 0; r < rows; r++) {
      const o = r * l + p * W;
      const s = base + r * wp;
      for (let j = 0; j < wp; j++) out[o + j] = src[s + j];
    }
  }
  return out;
}

/** A · Z for Z (cols x l, panels); returns rows x l in panels. */
export function mulPanels(a: Csr, z: Float32Array, l: number): Float32Array {
  const { rows, cols, rowPtr, colIdx, values } = a;
  const y = new Float32Array(rows * l);
  for (let p = 0; p * W < l; p++) {
    const wp = Math.min(W, l - p * W);
    const zb = cols * W * p;
    const yb = rows * W * p;
    if (wp === W) {
      for (let i = 0; i < rows; i++) {
        let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
        for (let k = rowPtr[i], e = rowPtr[i + 1]; k < e; k++) {
          const v = values[k];
          const o = zb + colIdx[k] * W;
          a0 += v * z[o]; a1 += v * z[o + 1]; a2 += v * z[o + 2]; a3 += v * z[o + 3];
          a4 += v * z[o + 4]; a5 += v * z[o + 5]; a6 += v * z[o + 6]; a7 += v * z[o + 7];
        }
        const o = yb + i * W;
        y[o] = a0; y[o + 1] = a1; y[o + 2] = a2; y[o + 3] = a3;
        y[o + 4] = a4; y[o + 5] = a5; y[o + 6] = a6; y[o + 7] = a7;
      }
    } else {
      for (let i = 0; i < rows; i++) {
        const o = yb + i * wp;
        for (let k = rowPtr[i], e = rowPtr[i + 1]; k < e; k++) {
          const v = values[k];
          const zo = zb + colIdx[k] * wp;
          for (let j = 0; j < wp; j++) y[o + j] += v * z[zo + j];
        }
      }
    }
  }
  return y;
}

/** Aᵀ · Q for Q (rows x l, panels); returns cols x l in panels. */
export function mulTransposedPanels(a: Csr, q: Float32Array, l: number): Float32Array {
  const { rows, cols, rowPtr, colIdx, values } = a;
  const z = new Float32Array(cols * l);
  for (let p = 0; p * W < l; p++) {
    const wp = Math.min(W, l - p * W);
    const zb = cols * W * p;
    const qb = rows * W * p;
    if (wp === W) {
      for (let i = 0; i < rows; i++) {
        const s = qb + i * W;
        const q0 = q[s], q1 = q[s + 1], q2 = q[s + 2], q3 = q[s + 3];
        const q4 = q[s + 4], q5 = q[s + 5], q6 = q[s + 6], q7 = q[s + 7];
        for (let k = rowPtr[i], e = rowPtr[i + 1]; k < e; k++) {
          const v = values[k];
          const o = zb + colIdx[k] * W;
          z[o] += v * q0; z[o + 1] += v * q1; z[o + 2] += v * q2; z[o + 3] += v * q3;
          z[o + 4] += v * q4; z[o + 5] += v * q5; z[o + 6] += v * q6; z[o + 7] += v * q7;
        }
      }
    } else {
      for (let i = 0; i < rows; i++) {
        const s = qb + i * wp;
        for (let k = rowPtr[i], e = rowPtr[i + 1]; k < e; k++) {
          const v = values[k];
          const o = zb + colIdx[k] * wp;
          for (let j = 0; j < wp; j++) z[o + j] += v * q[s + j];
        }
      }
    }
  }
  return z;
}
