/**
 * Large float32 matrix products through onnxruntime's CPU GEMM (MLAS: vectorised, all cores).
 * Covariances of 50,000 CNN rows are ~10^11 flops; the same Gram in plain JS measured ~10x
 * slower than this on the same machine, and ml-matrix ~100x. Inputs stream through in row
 * chunks so no full-size float32 copy of the training data is ever made, and each chunk's
 * product is summed into float64 so rounding does not grow with the number of rows.
 */
import { GraphBuilder } from '../onnxgraph/index.ts';
import { OnnxSession } from '../runtime/index.ts';
import { mat, type Mat } from './linalg.ts';

// ~32 MB per input chunk: large enough for MLAS to reach full speed, small enough to not matter.
const chunkFloats = 8 * 1024 * 1024;
// Sums over rows (AᵀB, Gram) run in float32 inside a chunk; capping the chunk's rows bounds that
// rounding (~sqrt(4096) ulp) before the float64 sum across chunks takes over.
const maxReduceRows = 4096;

function productGraph(transposeA: boolean): Uint8Array {
  const g = new GraphBuilder(transposeA ? 'align_atb' : 'align_ab');
  const a = g.input('a', 'float32', ['M', 'K']);
  const b = g.input('b', 'float32', transposeA ? ['M', 'N'] : ['K', 'N']);
  // onnxruntime fuses Transpose+MatMul into one GEMM with transA: no transposed copy is made.
  const left = transposeA ? g.op('Transpose', [a], { perm: [1, 0] }) : a;
  g.output(g.op('MatMul', [left, b]), 'float32', undefined, 'c');
  return g.serialize();
}

/**
 * Two onnxruntime sessions (A·B and Aᵀ·B) created once per fit and closed after it.
 *
 * @example
 * const gemm = await Gemm.create();
 * const c = await gemm.mul(a, 2, 3, b, 4); // Float32Array(8), row-major 2x4
 * await gemm.close();
 */
export class Gemm {
  private constructor(
    private readonly ab: OnnxSession,
    private readonly atb: OnnxSession,
  ) {}

  static async create(): Promise<Gemm> {
    const opts = { expectInputs: ['a', 'b'], expectOutputs: ['c'] };
    const ab = await OnnxSession.create(productGraph(false), opts);
    try {
      return new Gemm(ab, await OnnxSession.create(productGraph(true), opts));
    } catch (err) {
      await ab.close();
      throw err;
    }
  }

  /** A (m x k) · B (k x n), row-major float32; A streams through in row chunks. */
  async mul(a: Float32Array, m: number, k: number, b: Float32Array, n: number): Promise<Float32Array> {
    const out = new Float32Array(m * n);
    const step = Math.max(1, Math.floor(chunkFloats / Math.max(k, n)));
    for (let start = 0; start < m; start += step) {
      const rows = Math.min(step, m - start);
      const { c } = await this.ab.run({
        a: { data: a.subarray(start * k, (start + rows) * k), dims: [rows, k] },
        b: { data: b, dims: [k, n] },
      });
      out.set(c.data, start * n);
    }
    return out;
  }

  /** Aᵀ (k x m) · B (m x n) for row-major A (m x k) and B (m x n), summed over row chunks in float64. */
  async mulTransposed(a: Float32Array, k: number, b: Float32Array, n: number, m: number): Promise<Mat> {
    const acc = mat(k, n);
    const step = Math.max(1, Math.min(maxReduceRows, Math.floor(chunkFloats / Math.max(k, n))));
    for (let start = 0; start < m; start += step) {
      const rows = Math.min(step, m - start);
      const { c } = await this.atb.run({
        a: { data: a.subarray(start * k, (start + rows) * k), dims: [rows, k] },
        b: { data: b.subarray(start * n, (start + rows) * n), dims: [rows, n] },
      });
      addInto(acc.data, c.data);
    }
    return acc;
  }

  /**
   * Zᵀ Z (d x d) of an m x d matrix that `fill` writes chunk by chunk (rows start..start+count-1
   * into `out`, row-major), so callers can centre or weight rows on the fly without a full copy.
   */
  async gram(m: number, d: number, fill: (start: number, count: number, out: Float32Array) => void): Promise<Mat> {
    const acc = mat(d, d);
    const step = Math.max(1, Math.min(m, maxReduceRows, Math.floor(chunkFloats / d)));
    const buf = new Float32Array(step * d);
    for (let start = 0; start < m; start += step) {
      const rows = Math.min(step, m - start);
      const z = buf.subarray(0, rows * d);
      fill(start, rows, z);
      const spec = { data: z, dims: [rows, d] };
      const { c } = await this.atb.run({ a: spec, b: spec });
      addInto(acc.data, c.data);
    }
    return acc;
  }

  async close(): Promise<void> {
    await Promise.all([this.ab.close(), this.atb.close()]);
  }
}

function addInto(acc: Float64Array, part: Float32Array): void {
  for (let i = 0; i < acc.length; i++) acc[i] += part[i];
}

/** Runs `fn` with a Gemm that is closed afterwards, or with the caller's own. */
export async function withGemm<T>(given: Gemm | undefined, fn: (gemm: Gemm) => Promise<T>): Promise<T> {
  if (given) return fn(given);
  const gemm = await Gemm.create();
  try {
    return await fn(gemm);
  } finally {
    await gemm.close();
  }
}
