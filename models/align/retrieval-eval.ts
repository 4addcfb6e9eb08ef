// Validation for the trainer: embeds a split with the same head graphs that get exported (weights
// fed as inputs), then scores retrieval (Recall@1/5/10 both ways) and the InfoNCE loss. Ranking
// runs in ONNX because an N x N similarity matrix is too slow in plain JS loops.
import { GraphBuilder } from '../onnxgraph/index.ts';
import { OnnxSession, type Device, type TensorSpec } from '../runtime/index.ts';
import { axes } from './graph-math.ts';
import { buildHeadGraph, HEAD_OUTPUT } from './heads.ts';
import type { AlignParams, HeadParams, HeadShape, Side } from './head-params.ts';
import { paddedBag, type CompiledBag, type PairBatcher } from './pair-batches.ts';
import { AlignStep } from './step.ts';

export interface RecallAtK {
  r1: number;
  r5: number;
  r10: number;
}

/** aToB: side-a items query side-b items (e.g. image -> caption); bToA the reverse. */
export interface ValRecall {
  aToB: RecallAtK;
  bToA: RecallAtK;
}

export interface EvalOptions {
  device?: Device;
  intraOpThreads?: number;
  /** Batch size of the validation loss; use the training batch size so the losses compare. */
  batchSize: number;
}

// Rows per embedding or ranking run: bounds the [chunk, N] similarity block (~40 MB at N = 10k).
const CHUNK = 1024;

/**
 * Embeds and scores a validation split for the current parameters.
 *
 * @example
 * const v = await Validator.create(shapes, { batchSize: 256 });
 * await v.evaluate(params, valBatcher); // { loss: 2.31, recall: { aToB: { r1: 0.2, r5: 0.5, r10: 0.7 }, bToA: ... } }
 */
export class Validator {
  private constructor(
    private readonly heads: Record<Side, OnnxSession>,
    private readonly ranker: OnnxSession,
    private readonly lossStep: AlignStep,
    private readonly batchSize: number,
  ) {}

  static async create(shapes: { a: HeadShape; b: HeadShape }, options: EvalOptions): Promise<Validator> {
    const session = { device: options.device ?? 'cpu', ...(options.intraOpThreads ? { intraOpThreads: options.intraOpThreads } : {}) };
    const [a, b, ranker, lossStep] = await Promise.all([
      OnnxSession.create(buildHeadGraph(shapes.a).serialize(), session),
      OnnxSession.create(buildHeadGraph(shapes.b).serialize(), session),
      OnnxSession.create(rankGraph().serialize(), session),
      AlignStep.create(shapes, { mode: 'loss', ...session }),
    ]);
    return new Validator({ a, b }, ranker, lossStep, options.batchSize);
  }

  async evaluate(params: AlignParams, data: PairBatcher): Promise<{ loss: number; recall: ValRecall }> {
    const [ya, yb] = [await this.embed(params, data, 'a'), await this.embed(params, data, 'b')];
    const dim = params.a.dim;
    const recall = { aToB: await this.recall(ya, yb, dim), bToA: await this.recall(yb, ya, dim) };
    return { loss: await this.loss(params, data), recall };
  }

  /** Mean InfoNCE over consecutive batches (a last batch of one pair has no negatives and is skipped). */
  async loss(params: AlignParams, data: PairBatcher): Promise<number> {
    let total = 0;
    let count = 0;
    for (let start = 0; start < data.size; start += this.batchSize) {
      const end = Math.min(data.size, start + this.batchSize);
      if (end - start < 2) continue;
      const indices = Int32Array.from({ length: end - start }, (_, i) => start + i);
      total += (await this.lossStep.loss(data.batch(indices), params)) * (end - start);
      count += end - start;
    }
    return count > 0 ? total / count : NaN;
  }

  /** Unit embeddings [N, dim] of one side of the split, row-major. */
  async embed(params: AlignParams, data: PairBatcher, side: Side): Promise<Float32Array> {
    const head = params[side];
    const out = new Float32Array(data.size * head.dim);
    const source = data.data[side];
    for (let start = 0; start < data.size; start += CHUNK) {
      const end = Math.min(data.size, start + CHUNK);
      const feeds: Record<string, TensorSpec> = { ...paramFeeds(head) };
      if (source.kind === 'dense') {
        feeds.features = { data: source.data.subarray(start * source.dim, end * source.dim), dims: [end - start, source.dim] };
      } else Object.assign(feeds, paddedBag(data.compiledBag as CompiledBag, start, end));
      const result = await this.heads[side].run(feeds, [HEAD_OUTPUT]);
      out.set(result[HEAD_OUTPUT].data, start * head.dim);
    }
    return out;
  }

  /** Recall@1/5/10 of queries against keys where query i's match is key i. */
  async recall(queries: Float32Array, keys: Float32Array, dim: number): Promise<RecallAtK> {
    const n = queries.length / dim;
    const hits = { r1: 0, r5: 0, r10: 0 };
    for (let start = 0; start < n; start += CHUNK) {
      const end = Math.min(n, start + CHUNK);
      const { rank } = await this.ranker.run({
        queries: { data: queries.subarray(start * dim, end * dim), dims: [end - start, dim] },
        keys: { data: keys, dims: [n, dim] },
        target: { data: BigInt64Array.from({ length: end - start }, (_, i) => BigInt(start + i)), dims: [end - start, 1] },
      });
      for (const r of rank.data) {
        if (r < 1) hits.r1++;
        if (r < 5) hits.r5++;
        if (r < 10) hits.r10++;
      }
    }
    return { r1: hits.r1 / n, r5: hits.r5 / n, r10: hits.r10 / n };
  }

  async close(): Promise<void> {
    await Promise.all([this.heads.a.close(), this.heads.b.close(), this.ranker.close(), this.lossStep.close()]);
  }
}

/**
 * rank[i] = #{ j : ⟨q_i, k_j⟩ > ⟨q_i, k_target(i)⟩ }: 0 when the match is retrieved first. The true
 * similarity is read from the same matrix (GatherElements), so rounding cannot rank an item below itself.
 */
export function rankGraph(): GraphBuilder {
  const g = new GraphBuilder('rosetta-align-rank', { opset: 18 });
  const q = g.input('queries', 'float32', ['Q', 'D']);
  const k = g.input('keys', 'float32', ['N', 'D']);
  const target = g.input('target', 'int64', ['Q', 1]);
  const sims = g.op('Gemm', [q, k], { transB: 1 });
  const own = g.op('GatherElements', [sims, target], { axis: 1 });
  const above = g.op('Cast', [g.op('Greater', [sims, own])], { to: 1 });
  g.output(g.op('ReduceSum', [above, axes(g, 1)], { keepdims: 0 }), 'float32', ['Q'], 'rank');
  return g;
}

/** A head's weights as feeds of the validation head graph (names from `buildHeadGraph`). */
export function paramFeeds(head: HeadParams): Record<string, TensorSpec> {
  if (head.kind === 'bag') return { E: { data: head.E, dims: [head.ids.length, head.dim] } };
  const feeds: Record<string, TensorSpec> = {
    mean: { data: head.mean, dims: [head.inDim] },
    W: { data: head.W, dims: [head.inDim, head.dim] },
    b: { data: head.b, dims: [head.dim] },
  };
  if (head.mlp) {
    feeds.W1 = { data: head.mlp.W1, dims: [head.dim, head.mlp.hidden] };
    feeds.b1 = { data: head.mlp.b1, dims: [head.mlp.hidden] };
    feeds.W2 = { data: head.mlp.W2, dims: [head.mlp.hidden, head.dim] };
  }
  return feeds;
}
