/**
 * Trains a space from a corpus: validation split, Stage 1 (CCA), Stage 2 (contrastive,
 * early-stopped) from the CCA or from an earlier space, and the validation report.
 *
 * Stage 2 tunes the text pivot against locked image and audio heads by default, and the sketch
 * head too when the corpus has drawn variants of its sketches.
 * Training the image and audio heads too (recipe v1) bought little for the tasks they serve and
 * lost what only Stage 1 gives: emergent audio->image retrieval, which composes the audio and
 * image heads and is never trained. On the demo data it fell from R@10 0.56 (CCA) to 0.04. The
 * audio head (149 pairs; z-scored descriptors whose centred rows are 150x longer than the CNN's,
 * so one AdamW lr moved its output 20x further than the image head's) was rebuilt within a few
 * steps, and InfoNCE over templated captions (11 sound categories, ~12 same-category negatives
 * in a batch) pulled it towards the within-category descriptor words images never share. Even a
 * slow audio head (1/10 of that step) dropped it to 0.16 in one epoch, and a moving image head
 * reorders the few relevant images among the 1,001. With those heads locked, emergent retrieval
 * is Stage 1's exactly and every text task still gains (models/README.md).
 *
 * The sketch head (recipe v3): Stage 1 already fits the sketch-photo training pairs (sketch
 * InfoNCE 0.05 at T 0.07), so training it on them again only overfit (dev sketch->image R@10
 * 0.776 -> 0.756). Trained on drawn variants of each training sketch beside the drawing itself
 * (models/sketch/variants.ts), it generalises instead: R@10 +0.020 to +0.045 and MRR +0.02 to
 * +0.09 over the CCA across variant counts, draws and seeds (models/README.md). The same
 * variants given to Stage 1 as well leave the CCA where it was (0.766), so the gain is the
 * contrastive stage's. Validation and Stage 1 see the drawings as they are.
 *
 * The audio head (recipe v4, `audioImagePivot`): trained on its captions alone it still drifts
 * from the images (dev audio->image R@10 -0.014 on the demo's object sounds). Trained also on
 * audio-image pairs found through the captions (pivot-pairs.ts), against a locked image head, it
 * moves towards where Stage 1 put the images of each sound's category: validation emergent R@10
 * +0.09 to +0.14 and dev MRR +0.02 to +0.06 over three seeds, dev R@10 -0.006 to +0.013.
 */
import { Gemm, fitLinearSpace, type AlignmentCorpus, type FitSpaceOptions, type LinearSpace } from '../align/index.ts';
import { RosettaError } from '../errors.ts';
import type { Device } from '../runtime/index.ts';
import { trainAlignment, type AlignModel, type EpochRecord, type PairData, type PairSet, type StepProgress, type TrainResult } from '../align/index.ts';
import { canonicalCorpus, fromCanonical, toCanonical, withoutMlps } from './canonical.ts';
import { denseModalities, pairCounts, pairSetNames, type DenseModality, type PairCorpus, type PairSetName } from './corpus.ts';
import { probeDevice } from './device.ts';
import type { SpaceDraft } from './directory.ts';
import { evaluateEmergent, evaluateSpace, linearEmbedder, modelEmbedder, type Embedder } from './evaluate.ts';
import { defaultSplit, splitCorpus } from './groups.ts';
import { extendTextBag, modelFromLinearSpace, unitScale, withBias } from './init.ts';
import { pivotAudioImagePairs } from './pivot-pairs.ts';

/** The Stage-2 pair set of audio-image pairs found through the captions (`audioImagePivot`). */
export const PIVOT_SET = 'audio-image';

export interface TrainSpaceOptions {
  /** Dimension of the space. Default 256 (Stage 1 may clamp it to what the data supports). */
  dim?: number;
  /** Stage-2 epochs at most. Default 20. */
  epochs?: number;
  /** Pairs per step. Default: see `defaultBatchSize` (256 for large sets, down to 32). */
  batchSize?: number;
  /** AdamW learning rate. Default 1e-3. */
  lr?: number;
  weightDecay?: number;
  /** Seeds the split, the text bag, MLP init and batch order. Default 1. */
  seed?: number;
  /** Epochs without a better validation Recall@10 before stopping. Default 5. */
  patience?: number;
  /** Residual MLP width on the dense heads; 0 (default) keeps them linear. */
  hidden?: number;
  /** What early stopping watches: mean validation Recall@10 (default) or validation loss. */
  monitor?: 'recall' | 'loss';
  /**
   * Heads Stage 2 keeps fixed. Default: image and audio, and sketch too unless the corpus has
   * drawn variants of its sketches (SketchImageRows.variants); none when `hidden` > 0 (the MLPs
   * are then what trains). `[]` trains all.
   */
  freeze?: ('image' | 'sketch' | 'audio' | 'text')[];
  /**
   * Stage 2 also trains on audio-image pairs found through the captions (pivot-pairs.ts): each
   * sound with the mean of the images whose captions share a category word with its own. Meant
   * for captions that end in a tag list, as the demo's do; off by default.
   */
  audioImagePivot?: boolean;
  /** Stage 2's starting softmax temperature (it is learned from there). Default 0.2. */
  temperature?: number;
  /** Where Stage 2 runs. Default 'cpu'; an unavailable explicit device is DEVICE_UNAVAILABLE. */
  device?: Device;
  intraOpThreads?: number;
  /** Stage-1 regularisation (see FitSpaceOptions); defaults in `trainDefaults.cca`. */
  cca?: Pick<FitSpaceOptions, 'regX' | 'regY' | 'ridgeReg' | 'scaleByCorrelation'>;
  /** Held-out share and minimum per pair set. Default 0.1 and 32. */
  split?: { fraction?: number; minCount?: number };
  /** Start Stage 2 from these heads (an earlier space) instead of this data's CCA. */
  init?: { model: AlignModel; name: string };
  /** Names the data in the manifest, e.g. 'manifest:pairs.jsonl'. */
  source: string;
  /** Carried into the manifest. */
  encodeReport?: { skipped: number; droppedPairs: number; ms: number };
  onProgress?: (event: TrainEvent) => void;
}

export type TrainEvent =
  | { stage: 'split'; train: Record<PairSetName, number>; val: Record<PairSetName, number> }
  | { stage: 'stage1'; ms: number; dim: number }
  | { stage: 'init'; from: string; reason?: string }
  | { stage: 'step'; progress: StepProgress }
  | { stage: 'epoch'; epochs: number; record: EpochRecord }
  | { stage: 'evaluate'; ms: number };

export const trainDefaults = {
  dim: 256,
  epochs: 20,
  lr: 1e-3,
  weightDecay: 0.01,
  seed: 1,
  patience: 5,
  hidden: 0,
  /**
   * Not CLIP's 0.07: the demo's captions are templated (a sound category's clips differ by a
   * few descriptor words), so a batch holds many near-duplicate negatives, and a sharper softmax
   * trades category-level neighbours for within-category detail. Measured with the dense heads
   * locked, best epoch: 0.2 gave R@10 text->image 0.78, image->text 0.84, text->audio 0.84;
   * 0.07 gave 0.75, 0.80, 0.80 (CCA: 0.74, 0.79, 0.84).
   */
  temperature: 0.2,
  /**
   * Stage 1 is regularised far more than fitLinearSpace's default (1e-2): on the demo data
   * (1,200 images, 384-d CNN rows) the weakly regularised CCA fits its training pairs almost
   * perfectly (train InfoNCE 0.3 vs validation 3.0), generalises worse (sketch->image R@10
   * 0.70 vs 0.97 at 1), and leaves Stage 2 nothing to learn from. Measured: regX = regY in
   * {0.01, 0.1, 1, 3}; 1 was best or tied for CCA and for CCA + contrastive.
   */
  cca: { regX: 1, regY: 1 } as Pick<FitSpaceOptions, 'regX' | 'regY' | 'ridgeReg' | 'scaleByCorrelation'>,
} as const;

/**
 * @example
 * const { model, draft } = await trainSpace(corpus, { source: 'manifest:pairs.jsonl', seed: 1 });
 * draft.recall['text→image'].systems // { unaligned: { r10: 0.04 }, cca: { r10: 0.41 }, contrastive: { r10: 0.55 } }
 */
export async function trainSpace(corpus: PairCorpus, options: TrainSpaceOptions): Promise<{ model: AlignModel; draft: SpaceDraft; stage1: LinearSpace }> {
  const o = { ...trainDefaults, ...definedOnly(options) };
  // exp(s) is capped at 100 (MAX_LOG_SCALE), so a temperature under 0.01 could not even start.
  if (!(o.temperature >= 0.01) || !Number.isFinite(o.temperature)) throw new RosettaError('INVALID_ARGUMENT', `temperature must be a finite number >= 0.01; got ${o.temperature}`);
  const started = performance.now();
  const emit = options.onProgress ?? (() => {});
  const device = await probeDevice(options.device ?? 'cpu');
  const valFraction = options.split?.fraction ?? defaultSplit.fraction;
  const valMin = options.split?.minCount ?? defaultSplit.minCount;
  const { train, val } = splitCorpus(corpus, { fraction: valFraction, minCount: valMin, seed: o.seed });
  emit({ stage: 'split', train: pairCounts(train), val: pairCounts(val) });

  let t = performance.now();
  const cca = { ...trainDefaults.cca, ...options.cca };
  const { space, report } = await fitLinearSpace(alignmentCorpus(train), { ...cca, dim: o.dim, text: { seed: o.seed } });
  const stage1Ms = performance.now() - t;
  emit({ stage: 'stage1', ms: Math.round(stage1Ms), dim: space.dim });

  let initial: AlignModel;
  let init = 'cca';
  const refusal = options.init ? warmStartRefusal(options.init.model, corpus) : undefined;
  if (options.init && refusal === undefined) {
    initial = extendTextBag(options.init.model, train.captions.map((c) => c.row));
    init = `warm:${options.init.name}`;
  } else {
    initial = await modelFromLinearSpace(space, { hidden: o.hidden, seed: o.seed });
    unitScale(initial, denseRows(train), train.captions.map((c) => c.row));
  }
  initial.logScale = Math.log(1 / o.temperature);
  emit({ stage: 'init', from: init, ...(refusal ? { reason: refusal } : {}) });
  const dim = (initial.heads.text as { dim: number }).dim;
  // The Stage-1 heads as they are written beside the final ones (MLPs, which start at zero, left out).
  const stage1Heads = init === 'cca' ? withoutMlps(initial) : await modelFromLinearSpace(space);

  const hidden = init === 'cca' ? o.hidden : hiddenOf(initial);
  const variantRows = train.sketchImage?.variants?.reduce((n, rows) => n + rows.length, 0) ?? 0;
  const frozen = options.freeze ?? (hidden > 0 ? [] : variantRows > 0 ? ['image', 'audio'] : [...denseModalities]);
  const { model: start, bases } = toCanonical(initial, (name) => !frozen.includes(name as DenseModality));
  const gemm = await Gemm.create();
  let result: TrainResult;
  let batchSize: number;
  let stage2Ms: number;
  let pivotCounts: { train: number; val: number } | undefined;
  try {
    const canonical = async (c: PairCorpus) => canonicalCorpus(c, bases, gemm);
    const sets = pairSets(await canonical(train), await canonical(val), start, options.audioImagePivot ?? false).filter((s) => !(frozen.includes(s.a as DenseModality) && frozen.includes(s.b as DenseModality)));
    if (sets.length === 0) throw new RosettaError('INVALID_ARGUMENT', 'no pair set has at least 2 training and 2 validation pairs and a head to train; add more pairs');
    batchSize = options.batchSize ?? defaultBatchSize(Math.max(...sets.map((s) => s.train.a.count)));
    const pivot = sets.find((s) => s.name === PIVOT_SET);
    if (pivot) pivotCounts = { train: pivot.train.a.count, val: pivot.val.a.count };
    t = performance.now();
    const trained = await trainAlignment(start, sets, {
      epochs: o.epochs,
      batchSize,
      seed: o.seed,
      patience: o.patience,
      monitor: options.monitor ?? 'recall',
      device,
      ...(frozen.length ? { frozen: frozen.filter((m) => start.heads[m]) } : {}),
      lr: o.lr,
      weightDecay: o.weightDecay,
      ...(options.intraOpThreads ? { intraOpThreads: options.intraOpThreads } : {}),
      onStep: (progress) => emit({ stage: 'step', progress }),
      onEpoch: (record) => emit({ stage: 'epoch', epochs: o.epochs, record }),
    });
    result = { ...trained, model: await fromCanonical(trained.model, bases, gemm) };
    stage2Ms = performance.now() - t;
  } finally {
    await gemm.close();
  }

  t = performance.now();
  const systems: Record<string, Embedder> = { cca: linearEmbedder(space) };
  if (init !== 'cca') systems.start = modelEmbedder(initial);
  systems.contrastive = modelEmbedder(result.model);
  const evalOptions = { dim, seed: o.seed };
  const recall = evaluateSpace(val, systems, evalOptions);
  const emergent = evaluateEmergent(corpus, val, systems, evalOptions);
  const evalMs = performance.now() - t;
  emit({ stage: 'evaluate', ms: Math.round(evalMs) });

  const trainCounts = pairCounts(train);
  const valCounts = pairCounts(val);
  const draft: SpaceDraft = {
    default: false,
    dim,
    logScale: result.model.logScale,
    encoders: corpus.encoders,
    data: {
      source: options.source,
      pairs: Object.fromEntries(pairSetNames.filter((s) => trainCounts[s] + valCounts[s] > 0).map((s) => [s, { train: trainCounts[s], val: valCounts[s] }])),
      captions: corpus.captions.length,
      skipped: options.encodeReport?.skipped ?? 0,
      droppedPairs: options.encodeReport?.droppedPairs ?? 0,
      ...(variantRows > 0 ? { sketchVariants: variantRows } : {}),
      ...(pivotCounts ? { audioImagePivot: pivotCounts } : {}),
    },
    hyper: {
      dim: o.dim,
      epochs: o.epochs,
      batchSize,
      lr: o.lr,
      weightDecay: o.weightDecay,
      seed: o.seed,
      patience: o.patience,
      hidden,
      temperature: o.temperature,
      frozen: [...frozen],
      regX: cca.regX ?? 1e-2,
      regY: cca.regY ?? 1e-2,
      valFraction,
      valMin,
      init,
    },
    recall,
    ...(emergent ? { emergent } : {}),
    training: {
      bestEpoch: result.bestEpoch,
      stoppedEarly: result.stoppedEarly,
      history: result.history.map((h) => ({
        epoch: h.epoch,
        trainLoss: h.trainLoss,
        valLoss: h.valLoss,
        valR10: Object.fromEntries(Object.entries(h.valRecall).map(([set, r]) => [set, (r.aToB.r10 + r.bToA.r10) / 2])),
        seconds: h.seconds,
      })),
      stage1: { dim: space.dim, textBagDim: report.textBag.dim, textIds: report.textBag.ids, clamped: report.clamped !== undefined, ...(report.sketchMap ? { sketchMap: report.sketchMap } : {}) },
    },
    timings: {
      ...(options.encodeReport ? { encodeMs: options.encodeReport.ms } : {}),
      stage1Ms: Math.round(stage1Ms),
      stage2Ms: Math.round(stage2Ms),
      evalMs: Math.round(evalMs),
      trainMs: Math.round(performance.now() - started),
    },
    device: result.device,
    stages: { cca: stage1Heads },
  };
  return { model: result.model, draft, stage1: space };
}

/**
 * 256 pairs per step for large sets; smaller sets get smaller batches so an epoch still has
 * about six steps (a few hundred pairs in batches of 256 is one step an epoch, and early
 * stopping then gives up before the heads have moved). Measured on a 1,200-image demo subset:
 * 128 gave validation text->image R@10 0.79 where 256 gave 0.75.
 *
 * @example defaultBatchSize(901) // 128
 */
export function defaultBatchSize(largestSet: number): number {
  return Math.min(256, Math.max(32, 2 ** Math.floor(Math.log2(Math.max(1, largestSet / 6)))));
}

/** The Stage-2 pair sets the split supports: at least 2 pairs on each side of it. */
function pairSets(train: PairCorpus, val: PairCorpus, model: AlignModel, audioImagePivot: boolean): PairSet[] {
  const out: PairSet[] = [];
  for (const m of denseModalities) {
    const tr = train.captioned[m];
    const va = val.captioned[m];
    if (!tr || !va || tr.features.length < 2 || va.features.length < 2 || !model.heads[m]) continue;
    const data = (rows: NonNullable<typeof tr>, corpus: PairCorpus): PairData => ({
      a: dense(rows.features),
      b: { kind: 'sparse', rows: rows.caption.map((c) => withBias(corpus.captions[c].row)) },
    });
    out.push({ name: `${m}-text`, a: m, b: 'text', train: data(tr, train), val: data(va, val) });
  }
  if (audioImagePivot && model.heads.audio && model.heads.image) {
    // Validation sounds take their targets from both sides: the validation images alone hold
    // too few of each category to stop on.
    const [tr, va] = [pivotAudioImagePairs(train, [train]), pivotAudioImagePairs(val, [train, val])];
    if (tr.audio.length >= 2 && va.audio.length >= 2) {
      out.push({ name: PIVOT_SET, a: 'audio', b: 'image', train: { a: dense(tr.audio), b: dense(tr.image) }, val: { a: dense(va.audio), b: dense(va.image) } });
    }
  }
  const [tr, va] = [train.sketchImage, val.sketchImage];
  if (tr && va && tr.sketch.length >= 2 && va.sketch.length >= 2 && model.heads.sketch && model.heads.image) {
    // Each drawn variant pairs with its drawing's image; validation keeps the drawings as they are.
    const variants = tr.variants ?? [];
    const sketch = [...tr.sketch, ...variants.flat()];
    const image = [...tr.image, ...variants.flatMap((rows, i) => rows.map(() => tr.image[i]))];
    out.push({ name: 'sketch-image', a: 'sketch', b: 'image', train: { a: dense(sketch), b: dense(image) }, val: { a: dense(va.sketch), b: dense(va.image) } });
  }
  return out;
}

function dense(rows: readonly Float32Array[]): PairData['a'] {
  const dim = rows[0].length;
  const data = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => data.set(r, i * dim));
  return { kind: 'dense', count: rows.length, dim, data };
}

/** Every training row each dense head sees (images also from sketch-image pairs). */
function denseRows(c: PairCorpus): Record<DenseModality, Float32Array[]> {
  const si = c.sketchImage;
  return {
    image: [...(c.captioned.image?.features ?? []), ...(si?.image ?? [])],
    sketch: [...(c.captioned.sketch?.features ?? []), ...(si?.sketch ?? [])],
    audio: [...(c.captioned.audio?.features ?? [])],
  };
}

/** The corpus in fitLinearSpace's shape. */
function alignmentCorpus(c: PairCorpus): AlignmentCorpus {
  const pairs: AlignmentCorpus['pairs'] = {};
  for (const m of denseModalities) {
    const rows = c.captioned[m];
    if (rows && rows.features.length > 0) pairs[m] = { features: rows.features, caption: rows.caption };
  }
  return {
    captions: c.captions.map((x) => x.row),
    pairs,
    ...(c.sketchImage && c.sketchImage.sketch.length > 0 ? { sketchImage: { sketch: c.sketchImage.sketch, image: c.sketchImage.image } } : {}),
  };
}

/**
 * Why an earlier model cannot start this training, or undefined when it can: every modality
 * of the corpus needs a head of the same input width (encoder identities are compared by the
 * caller, which knows the earlier space's manifest).
 */
export function warmStartRefusal(model: AlignModel, corpus: PairCorpus): string | undefined {
  for (const m of denseModalities) {
    const enc = corpus.encoders[m];
    const used = corpus.captioned[m] !== undefined || ((m === 'sketch' || m === 'image') && corpus.sketchImage !== undefined);
    if (!enc || !used) continue;
    const head = model.heads[m];
    if (!head || head.kind !== 'dense') return `the starting space has no ${m} head`;
    if (head.inDim !== enc.dim) return `the starting space's ${m} head takes ${head.inDim} features, the data has ${enc.dim}`;
  }
  return undefined;
}

function hiddenOf(model: AlignModel): number {
  for (const h of Object.values(model.heads)) if (h.kind === 'dense' && h.mlp) return h.mlp.hidden;
  return 0;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
