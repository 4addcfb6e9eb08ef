/** Scales a row to unit length in place (a zero row stays zero) and returns it. */
export function l2normalize(row: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += row[i] * row[i];
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < row.length; i++) row[i] /= norm;
  return row;
}

/** Inner product of two rows of the same length (cosine similarity for unit rows). */
export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
