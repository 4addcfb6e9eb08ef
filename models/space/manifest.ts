/**
 * space.json: what a trained space is (dimension, encoders, heads and their files), how it was
 * made (data, hyper-parameters, device, timings) and how well it does (validation recall).
 */
import { z } from 'zod';
import { RosettaError } from '../errors.ts';

export const SPACE_FORMAT = 1;
export const SPACE_FILE = 'space.json';
export const CURVES_FILE = 'curves.svg';
export const TEXT_IDS_FILE = 'text-ids.bin';

const recall = z.object({ r1: z.number(), r5: z.number(), r10: z.number() });
const systems = z.record(z.string(), recall);

/** The retrieval tasks measured on the validation split. */
export const retrievalTasks = ['text→image', 'image→text', 'text→audio', 'audio→text', 'sketch→image'] as const;
export type RetrievalTask = (typeof retrievalTasks)[number];

/**
 * The systems compared: `unaligned` (features before any fitting: see evaluate.ts), `cca`
 * (Stage 1 alone), `contrastive` (the space written here), and `start` when Stage 2 began
 * from an earlier space (warm start) rather than from this data's CCA.
 */
export type SystemName = 'unaligned' | 'cca' | 'start' | 'contrastive';

const taskResult = z.object({ queries: z.number(), candidates: z.number(), baseline: z.string(), systems });
const pairCount = z.object({ train: z.number(), val: z.number() });
const encoder = z.object({ key: z.string().min(1), dim: z.number().int().positive() });
const denseHeadEntry = z.object({ kind: z.literal('dense'), file: z.string(), sha256: z.string(), inDim: z.number().int(), hidden: z.number().int() });
const bagHeadEntry = z.object({ kind: z.literal('bag'), file: z.string(), sha256: z.string(), ids: z.string(), idsSha256: z.string(), rows: z.number().int(), biasId: z.number().int() });

const headsRecord = z.partialRecord(z.enum(['image', 'sketch', 'audio', 'text']), z.discriminatedUnion('kind', [denseHeadEntry, bagHeadEntry]));

/** The heads a space can serve: `final` (what Stage 2 produced, the default) or Stage 1's `cca`. */
export type SpaceStage = 'final' | 'cca';

export const spaceManifestSchema = z.object({
  format: z.literal(SPACE_FORMAT),
  version: z.string().min(1),
  createdAt: z.string(),
  /** Trained from the demo recipe by ensureDefaultSpace; `recipe` names the recipe and encoders. */
  default: z.boolean(),
  recipe: z.string().optional(),
  dim: z.number().int().positive(),
  logScale: z.number(),
  encoders: z.partialRecord(z.enum(['image', 'sketch', 'audio', 'text']), encoder),
  heads: headsRecord,
  /**
   * Heads of other stages written beside the final ones: `cca` holds Stage 1's maps as heads
   * (files `<modality>.cca.onnx`), so an evaluation can compare both stages on a collection.
   * Absent in spaces written before recipe v2.
   */
  stages: z.object({ cca: z.object({ heads: headsRecord }) }).optional(),
  data: z.object({
    source: z.string(),
    pairs: z.record(z.string(), pairCount),
    captions: z.number(),
    skipped: z.number(),
    droppedPairs: z.number(),
    /** Rows of drawn sketch variants Stage 2 trained on beside the drawings (recipe v3). */
    sketchVariants: z.number().optional(),
    /** Audio-image pairs found through the captions that Stage 2 trained on (recipe v4). */
    audioImagePivot: pairCount.optional(),
  }),
  hyper: z.object({
    dim: z.number(),
    epochs: z.number(),
    batchSize: z.number(),
    lr: z.number(),
    weightDecay: z.number(),
    seed: z.number(),
    patience: z.number(),
    hidden: z.number(),
    regX: z.number(),
    regY: z.number(),
    valFraction: z.number(),
    valMin: z.number(),
    init: z.string(),
    /** Stage 2's starting temperature and the heads it kept fixed (absent before recipe v2). */
    temperature: z.number().optional(),
    frozen: z.array(z.string()).optional(),
  }),
  recall: z.record(z.string(), taskResult),
  emergent: z
    .object({ task: z.string(), relevance: z.string(), queries: z.number(), pool: z.number(), chance: recall, systems })
    .optional(),
  training: z.object({
    bestEpoch: z.number(),
    stoppedEarly: z.boolean(),
    history: z.array(
      z.object({ epoch: z.number(), trainLoss: z.number().nullable(), valLoss: z.number(), valR10: z.record(z.string(), z.number()), seconds: z.number() }),
    ),
    stage1: z.object({ dim: z.number(), textBagDim: z.number(), textIds: z.number(), clamped: z.boolean(), sketchMap: z.string().optional() }),
  }),
  timings: z.record(z.string(), z.number()),
  device: z.string(),
});

export type SpaceManifest = z.infer<typeof spaceManifestSchema>;
export type RecallAtK = z.infer<typeof recall>;
export type TaskResult = z.infer<typeof taskResult>;
export type EmergentResult = NonNullable<SpaceManifest['emergent']>;
export type HeadEntry = NonNullable<SpaceManifest['heads']['image']>;

/** Fields that differ between two runs of the same seeded training: times and the version that carries one. */
export function stableManifest(m: SpaceManifest): Omit<SpaceManifest, 'version' | 'createdAt' | 'timings'> {
  const { version: _v, createdAt: _c, timings: _t, ...rest } = m;
  return { ...rest, training: { ...rest.training, history: rest.training.history.map((h) => ({ ...h, seconds: 0 })) } };
}

export function parseManifest(value: unknown, where: string): SpaceManifest {
  const parsed = spaceManifestSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new RosettaError('MODEL_INVALID', `${where} is not a valid space manifest (${problems.join('; ')})`);
  }
  return parsed.data;
}
