/**
 * Stage 2 in Stage 1's coordinates. A dense head y = (x - mean)·W + b that Stage 2 trains is
 * trained as y = z·V + b on z = (x - mean)·W₀, its starting map's output, with V starting at
 * the identity; afterwards W = W₀·V folds it back into one head of the usual shape.
 *
 * AdamW steps every weight by about lr, coordinate by coordinate, so in the encoders' raw
 * coordinates one lr means very different things per head: the CCA map whitens its inputs
 * (large weights on low-variance directions, small on high-variance ones) and equal steps
 * swamp the small ones, and the audio descriptor's centred rows are ~150x longer than the
 * CNN's, so the same lr moved the audio head's output ~20x further than the image head's. In
 * the canonical coordinates every head's inputs are decorrelated and of one scale, and V has
 * one scale for every head. Measured on the demo with all heads trained: emergent audio->image
 * R@10 stayed at the CCA's 0.56 for four epochs (then drifted to 0.36), where training in raw
 * coordinates (recipe v1) ended at 0.04.
 */
import { denseHead, type AlignModel, type DenseHeadParams, type Gemm } from '../align/index.ts';
import { RosettaError } from '../errors.ts';
import type { CaptionedRows, DenseModality, PairCorpus } from './corpus.ts';

/** A dense head's starting map: what z is computed with, and what V is folded into. */
export interface CanonicalBasis {
  inDim: number;
  mean: Float32Array;
  W: Float32Array;
}

/**
 * The model with each dense head that `trains` names in its canonical form (inDim = dim,
 * mean 0, W = I, the same b and MLP), and the bases that map raw rows into it. Other heads
 * are kept as they are (and take raw rows).
 *
 * @example const { model, bases } = toCanonical(initial, (m) => m === 'audio'); model.heads.audio.inDim // 256
 */
export function toCanonical(model: AlignModel, trains: (head: string) => boolean): { model: AlignModel; bases: Record<string, CanonicalBasis> } {
  const heads = { ...model.heads };
  const bases: Record<string, CanonicalBasis> = {};
  for (const [name, head] of Object.entries(model.heads)) {
    if (head.kind !== 'dense' || !trains(name)) continue;
    const { dim } = head;
    const eye = new Float32Array(dim * dim);
    for (let i = 0; i < dim; i++) eye[i * dim + i] = 1;
    heads[name] = { ...denseHead({ inDim: dim, dim, W: eye, b: head.b }), ...(head.mlp ? { mlp: head.mlp } : {}) };
    bases[name] = { inDim: head.inDim, mean: head.mean, W: head.W };
  }
  return { model: { heads, logScale: model.logScale }, bases };
}

/** Raw rows of one head in its canonical coordinates, (x - mean)·W₀. */
export async function canonicalRows(basis: CanonicalBasis, rows: readonly Float32Array[], gemm: Gemm): Promise<Float32Array[]> {
  if (rows.length === 0) return [];
  const { inDim, mean, W } = basis;
  const dim = W.length / inDim;
  const centred = new Float32Array(rows.length * inDim);
  rows.forEach((x, r) => {
    if (x.length !== inDim) throw new RosettaError('DIMENSION_MISMATCH', `a row has ${x.length} features but the head takes ${inDim}`);
    for (let i = 0; i < inDim; i++) centred[r * inDim + i] = x[i] - mean[i];
  });
  const z = await gemm.mul(centred, rows.length, inDim, W, dim);
  return rows.map((_, r) => z.slice(r * dim, (r + 1) * dim));
}

/** The corpus with the rows of every head in `bases` in canonical coordinates (the rest as is). */
export async function canonicalCorpus(c: PairCorpus, bases: Record<string, CanonicalBasis>, gemm: Gemm): Promise<PairCorpus> {
  const map = async (m: DenseModality, rows: Float32Array[]) => (bases[m] ? canonicalRows(bases[m], rows, gemm) : rows);
  const captioned: PairCorpus['captioned'] = {};
  for (const [m, rows] of Object.entries(c.captioned) as [DenseModality, CaptionedRows][]) captioned[m] = { ...rows, features: await map(m, rows.features) };
  const si = c.sketchImage;
  if (!si) return { ...c, captioned };
  const sketchImage = { ...si, sketch: await map('sketch', si.sketch), image: await map('image', si.image) };
  if (si.variants) {
    const flat = await map('sketch', si.variants.flat());
    let at = 0;
    sketchImage.variants = si.variants.map((rows) => flat.slice(at, (at += rows.length)));
  }
  return { ...c, captioned, sketchImage };
}

/** Trained canonical heads folded back onto their bases: W = W₀·V; mean, b and MLP as they are. */
export async function fromCanonical(model: AlignModel, bases: Record<string, CanonicalBasis>, gemm: Gemm): Promise<AlignModel> {
  const heads = { ...model.heads };
  for (const [name, basis] of Object.entries(bases)) {
    const head = model.heads[name] as DenseHeadParams;
    const W = await gemm.mul(basis.W, basis.inDim, head.dim, head.W, head.dim);
    heads[name] = { ...head, inDim: basis.inDim, mean: basis.mean, W };
  }
  return { heads, logScale: model.logScale };
}

/** The model without its heads' residual MLPs (the same function while their W2 is zero). */
export function withoutMlps(model: AlignModel): AlignModel {
  const heads = { ...model.heads };
  for (const [name, head] of Object.entries(heads)) if (head.kind === 'dense' && head.mlp) heads[name] = { ...head, mlp: undefined } as DenseHeadParams;
  return { heads, logScale: model.logScale };
}
