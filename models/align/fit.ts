/**
 * Stage 1 of the coordinated space: text bag, block CCA with text as the pivot, and a ridge
 * map for sketches paired with photos, assembled into one LinearSpace.
 */
import { RosettaError } from '../errors.ts';
import type { SparseRow } from '../types.ts';
import { blockCca, type CcaBlock, type CcaResult } from './cca.ts';
import { withGemm, type Gemm } from './gemm.ts';
import { mat, type Mat } from './linalg.ts';
import { foldOffset, ridgeMap } from './ridge.ts';
import { checkRows } from './rows.ts';
import { fitTextBag, type TextBagFit, type TextBagOptions } from './rsvd.ts';
import { LinearSpace, type DenseModality, type LinearMap } from './space.ts';

export interface ModalityPairs {
  features: readonly Float32Array[];
  /** caption[i] is the index in `captions` of the caption paired with features[i]. */
  caption: ArrayLike<number>;
}

export interface AlignmentCorpus {
  captions: readonly SparseRow[];
  /** Feature rows paired with captions, per modality; at least one modality. */
  pairs: Partial<Record<DenseModality, ModalityPairs>>;
  /** Sketches paired with photos, without captions (e.g. Sketchy). Needs image-caption pairs. */
  sketchImage?: { sketch: readonly Float32Array[]; image: readonly Float32Array[] };
}

export interface FitSpaceOptions {
  /** Dimension of the space. Default 256 (clamped as in `blockCca`, see the report). */
  dim?: number;
  text?: Omit<TextBagOptions, 'gemm'>;
  /** CCA regularisation of each modality block, relative to its mean eigenvalue. Default 1e-2. */
  regX?: number;
  /** CCA regularisation of the text side. Default 1e-2. */
  regY?: number;
  /** Relative weight of each modality's pairs in the CCA; default equal, whatever the counts. */
  weights?: Partial<Record<DenseModality, number>>;
  /**
   * Multiply output dim j by its canonical correlation. Default true: whitened CCA dims all have
   * unit variance, so without it the weakly aligned (mostly noise) dims count as much in a
   * cosine as the strongly aligned ones; scaling ranks them by how well the modalities agree.
   */
  scaleByCorrelation?: boolean;
  /** Ridge of the sketch -> image-coordinates map, relative. Default 1e-2. */
  ridgeReg?: number;
}

export interface FitReport {
  pairs: Partial<Record<DenseModality, number>>;
  sketchImagePairs: number;
  textBag: { dim: number; ids: number; clamped?: TextBagFit['clamped'] };
  /** Set when the requested dim was clamped to min(p, q, n - 1). */
  clamped?: CcaResult['clamped'];
  /** Where the sketch map came from: the CCA block, the ridge map, or their count-weighted mean. */
  sketchMap?: 'cca' | 'ridge' | 'cca+ridge';
  ms: { textBag: number; cca: number; ridge: number };
}

const order: readonly DenseModality[] = ['image', 'sketch', 'audio'];

/**
 * Fits the Stage-1 space.
 *
 * The sketch map, when sketches have both captions and photo pairs, is the mean of the CCA map
 * and the ridge map weighted by their pair counts: both map into the same coordinates, and a
 * count-weighted mean is the simplest combination that lets the larger source dominate.
 *
 * @example
 * const { space, report } = await fitLinearSpace({ captions, pairs: { image: { features, caption } } });
 * space.project('image', features[0]) // Float32Array(space.dim), unit length
 */
export async function fitLinearSpace(
  corpus: AlignmentCorpus,
  options: FitSpaceOptions = {},
): Promise<{ space: LinearSpace; report: FitReport }> {
  const present = order.filter((m) => corpus.pairs?.[m] !== undefined);
  if (present.length === 0) {
    throw new RosettaError('INVALID_ARGUMENT', 'corpus.pairs needs caption pairs for at least one of image, sketch, audio');
  }
  if (corpus.sketchImage && !corpus.pairs.image) {
    throw new RosettaError(
      'INVALID_ARGUMENT',
      'corpus.sketchImage needs corpus.pairs.image: sketches are mapped onto where their photos land',
    );
  }
  const captions = corpus.captions ?? [];
  for (const m of present) checkCaptionIndex(m, corpus.pairs[m]!, captions.length);

  return withGemm(undefined, async (gemm) => {
    let t = performance.now();
    const text = await fitTextBag(captions, { ...options.text, gemm });
    const msText = performance.now() - t;

    t = performance.now();
    const blocks: CcaBlock[] = present.map((m) => {
      const pairs = corpus.pairs[m]!;
      return {
        name: m,
        x: pairs.features,
        y: Array.from(pairs.caption, (c) => text.embedded[c]),
        weight: options.weights?.[m] ?? 1,
      };
    });
    const cca = await blockCca(blocks, { dim: options.dim, regX: options.regX, regY: options.regY, gemm });
    const msCca = performance.now() - t;

    const scale = options.scaleByCorrelation === false ? cca.correlations.map(() => 1) : cca.correlations;
    const maps: Partial<Record<DenseModality, { mean: Float64Array; weight: Mat }>> = {};
    cca.blocks.forEach((b, i) => (maps[present[i]] = { mean: b.mean, weight: scaleColumns(b.a, scale) }));

    t = performance.now();
    let sketchMap: FitReport['sketchMap'] = maps.sketch ? 'cca' : undefined;
    const si = corpus.sketchImage;
    if (si) {
      const ridged = await sketchRidge(si, maps.image!, options.ridgeReg, gemm);
      const nCca = corpus.pairs.sketch?.features.length ?? 0;
      maps.sketch = maps.sketch ? blend(maps.sketch, nCca, ridged, si.sketch.length) : ridged;
      sketchMap = nCca > 0 ? 'cca+ridge' : 'ridge';
    }
    const msRidge = performance.now() - t;

    const toMap = (m: { mean: Float64Array; weight: Mat } | undefined): LinearMap | undefined =>
      m && { mean: Float32Array.from(m.mean), weight: Float32Array.from(m.weight.data) };
    const space = new LinearSpace({
      dim: cca.dim,
      maps: {
        image: toMap(maps.image),
        sketch: toMap(maps.sketch),
        audio: toMap(maps.audio),
        text: toMap({ mean: cca.meanY, weight: scaleColumns(cca.b, scale) }),
      },
      textBag: text.bag,
      correlations: cca.correlations,
    });
    const report: FitReport = {
      pairs: Object.fromEntries(present.map((m) => [m, corpus.pairs[m]!.features.length])),
      sketchImagePairs: si?.sketch.length ?? 0,
      textBag: { dim: text.bag.dim, ids: text.bag.ids.length, ...(text.clamped ? { clamped: text.clamped } : {}) },
      ...(cca.clamped ? { clamped: cca.clamped } : {}),
      ...(sketchMap ? { sketchMap } : {}),
      ms: { textBag: Math.round(msText), cca: Math.round(msCca), ridge: Math.round(msRidge) },
    };
    return { space, report };
  });
}

function checkCaptionIndex(m: DenseModality, pairs: ModalityPairs, count: number): void {
  if (!pairs.features || !pairs.caption || pairs.features.length !== pairs.caption.length) {
    throw new RosettaError(
      'INVALID_ARGUMENT',
      `corpus.pairs.${m} needs as many caption indices as feature rows (${pairs.features?.length} vs ${pairs.caption?.length})`,
    );
  }
  for (let i = 0; i < pairs.caption.length; i++) {
    const c = pairs.caption[i];
    if (!Number.isInteger(c) || c < 0 || c >= count) {
      throw new RosettaError('INVALID_ARGUMENT', `corpus.pairs.${m}.caption[${i}] is ${c}, not a caption index in [0, ${count})`);
    }
  }
}

function scaleColumns(a: Mat, s: readonly number[]): Mat {
  const out = mat(a.rows, a.cols, Float64Array.from(a.data));
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) out.data[i * a.cols + j] *= s[j];
  return out;
}

/** Sketch -> the photo's (unnormalised) coordinates under the image map. */
async function sketchRidge(
  si: NonNullable<AlignmentCorpus['sketchImage']>,
  image: { mean: Float64Array; weight: Mat },
  reg: number | undefined,
  gemm: Gemm,
): Promise<{ mean: Float64Array; weight: Mat }> {
  if (si.sketch.length !== si.image.length) {
    throw new RosettaError(
      'INVALID_ARGUMENT',
      `corpus.sketchImage has ${si.sketch.length} sketches but ${si.image.length} images`,
    );
  }
  const p = checkRows(si.image, 'corpus.sketchImage.image', image.mean.length, 2);
  const k = image.weight.cols;
  const centred = new Float32Array(si.image.length * p);
  si.image.forEach((row, r) => {
    for (let j = 0; j < p; j++) centred[r * p + j] = row[j] - image.mean[j];
  });
  const coords = await gemm.mul(centred, si.image.length, p, Float32Array.from(image.weight.data), k);
  const targets = si.image.map((_, r) => coords.subarray(r * k, (r + 1) * k));
  return ridgeMap(si.sketch, targets, { reg, gemm });
}

/** Count-weighted mean of two affine maps (x - m1)W1 and (x - m2)W2, as one (x - m)W. */
function blend(
  a: { mean: Float64Array; weight: Mat },
  na: number,
  b: { mean: Float64Array; weight: Mat },
  nb: number,
): { mean: Float64Array; weight: Mat } {
  if (a.mean.length !== b.mean.length) {
    throw new RosettaError(
      'INVALID_ARGUMENT',
      `sketch features paired with captions have ${a.mean.length} dims but those paired with photos ${b.mean.length}`,
    );
  }
  const wa = na / (na + nb);
  const wb = nb / (na + nb);
  const weight = mat(a.weight.rows, a.weight.cols);
  for (let i = 0; i < weight.data.length; i++) weight.data[i] = wa * a.weight.data[i] + wb * b.weight.data[i];
  // Offset of the blend at x = 0 is -(wa·m1·W1 + wb·m2·W2); fold it into a single mean.
  const k = weight.cols;
  const offset = new Float64Array(k);
  for (let i = 0; i < a.mean.length; i++) {
    for (let j = 0; j < k; j++) {
      offset[j] += wa * a.mean[i] * a.weight.data[i * k + j] + wb * b.mean[i] * b.weight.data[i * k + j];
    }
  }
  // m·W = offset  <=>  (0 - m)·W = -offset: fold with base 0.
  const zero = new Float64Array(a.mean.length);
  const neg = offset.map((v) => -v);
  return { mean: foldOffset(weight, zero, neg), weight };
}
