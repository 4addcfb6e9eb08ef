// The heads' forward pass as ONNX subgraphs. One builder serves three graphs: the training step
// (which adds the backward on top), the trainer's validation forward (parameters fed as inputs),
// and the exported per-head files (parameters baked in), so inference runs exactly the code that
// was trained.
import { GraphBuilder } from '../onnxgraph/index.ts';
import type { SparseRow } from '../types.ts';
import type { TensorSpec } from '../runtime/index.ts';
import { axes, l2normalize } from './graph-math.ts';
import { checkHead, type HeadParams, type HeadShape } from './head-params.ts';
import { compileBag, paddedBag } from './pair-batches.ts';

/** Graph value names of a dense head's parameters. */
export interface DenseParamNames {
  mean: string;
  W: string;
  b: string;
  mlp?: { W1: string; b1: string; W2: string };
}

/** Intermediate values of a dense head's forward, kept for the backward. */
export interface DenseForward {
  xc: string;
  y0: string;
  mlp?: { h: string; r: string };
  /** Pre-normalisation output, y its L2-normalised form, n the row norms [N, 1]. */
  u: string;
  y: string;
  n: string;
}

/** y = normalize((x - mean)·W + b [+ relu(·W1 + b1)·W2]). */
export function denseForward(g: GraphBuilder, x: string, p: DenseParamNames): DenseForward {
  const xc = g.op('Sub', [x, p.mean]);
  const y0 = g.op('Gemm', [xc, p.W, p.b]);
  let u = y0;
  let mlp: DenseForward['mlp'];
  if (p.mlp) {
    const h = g.op('Gemm', [y0, p.mlp.W1, p.mlp.b1]);
    const r = g.op('Relu', [h]);
    u = g.op('Add', [y0, g.op('MatMul', [r, p.mlp.W2])]);
    mlp = { h, r };
  }
  const { y, n } = l2normalize(g, u);
  return { xc, y0, ...(mlp ? { mlp } : {}), u, y, n };
}

/**
 * The embedding bag for training: T = S · E_u, with S the batch's dense [B, U] weight matrix over
 * its U unique rows and E_u those rows (gathered by the caller).
 */
export function bagForwardDense(g: GraphBuilder, S: string, Eu: string): { u: string; y: string; n: string } {
  const u = g.op('MatMul', [S, Eu]);
  return { u, ...l2normalize(g, u) };
}

/**
 * The embedding bag for inference: rows [N, K] (int64, padded with row 0 at weight 0) and weights
 * [N, K] -> Σ_k weights·E[rows] -> normalised. Gather keeps the exported file free of a dense
 * [N, vocabulary] input.
 */
export function bagForwardGather(g: GraphBuilder, E: string, rows: string, weights: string, dim: number): string {
  const gathered = g.op('Gather', [E, rows]); // [N, K, d]
  const w = g.op('Unsqueeze', [weights, axes(g, 1)]); // [N, 1, K]
  const summed = g.op('Reshape', [g.op('MatMul', [w, gathered]), g.int64s('embed_shape', [-1, dim])]);
  return l2normalize(g, summed).y;
}

/** Input names of a standalone head graph. */
export const HEAD_INPUTS = { dense: ['features'], bag: ['rows', 'weights'] } as const;
export const HEAD_OUTPUT = 'embedding';

/**
 * A standalone head graph `features -> embedding` (dense) or `rows, weights -> embedding` (bag).
 * With `params`, the weights are baked in (the exported file); with a shape alone they are graph
 * inputs named `mean`, `W`, `b`, `W1`, `b1`, `W2` or `E` (the trainer's validation forward).
 *
 * @example
 * const bytes = buildHeadGraph(trainedImageHead).serialize(); // [N, 1280] -> [N, 256], unit rows
 */
export function buildHeadGraph(source: HeadParams | HeadShape, metadata: Record<string, string> = {}): GraphBuilder {
  const baked = 'W' in source || 'E' in source;
  if (baked) checkHead(source as HeadParams, 'head');
  const g = new GraphBuilder(`rosetta-align-${source.kind}-head`, {
    opset: 18,
    metadata: { 'rosetta.head': source.kind, 'rosetta.dim': String(source.dim), ...metadata },
  });
  const param = (name: string, data: Float32Array | undefined, dims: (number | string)[]): string =>
    baked ? g.initializer(name, data as Float32Array, dims as number[]) : g.input(name, 'float32', dims);
  if (source.kind === 'bag') {
    const head = baked ? (source as HeadParams & { kind: 'bag' }) : undefined;
    const rows = g.input('rows', 'int64', ['N', 'K']);
    const weights = g.input('weights', 'float32', ['N', 'K']);
    const E = param('E', head?.E, [head ? head.ids.length : 'V', source.dim]);
    g.output(bagForwardGather(g, E, rows, weights, source.dim), 'float32', ['N', source.dim], HEAD_OUTPUT);
    return g;
  }
  const head = baked ? (source as HeadParams & { kind: 'dense' }) : undefined;
  const shape = source as HeadShape & { kind: 'dense' };
  const hidden = head ? head.mlp?.hidden : shape.hidden;
  const x = g.input('features', 'float32', ['N', source.inDim]);
  const names: DenseParamNames = {
    mean: param('mean', head?.mean, [source.inDim]),
    W: param('W', head?.W, [source.inDim, source.dim]),
    b: param('b', head?.b, [source.dim]),
  };
  if (hidden) {
    names.mlp = {
      W1: param('W1', head?.mlp?.W1, [source.dim, hidden]),
      b1: param('b1', head?.mlp?.b1, [hidden]),
      W2: param('W2', head?.mlp?.W2, [hidden, source.dim]),
    };
  }
  g.output(denseForward(g, x, names).y, 'float32', ['N', source.dim], HEAD_OUTPUT);
  return g;
}

/**
 * The ONNX file of one trained head; inference needs only this (plus, for text, `head.ids` to map
 * hashed ids to rows — see `bagFeeds`).
 *
 * @example
 * await writeFile('image-head.onnx', exportHead(params.a)); // features [N,1280] -> embedding [N,256]
 */
export function exportHead(head: HeadParams, metadata: Record<string, string> = {}): Uint8Array {
  const extra: Record<string, string> = head.kind === 'dense' ? { 'rosetta.inDim': String(head.inDim) } : { 'rosetta.rows': String(head.ids.length) };
  return buildHeadGraph(head, { ...extra, ...metadata }).serialize();
}

/**
 * Feeds for a bag head: each caption's known ids as rows of E, padded to the longest caption with
 * row 0 at weight 0. Unknown ids are dropped (they have no row); a caption with none embeds to zero.
 *
 * @example
 * bagFeeds([{ ids: Uint32Array.of(7, 99), weights: Float32Array.of(0.5, 1) }], new Map([[7, 3]]))
 * // { rows: { data: [3n], dims: [1, 1] }, weights: { data: [0.5], dims: [1, 1] } }
 */
export function bagFeeds(captions: readonly SparseRow[], rowOf: ReadonlyMap<number, number>): { rows: TensorSpec; weights: TensorSpec } {
  return paddedBag(compileBag(captions, rowOf, rowOf.size));
}
