// The Stage-2 training loop: seeded mini-batches from one or more pair sets (image-text,
// audio-text, sketch-image, ...) through the ONNX step graph, sharing heads between sets;
// validation each epoch; early stopping on validation Recall@10 (or loss), keeping the best model.
import { RosettaError } from '../errors.ts';
import type { Device } from '../runtime/index.ts';
import {
  checkParams,
  cloneHead,
  mulberry32,
  shapeOf,
  type AlignParams,
  type HeadParams,
} from './head-params.ts';
import { PairBatcher, shuffled, type PairData } from './pair-batches.ts';
import { Validator, type ValRecall } from './retrieval-eval.ts';
import { AlignStep } from './step.ts';
import { defaultAdamW, initHeadAdam, initScaleAdam, type AdamGroup, type AdamWConfig, type PairAdam } from './adamw.ts';

/** The heads of the coordinated space by name (e.g. image, sketch, audio, text), and s = log(1/temperature). */
export interface AlignModel {
  heads: Record<string, HeadParams>;
  logScale: number;
}

/** Pairs between two heads: row i of `train.a` goes with row i of `train.b`. */
export interface PairSet {
  /** Names the set in the history and in errors, e.g. 'image-text'. */
  name: string;
  /** Head names. `a` must be dense; `b` is the text bag (captions) or another dense head (sketch-image). */
  a: string;
  b: string;
  train: PairData;
  val: PairData;
}

export interface TrainOptions extends Partial<AdamWConfig> {
  epochs: number;
  batchSize: number;
  /** Seeds batch order and interleaving; with the same seed, data and device 'cpu', training is reproducible. */
  seed: number;
  /** Epochs without improvement before stopping (default: never stop early). */
  patience?: number;
  /** 'recall': mean validation Recall@10 over sets and both directions (ties go to the lower loss); 'loss': mean validation loss. */
  monitor?: 'recall' | 'loss';
  device?: Device;
  intraOpThreads?: number;
  /** Heads that stay fixed (e.g. the image head while a sketch head learns to match it). */
  frozen?: readonly string[];
  onStep?: (progress: StepProgress) => void;
  onEpoch?: (record: EpochRecord) => void;
}

export interface StepProgress {
  epoch: number;
  /** Steps taken so far in the run (1-based). */
  step: number;
  set: string;
  /** Index of this step within the epoch (0-based), and the epoch's step count over all sets. */
  batch: number;
  batches: number;
  loss: number;
  /** Pairs per second over the epoch so far. */
  pairsPerSecond: number;
}

export interface EpochRecord {
  /** 0 is the initial model (before any step), so a run that never improves keeps it. */
  epoch: number;
  /** Mean training loss of the epoch's steps; null for epoch 0. */
  trainLoss: number | null;
  /** Mean of the sets' validation losses. */
  valLoss: number;
  valLossBySet: Record<string, number>;
  valRecall: Record<string, ValRecall>;
  seconds: number;
}

export interface TrainResult {
  /** The model of the best validation epoch. */
  model: AlignModel;
  bestEpoch: number;
  history: EpochRecord[];
  stoppedEarly: boolean;
  /** The execution provider that ran the steps (what 'auto' resolved to). */
  device: Exclude<Device, 'auto'>;
}

interface SetRunner {
  set: PairSet;
  train: PairBatcher;
  val: PairBatcher;
  step: AlignStep;
  validator: Validator;
}

/**
 * Trains the heads named by the pair sets from their initial parameters; `initial` is not modified.
 *
 * @example
 * const { model, history } = await trainAlignment(init, [{ name: 'image-text', a: 'image', b: 'text', train, val }], {
 *   epochs: 20, batchSize: 256, seed: 1, patience: 3,
 * });
 * history.at(-1) // { epoch: 20, trainLoss: 1.9, valLoss: 2.2, valRecall: { 'image-text': { aToB: { r1, r5, r10 }, bToA } }, ... }
 */
export async function trainAlignment(initial: AlignModel, sets: readonly PairSet[], options: TrainOptions): Promise<TrainResult> {
  checkOptions(options);
  checkModel(initial, sets, options.frozen ?? []);
  const config: AdamWConfig = {
    lr: options.lr ?? defaultAdamW.lr,
    beta1: options.beta1 ?? defaultAdamW.beta1,
    beta2: options.beta2 ?? defaultAdamW.beta2,
    eps: options.eps ?? defaultAdamW.eps,
    weightDecay: options.weightDecay ?? defaultAdamW.weightDecay,
  };
  const model = cloneModel(initial);
  const frozen = new Set(options.frozen ?? []);
  const session = { device: options.device ?? 'cpu', ...(options.intraOpThreads ? { intraOpThreads: options.intraOpThreads } : {}) };
  const runners: SetRunner[] = [];
  try {
    for (const set of sets) {
      const view = pairView(model, set);
      const shapes = { a: shapeOf(view.a), b: shapeOf(view.b) };
      // Resolve 'auto' once: every later session goes where the first step landed.
      const device = runners[0]?.step.device ?? session.device;
      const step = await AlignStep.create(shapes, { mode: 'train', ...session, device, frozen: { a: frozen.has(set.a), b: frozen.has(set.b) } });
      const validator = await Validator.create(shapes, { ...session, device: step.device, batchSize: options.batchSize }).catch(async (err: unknown) => {
        await step.close();
        throw err;
      });
      const runner = { set, train: new PairBatcher(set.train, view), val: new PairBatcher(set.val, view), step, validator };
      runners.push(runner);
      if (runner.train.size < 2) throw new RosettaError('INVALID_ARGUMENT', `pair set '${set.name}' has ${runner.train.size} training pairs; InfoNCE needs at least 2`);
    }
    return await loop(model, runners, frozen, config, options);
  } finally {
    for (const r of runners) {
      await r.step.close();
      await r.validator.close();
    }
  }
}

async function loop(model: AlignModel, runners: SetRunner[], frozen: ReadonlySet<string>, config: AdamWConfig, options: TrainOptions): Promise<TrainResult> {
  // One AdamW group per trained head, shared by every set that uses the head, and one for s.
  const groups: Record<string, AdamGroup> = {};
  for (const [name, head] of Object.entries(model.heads)) if (!frozen.has(name)) groups[name] = initHeadAdam(head);
  const scale = initScaleAdam();
  const rand = mulberry32(options.seed);
  const monitor = options.monitor ?? 'recall';
  const score = (r: EpochRecord) => {
    if (monitor === 'loss') return -r.valLoss;
    const recalls = Object.values(r.valRecall);
    return recalls.reduce((s, v) => s + (v.aToB.r10 + v.bToA.r10) / 2, 0) / recalls.length;
  };
  // Recall@10 saturates on easy data; a tie then goes to the lower validation loss.
  const better = (r: EpochRecord, than: EpochRecord) => score(r) > score(than) || (score(r) === score(than) && r.valLoss < than.valLoss);
  const history: EpochRecord[] = [];
  const record = async (epoch: number, trainLoss: number | null, started: number): Promise<EpochRecord> => {
    const valRecall: Record<string, ValRecall> = {};
    const valLossBySet: Record<string, number> = {};
    for (const r of runners) {
      const result = await r.validator.evaluate(pairView(model, r.set), r.val);
      valRecall[r.set.name] = result.recall;
      valLossBySet[r.set.name] = result.loss;
    }
    const losses = Object.values(valLossBySet);
    const valLoss = losses.reduce((a, b) => a + b, 0) / losses.length;
    const rec: EpochRecord = { epoch, trainLoss, valLoss, valLossBySet, valRecall, seconds: (performance.now() - started) / 1000 };
    history.push(rec);
    options.onEpoch?.(rec);
    return rec;
  };

  let best = await record(0, null, performance.now());
  let bestModel = cloneModel(model);
  let stale = 0;
  let steps = 0;
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    const started = performance.now();
    const schedule = epochSchedule(runners, options.batchSize, rand);
    let total = 0;
    let pairs = 0;
    for (let i = 0; i < schedule.length; i++) {
      const { runner, indices } = schedule[i];
      const view = pairView(model, runner.set);
      const adam: PairAdam = { scale, ...(groups[runner.set.a] ? { a: groups[runner.set.a] } : {}), ...(groups[runner.set.b] ? { b: groups[runner.set.b] } : {}) };
      const loss = await runner.step.train(runner.train.batch(indices), view, adam, config);
      model.logScale = view.logScale;
      steps++;
      if (!Number.isFinite(loss)) {
        throw new RosettaError('INTERNAL', `training diverged: loss is ${loss} at epoch ${epoch}, step ${steps} (${runner.set.name}); lower lr`);
      }
      total += loss;
      pairs += indices.length;
      const seconds = (performance.now() - started) / 1000;
      options.onStep?.({ epoch, step: steps, set: runner.set.name, batch: i, batches: schedule.length, loss, pairsPerSecond: pairs / seconds });
    }
    const r = await record(epoch, total / schedule.length, started);
    if (better(r, best)) {
      best = r;
      bestModel = cloneModel(model);
      stale = 0;
    } else if (options.patience !== undefined && ++stale >= options.patience) {
      return { model: bestModel, bestEpoch: best.epoch, history, stoppedEarly: true, device: runners[0].step.device };
    }
  }
  return { model: bestModel, bestEpoch: best.epoch, history, stoppedEarly: false, device: runners[0].step.device };
}

/**
 * The epoch's steps: each set's pairs shuffled into full batches (a leftover smaller batch has
 * fewer negatives and a different loss scale, so it waits for another epoch's shuffle), then
 * the batches of all sets interleaved in a seeded order so shared heads see every set throughout.
 */
function epochSchedule(runners: SetRunner[], batchSize: number, rand: () => number): { runner: SetRunner; indices: Int32Array }[] {
  const steps: { runner: SetRunner; indices: Int32Array }[] = [];
  for (const runner of runners) {
    const order = shuffled(runner.train.size, rand);
    const batches = Math.max(1, Math.floor(order.length / batchSize));
    for (let i = 0; i < batches; i++) steps.push({ runner, indices: order.subarray(i * batchSize, Math.min(order.length, (i + 1) * batchSize)) });
  }
  const mix = shuffled(steps.length, rand);
  return Array.from(mix, (i) => steps[i]);
}

/** The two heads of a set and s; the heads are the model's own objects, so updates land in the model. */
function pairView(model: AlignModel, set: PairSet): AlignParams {
  return { a: model.heads[set.a] as AlignParams['a'], b: model.heads[set.b], logScale: model.logScale };
}

/** A deep copy (the early-stopping snapshot). */
export function cloneModel(model: AlignModel): AlignModel {
  const heads: Record<string, HeadParams> = {};
  for (const [name, head] of Object.entries(model.heads)) heads[name] = cloneHead(head);
  return { heads, logScale: model.logScale };
}

function checkModel(model: AlignModel, sets: readonly PairSet[], frozen: readonly string[]): void {
  if (sets.length === 0) throw new RosettaError('INVALID_ARGUMENT', 'sets is empty: give at least one pair set to train on');
  const names = new Set<string>();
  for (const set of sets) {
    if (names.has(set.name)) throw new RosettaError('INVALID_ARGUMENT', `pair set name '${set.name}' is used twice`);
    names.add(set.name);
    for (const side of ['a', 'b'] as const) {
      if (!model.heads[set[side]]) {
        throw new RosettaError('INVALID_ARGUMENT', `pair set '${set.name}' names head '${set[side]}' on side ${side}, but the model has: ${Object.keys(model.heads).join(', ')}`);
      }
    }
    if (set.a === set.b) throw new RosettaError('INVALID_ARGUMENT', `pair set '${set.name}' uses head '${set.a}' on both sides`);
    if (frozen.includes(set.a) && frozen.includes(set.b)) {
      throw new RosettaError('INVALID_ARGUMENT', `pair set '${set.name}' has both heads frozen: nothing to train`);
    }
    checkParams(pairView(model, set));
  }
  for (const name of frozen) {
    if (!model.heads[name]) throw new RosettaError('INVALID_ARGUMENT', `frozen names head '${name}', which the model does not have`);
  }
}

function checkOptions(o: TrainOptions): void {
  const bad: string[] = [];
  const int = (name: string, v: number | undefined, min: number) => {
    if (v !== undefined && (!Number.isInteger(v) || v < min)) bad.push(`${name} must be an integer >= ${min}; got ${v}`);
  };
  int('epochs', o.epochs, 0);
  int('batchSize', o.batchSize, 2);
  int('patience', o.patience, 1);
  int('seed', o.seed, 0);
  if (o.lr !== undefined && !(o.lr > 0)) bad.push(`lr must be > 0; got ${o.lr}`);
  for (const name of ['beta1', 'beta2'] as const) {
    const v = o[name];
    if (v !== undefined && !(v >= 0 && v < 1)) bad.push(`${name} must be in [0, 1); got ${v}`);
  }
  if (o.weightDecay !== undefined && !(o.weightDecay >= 0)) bad.push(`weightDecay must be >= 0; got ${o.weightDecay}`);
  if (o.eps !== undefined && !(o.eps > 0)) bad.push(`eps must be > 0; got ${o.eps}`);
  if (bad.length > 0) throw new RosettaError('INVALID_ARGUMENT', `training options: ${bad.join('; ')}`);
}
