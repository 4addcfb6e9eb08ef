/**
 * Dense linear algebra on row-major Float64Array matrices.
 *
 * ml-matrix is a well-kept pure-JS library with SVD/EVD/Cholesky, and we use it for the one
 * decomposition whose matrix stays small: the symmetric eigenproblem of the whitened
 * cross-covariance (at most ~300 wide). Its matrices are arrays of row arrays read through
 * get/set, and we measured it far too slow at the widths CNN features have (1280): a 1280-wide
 * Cholesky took 5 s and a 1280 EVD 61 s. Cholesky and the triangular solves are written here
 * on flat arrays (p^3/6 multiply-adds, well under a second at 1280), and the GEMMs that touch
 * every training row go through onnxruntime (gemm.ts).
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { RosettaError } from '../errors.ts';

export interface Mat {
  rows: number;
  cols: number;
  /** Row-major, rows * cols. */
  data: Float64Array;
}

export function mat(rows: number, cols: number, data?: Float64Array): Mat {
  if (data && data.length !== rows * cols) {
    throw new RosettaError('INTERNAL', `matrix data has ${data.length} values, not ${rows}x${cols}`);
  }
  return { rows, cols, data: data ?? new Float64Array(rows * cols) };
}

export function identity(n: number): Mat {
  const m = mat(n, n);
  for (let i = 0; i < n; i++) m.data[i * n + i] = 1;
  return m;
}

export function transpose(a: Mat): Mat {
  const t = mat(a.cols, a.rows);
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < a.cols; j++) t.data[j * a.rows + i] = a.data[i * a.cols + j];
  }
  return t;
}

/** a * b, for the small products (a few hundred wide); row-major i-k-j order keeps rows streaming. */
export function matmul(a: Mat, b: Mat): Mat {
  if (a.cols !== b.rows) throw new RosettaError('INTERNAL', `matmul ${a.rows}x${a.cols} by ${b.rows}x${b.cols}`);
  const c = mat(a.rows, b.cols);
  const n = b.cols;
  for (let i = 0; i < a.rows; i++) {
    const ci = i * n;
    for (let k = 0; k < a.cols; k++) {
      const v = a.data[i * a.cols + k];
      if (v === 0) continue;
      const bk = k * n;
      for (let j = 0; j < n; j++) c.data[ci + j] += v * b.data[bk + j];
    }
  }
  return c;
}

/** Columns `from..to-1` of a. */
export function columns(a: Mat, from: number, to: number): Mat {
  const w = to - from;
  const out = mat(a.rows, w);
  for (let i = 0; i < a.rows; i++) out.data.set(a.data.subarray(i * a.cols + from, i * a.cols + to), i * w);
  return out;
}

/** trace(a) / n: the mean eigenvalue, the unit in which regularisation is given. */
export function meanEigenvalue(a: Mat): number {
  let t = 0;
  for (let i = 0; i < a.rows; i++) t += a.data[i * a.cols + i];
  return t / a.rows;
}

/**
 * Adds `relative * meanEigenvalue(a)` to the diagonal, in place, so a regularisation constant
 * means the same for unit-norm CNN features and for unnormalised audio descriptors.
 * Returns the absolute amount added.
 */
export function addRelativeRidge(a: Mat, relative: number): number {
  const ridge = relative * meanEigenvalue(a);
  for (let i = 0; i < a.rows; i++) a.data[i * a.cols + i] += ridge;
  return ridge;
}

/**
 * Lower-triangular L with L Lᵀ = a (a symmetric positive definite). `what` names the matrix
 * in the error raised when it is not positive definite.
 */
export function cholesky(a: Mat, what: string): Mat {
  const n = a.rows;
  const l = mat(n, n);
  const L = l.data;
  const A = a.data;
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let d = A[rj + j];
    for (let k = 0; k < j; k++) d -= L[rj + k] * L[rj + k];
    if (!(d > 0)) {
      throw new RosettaError(
        'INVALID_ARGUMENT',
        `${what} is not positive definite (pivot ${j} is ${d}); raise its regularisation`,
      );
    }
    const djj = Math.sqrt(d);
    L[rj + j] = djj;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let s = A[ri + j];
      for (let k = 0; k < j; k++) s -= L[ri + k] * L[rj + k];
      L[ri + j] = s / djj;
    }
  }
  return l;
}

/** X with L X = B (L lower triangular): forward substitution, a row of X at a time. */
export function solveLower(l: Mat, b: Mat): Mat {
  const n = l.rows;
  const m = b.cols;
  const x = mat(n, m, Float64Array.from(b.data));
  const X = x.data;
  for (let i = 0; i < n; i++) {
    const xi = i * m;
    for (let k = 0; k < i; k++) {
      const v = l.data[i * n + k];
      if (v === 0) continue;
      const xk = k * m;
      for (let j = 0; j < m; j++) X[xi + j] -= v * X[xk + j];
    }
    const d = l.data[i * n + i];
    for (let j = 0; j < m; j++) X[xi + j] /= d;
  }
  return x;
}

/** X with Lᵀ X = B (L lower triangular): back substitution. */
export function solveLowerTransposed(l: Mat, b: Mat): Mat {
  const n = l.rows;
  const m = b.cols;
  const x = mat(n, m, Float64Array.from(b.data));
  const X = x.data;
  for (let i = n - 1; i >= 0; i--) {
    const xi = i * m;
    for (let k = i + 1; k < n; k++) {
      const v = l.data[k * n + i];
      if (v === 0) continue;
      const xk = k * m;
      for (let j = 0; j < m; j++) X[xi + j] -= v * X[xk + j];
    }
    const d = l.data[i * n + i];
    for (let j = 0; j < m; j++) X[xi + j] /= d;
  }
  return x;
}

/** L^{-T} as a matrix (upper triangular), for right-multiplying tall matrices in gemm. */
export function inverseLowerTransposed(l: Mat): Mat {
  return solveLowerTransposed(l, identity(l.rows));
}

/**
 * Eigenvalues (descending) and unit eigenvectors (columns) of a symmetric matrix.
 *
 * @example symmetricEigen(mat(2, 2, Float64Array.of(2, 0, 0, 1))).values // Float64Array [2, 1]
 */
export function symmetricEigen(a: Mat): { values: Float64Array; vectors: Mat } {
  const n = a.rows;
  const rows: number[][] = [];
  // Symmetrise: accumulated Gram matrices differ from their transpose in the last bits.
  for (let i = 0; i < n; i++) {
    const r = new Array<number>(n);
    for (let j = 0; j < n; j++) r[j] = 0.5 * (a.data[i * n + j] + a.data[j * n + i]);
    rows.push(r);
  }
  const evd = new EigenvalueDecomposition(new Matrix(rows), { assumeSymmetric: true });
  const vals = evd.realEigenvalues;
  const vecs = evd.eigenvectorMatrix;
  const order = vals.map((_, i) => i).sort((x, y) => vals[y] - vals[x]);
  const values = Float64Array.from(order, (i) => vals[i]);
  const vectors = mat(n, n);
  for (let c = 0; c < n; c++) {
    const src = order[c];
    for (let r = 0; r < n; r++) vectors.data[r * n + c] = vecs.get(r, src);
  }
  return { values, vectors };
}
