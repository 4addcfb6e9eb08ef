// Checks and means of feature rows, shared by the CCA and the ridge map.
import { RosettaError } from '../errors.ts';

/**
 * Throws INVALID_ARGUMENT unless every row has length `dim` (or the first row's length when
 * `dim` is undefined) and only finite values. Returns the row length.
 */
export function checkRows(rows: readonly Float32Array[], what: string, dim?: number, minRows = 1): number {
  if (rows.length < minRows) {
    throw new RosettaError('INVALID_ARGUMENT', `${what} needs at least ${minRows} rows; got ${rows.length}`);
  }
  const d = dim ?? rows[0].length;
  if (d === 0) throw new RosettaError('INVALID_ARGUMENT', `${what} rows are empty`);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (!(r instanceof Float32Array) || r.length !== d) {
      throw new RosettaError(
        'INVALID_ARGUMENT',
        `${what} row ${i} must be a Float32Array of length ${d}; got ${r instanceof Float32Array ? `length ${r.length}` : typeof r}`,
      );
    }
    for (let j = 0; j < d; j++) {
      if (!Number.isFinite(r[j])) {
        throw new RosettaError('INVALID_ARGUMENT', `${what} row ${i} has a non-finite value at ${j} (${r[j]})`);
      }
    }
  }
  return d;
}

export function meanRows(rows: readonly Float32Array[], d: number): Float64Array {
  const m = new Float64Array(d);
  for (const r of rows) for (let j = 0; j < d; j++) m[j] += r[j];
  for (let j = 0; j < d; j++) m[j] /= rows.length;
  return m;
}

/**
 * Writes rows start..start+count-1 of [x - mx | y - my] into `out` (row-major, width
 * mx.length + my.length): the chunk filler for a centred joint Gram.
 */
export function centredPairFiller(
  x: readonly Float32Array[],
  mx: Float64Array,
  y: readonly Float32Array[],
  my: Float64Array,
): (start: number, count: number, out: Float32Array) => void {
  const p = mx.length;
  const q = my.length;
  const d = p + q;
  return (start, count, out) => {
    for (let r = 0; r < count; r++) {
      const xr = x[start + r];
      const yr = y[start + r];
      const o = r * d;
      for (let j = 0; j < p; j++) out[o + j] = xr[j] - mx[j];
      for (let j = 0; j < q; j++) out[o + p + j] = yr[j] - my[j];
    }
  };
}
