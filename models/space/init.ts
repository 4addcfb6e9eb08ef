/**
 * The Stage-2 starting point: the Stage-1 LinearSpace as heads (an exact copy of its maps), or
 * an earlier space's heads (warm start), and the text bag's bias row.
 */
import { Gemm, type LinearSpace } from '../align/index.ts';
import { RosettaError } from '../errors.ts';
import type { SparseRow } from '../types.ts';
import { bagHead, denseHead, INITIAL_LOG_SCALE, type AlignModel, type BagHeadParams, type HeadParams } from '../align/index.ts';
import { denseModalities } from './corpus.ts';

/**
 * A hashed id no featurizer produces (they stay below their id space, 2^18 for the built-in
 * one). Every caption carries it at weight 1, so its row of the bag is a learned bias: the
 * bag head has no bias of its own, and without one the CCA's text map (x - mean)·W could not
 * be copied exactly (the -mean·W offset would be lost).
 */
export const TEXT_BIAS_ID = 0xffffffff;

/** The caption row the text head sees: the featurizer's ids plus the bias id at weight 1. */
export function withBias(row: SparseRow): SparseRow {
  const n = row.ids.length;
  if (n > 0 && row.ids[n - 1] === TEXT_BIAS_ID) return row;
  const ids = new Uint32Array(n + 1);
  const weights = new Float32Array(n + 1);
  ids.set(row.ids);
  weights.set(row.weights);
  ids[n] = TEXT_BIAS_ID;
  weights[n] = 1;
  return { ids, weights };
}

/**
 * Heads that reproduce the LinearSpace exactly (up to float32 rounding): dense heads
 * (x - mean)·W with b = 0, and the text bag E = rows·W_text with the bias row -mean·W_text.
 * `hidden` adds a residual MLP whose output starts at zero.
 *
 * @example
 * const model = await modelFromLinearSpace(space, { hidden: 0 });
 * Object.keys(model.heads) // ['image', 'sketch', 'audio', 'text']
 */
export async function modelFromLinearSpace(space: LinearSpace, options: { hidden?: number; seed?: number } = {}): Promise<AlignModel> {
  const heads: Record<string, HeadParams> = {};
  const dim = space.dim;
  denseModalities.forEach((m, i) => {
    const map = space.maps[m];
    if (!map) return;
    heads[m] = denseHead({
      inDim: map.mean.length,
      dim,
      W: map.weight,
      mean: map.mean,
      ...(options.hidden ? { hidden: options.hidden, seed: (options.seed ?? 1) * 7 + i } : {}),
    });
  });
  const text = space.maps.text;
  if (!text) throw new RosettaError('INVALID_ARGUMENT', 'the linear space has no text map; the text head starts from it');
  const bag = space.textBag;
  const gemm = await Gemm.create();
  let E: Float32Array;
  try {
    E = await gemm.mul(bag.rows, bag.ids.length, bag.dim, text.weight, dim);
  } finally {
    await gemm.close();
  }
  const bias = new Float64Array(dim);
  for (let i = 0; i < bag.dim; i++) for (let j = 0; j < dim; j++) bias[j] -= text.mean[i] * text.weight[i * dim + j];
  const table = new Float32Array((bag.ids.length + 1) * dim);
  table.set(E);
  table.set(Float32Array.from(bias), bag.ids.length * dim);
  heads.text = bagHead([...bag.ids, TEXT_BIAS_ID], table, dim);
  return { heads, logScale: INITIAL_LOG_SCALE };
}

/**
 * A warm start: an earlier model's heads, with a zero row added to the text bag for every
 * caption id it has not seen (a zero row still gets gradients, so new words learn from the
 * first step). logScale restarts at its initial value, so the new data's first epochs are
 * not at the old run's sharpest temperature.
 *
 * @example extendTextBag(defaultModel, captionRows).heads.text.ids.length // old ids + new ones
 */
export function extendTextBag(model: AlignModel, captions: readonly SparseRow[]): AlignModel {
  const text = model.heads.text as BagHeadParams | undefined;
  if (!text || text.kind !== 'bag') throw new RosettaError('INVALID_ARGUMENT', 'the model has no text bag head to extend');
  const known = new Set(text.ids);
  const fresh = new Set<number>();
  for (const row of captions) for (const id of row.ids) if (!known.has(id)) fresh.add(id);
  const ids = [...text.ids, ...[...fresh].sort((a, b) => a - b)];
  const E = new Float32Array(ids.length * text.dim);
  E.set(text.E);
  const heads = { ...model.heads, text: bagHead(ids, E, text.dim) };
  return { heads, logScale: INITIAL_LOG_SCALE };
}

/**
 * Scales each head so its outputs before the L2 norm have mean length 1 on the training rows.
 * The heads' outputs are normalised, so this changes nothing they compute; it changes how far
 * one AdamW step moves them. CCA weights come out at the scale of whitened features (entries
 * in the tens for unit-length CNN rows), where lr = 1e-3 would barely move them in a short
 * run; at unit scale the same lr is a few per cent of a weight per step.
 *
 * @example unitScale(model, { image: imageRows }, captionRows) // same model object, rescaled
 */
export function unitScale(model: AlignModel, dense: Partial<Record<string, readonly Float32Array[]>>, captions: readonly SparseRow[]): AlignModel {
  const sample = <T>(rows: readonly T[]) => rows.filter((_, i) => i % Math.max(1, Math.floor(rows.length / 2000)) === 0);
  for (const [name, rows] of Object.entries(dense)) {
    const head = model.heads[name];
    if (!head || head.kind !== 'dense' || !rows || rows.length === 0) continue;
    const norms = sample(rows).map((x) => {
      const y = new Float64Array(head.dim);
      for (let i = 0; i < head.inDim; i++) {
        const v = x[i] - head.mean[i];
        if (v !== 0) for (let j = 0; j < head.dim; j++) y[j] += v * head.W[i * head.dim + j];
      }
      return Math.hypot(...y);
    });
    scaleBy(head.W, head.b, mean(norms));
  }
  const text = model.heads.text;
  if (text?.kind === 'bag' && captions.length > 0) {
    const rowOf = new Map<number, number>();
    text.ids.forEach((id, r) => rowOf.set(id, r));
    const norms = sample(captions).map((c) => {
      const row = withBias(c);
      const y = new Float64Array(text.dim);
      row.ids.forEach((id, k) => {
        const r = rowOf.get(id);
        if (r !== undefined) for (let j = 0; j < text.dim; j++) y[j] += row.weights[k] * text.E[r * text.dim + j];
      });
      return Math.hypot(...y);
    });
    scaleBy(text.E, undefined, mean(norms));
  }
  return model;
}

function scaleBy(a: Float32Array, b: Float32Array | undefined, norm: number): void {
  if (!(norm > 0) || !Number.isFinite(norm)) return;
  for (let i = 0; i < a.length; i++) a[i] /= norm;
  if (b) for (let i = 0; i < b.length; i++) b[i] /= norm;
}

function mean(values: number[]): number {
  return values.reduce((s, v) => s + v, 0) / Math.max(1, values.length);
}

