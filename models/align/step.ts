// Runs the step graph: turns a batch, the parameters and the AdamW state into feeds, and writes
// the updated tensors back. The text bag's table E (and its moments) never travel whole: only the
// batch's U unique rows are gathered into the feed, and their lazy AdamW update runs here in place
// on the graph's dE_u (or, with bagUpdate 'graph', in the graph on gathered moments, scattered back).
import { OnnxSession, type Device, type TensorSpec } from '../runtime/index.ts';
import { RosettaError } from '../errors.ts';
import { buildStepGraph, stepNames, type StepMode } from './step-graph.ts';
import { adamwRows, type AdamGroup, type AdamWConfig, type PairAdam } from './adamw.ts';
import {
  paramSlots,
  readSlot,
  writeSlot,
  type AlignParams,
  type HeadShape,
  type ParamSlot,
  type Side,
} from './head-params.ts';

/** One side of a batch: dense features [B, inDim], or a bag as its unique rows of E and S [B, U]. */
export type BatchSide =
  | { kind: 'dense'; x: Float32Array }
  | { kind: 'bag'; rows: Int32Array; S: Float32Array };

export interface StepBatch {
  size: number;
  a: BatchSide & { kind: 'dense' };
  b: BatchSide;
}

export interface StepOptions {
  mode: StepMode;
  device?: Device;
  intraOpThreads?: number;
  frozen?: Partial<Record<Side, boolean>>;
  /**
   * Where the bag rows' AdamW runs: 'host' (default; the graph returns dE_u and `adamwRows` updates
   * the table in place) or 'graph' (the graph updates the gathered rows and their moments, which
   * are scattered back). Both compute the same update; 'host' moves far less memory.
   */
  bagUpdate?: 'host' | 'graph';
  /** Diagnostics: ONNX Runtime's per-operator profile goes to files with this prefix on close(). */
  profile?: string;
}

/**
 * A compiled step graph for one pair of head shapes.
 *
 * @example
 * const step = await AlignStep.create(shapes, { mode: 'train' });
 * const loss = await step.train(batch, params, adam, defaultAdamW); // params and adam now updated
 */
export class AlignStep {
  /** Milliseconds of the last `train` call: feeds (incl. gathering E rows), the ONNX run, write-back. */
  readonly lastTimings = { feedMs: 0, runMs: 0, writeBackMs: 0 };

  private constructor(
    private readonly session: OnnxSession,
    readonly shapes: { a: HeadShape; b: HeadShape },
    readonly options: StepOptions,
    readonly slots: ParamSlot[],
    private readonly hostSlots: ReadonlySet<string>,
  ) {}

  get device(): Exclude<Device, 'auto'> {
    return this.session.device;
  }

  static async create(shapes: { a: HeadShape; b: HeadShape }, options: StepOptions): Promise<AlignStep> {
    const slots = paramSlots(shapes.a, shapes.b, options.frozen ?? {});
    const hostSlots = (options.bagUpdate ?? 'host') === 'host' ? slots.filter((s) => s.field === 'E').map((s) => s.name) : [];
    const graph = buildStepGraph({ ...shapes, mode: options.mode, frozen: options.frozen ?? {}, hostSlots });
    const session = await OnnxSession.create(graph.serialize(), {
      device: options.device ?? 'cpu',
      ...(options.intraOpThreads ? { intraOpThreads: options.intraOpThreads } : {}),
      ...(options.profile ? { profile: options.profile } : {}),
    });
    return new AlignStep(session, shapes, options, slots, new Set(hostSlots));
  }

  /** Loss of the batch at the current parameters (mode 'loss'). */
  async loss(batch: StepBatch, params: AlignParams): Promise<number> {
    this.requireMode('loss');
    const out = await this.session.run(this.feeds(batch, params), [stepNames.loss]);
    return out[stepNames.loss].data[0];
  }

  /** Loss and the gradient of every trainable slot; `b.E` is the gradient of the batch's rows only. */
  async gradients(batch: StepBatch, params: AlignParams): Promise<{ loss: number; grads: Record<string, Float32Array> }> {
    this.requireMode('grad');
    const out = await this.session.run(this.feeds(batch, params));
    const grads: Record<string, Float32Array> = {};
    for (const slot of this.slots) grads[slot.name] = out[stepNames.grad(slot.name)].data;
    return { loss: out[stepNames.loss].data[0], grads };
  }

  /**
   * One AdamW step; updates `params` and the moments and step counts in `adam` (one group per
   * trainable side, plus s), and returns the batch loss before the update.
   */
  async train(batch: StepBatch, params: AlignParams, adam: PairAdam, config: AdamWConfig): Promise<number> {
    this.requireMode('train');
    const t0 = performance.now();
    const feeds = this.feeds(batch, params);
    for (const [name, value] of Object.entries(config)) feeds[name] = { data: Float32Array.of(value), dims: [] };
    const groups = new Set<Side | 'scale'>();
    for (const slot of this.slots) {
      const group = groupOf(adam, slot);
      groups.add(slot.side);
      if (this.hostSlots.has(slot.name)) continue;
      feeds[stepNames.step(slot.side)] = { data: Float32Array.of(group.step + 1), dims: [] };
      const dims = this.dims(slot, batch);
      const rows = this.bagRows(slot, batch);
      const [m, v] = [group.m[slot.field], group.v[slot.field]];
      feeds[stepNames.m(slot.name)] = { data: rows ? gatherRows(m, rows, dims[1]) : m, dims };
      feeds[stepNames.v(slot.name)] = { data: rows ? gatherRows(v, rows, dims[1]) : v, dims };
    }
    const t1 = performance.now();
    const out = await this.session.run(feeds);
    const t2 = performance.now();
    for (const slot of this.slots) {
      const group = groupOf(adam, slot);
      const rows = this.bagRows(slot, batch);
      if (this.hostSlots.has(slot.name)) {
        const d = this.dims(slot, batch)[1];
        const grad = out[stepNames.grad(slot.name)].data;
        adamwRows(readSlot(params, slot), group.m[slot.field], group.v[slot.field], rows as Int32Array, grad, d, config, group.step + 1, slot.decay);
        continue;
      }
      const [p, m, v] = [stepNames.updated, stepNames.mOut, stepNames.vOut].map((n) => out[n(slot.name)].data);
      if (rows) {
        const d = this.dims(slot, batch)[1];
        scatterRows(readSlot(params, slot), rows, d, p);
        scatterRows(group.m[slot.field], rows, d, m);
        scatterRows(group.v[slot.field], rows, d, v);
      } else {
        writeSlot(params, slot, p);
        group.m[slot.field] = m;
        group.v[slot.field] = v;
      }
    }
    for (const g of groups) (g === 'scale' ? adam.scale : (adam[g] as AdamGroup)).step++;
    Object.assign(this.lastTimings, { feedMs: t1 - t0, runMs: t2 - t1, writeBackMs: performance.now() - t2 });
    return out[stepNames.loss].data[0];
  }

  /** The batch and parameter feeds shared by every mode. */
  feeds(batch: StepBatch, params: AlignParams): Record<string, TensorSpec> {
    const feeds: Record<string, TensorSpec> = {};
    for (const side of ['a', 'b'] as const) {
      const data = batch[side];
      const head = params[side];
      if (data.kind !== head.kind) {
        throw new RosettaError('INVALID_ARGUMENT', `batch.${side} is ${data.kind} but params.${side} is a ${head.kind} head`);
      }
      if (head.kind === 'bag' && data.kind === 'bag') {
        const U = data.rows.length;
        expectSize(`batch.${side}.S`, data.S, batch.size * U);
        feeds[stepNames.S(side)] = { data: data.S, dims: [batch.size, U] };
        feeds[stepNames.param(side, 'E')] = { data: gatherRows(head.E, data.rows, head.dim), dims: [U, head.dim] };
      } else if (head.kind === 'dense' && data.kind === 'dense') {
        expectSize(`batch.${side}.x`, data.x, batch.size * head.inDim);
        feeds[stepNames.x(side)] = { data: data.x, dims: [batch.size, head.inDim] };
        feeds[stepNames.param(side, 'mean')] = { data: head.mean, dims: [head.inDim] };
        feeds[stepNames.param(side, 'W')] = { data: head.W, dims: [head.inDim, head.dim] };
        feeds[stepNames.param(side, 'b')] = { data: head.b, dims: [head.dim] };
        if (head.mlp) {
          const { hidden, W1, b1, W2 } = head.mlp;
          feeds[stepNames.param(side, 'W1')] = { data: W1, dims: [head.dim, hidden] };
          feeds[stepNames.param(side, 'b1')] = { data: b1, dims: [hidden] };
          feeds[stepNames.param(side, 'W2')] = { data: W2, dims: [hidden, head.dim] };
        }
      }
    }
    feeds.logScale = { data: Float32Array.of(params.logScale), dims: [] };
    return feeds;
  }

  async close(): Promise<void> {
    await this.session.close();
  }

  private requireMode(mode: StepMode): void {
    if (this.options.mode !== mode) {
      throw new RosettaError('INVALID_ARGUMENT', `this step graph was built for mode '${this.options.mode}', not '${mode}'`);
    }
  }

  private bagRows(slot: ParamSlot, batch: StepBatch): Int32Array | undefined {
    if (slot.field !== 'E') return undefined;
    const side = batch[slot.side as Side];
    return side.kind === 'bag' ? side.rows : undefined;
  }

  private dims(slot: ParamSlot, batch: StepBatch): number[] {
    return slot.dims.map((d) => (d === 'U' ? (this.bagRows(slot, batch) as Int32Array).length : (d as number)));
  }
}

/** rows of a row-major [*, d] table, copied into a fresh [rows.length, d] array. */
export function gatherRows(table: Float32Array, rows: Int32Array, d: number): Float32Array {
  const out = new Float32Array(rows.length * d);
  for (let i = 0; i < rows.length; i++) out.set(table.subarray(rows[i] * d, rows[i] * d + d), i * d);
  return out;
}

/** Inverse of `gatherRows`: writes [rows.length, d] values back into the table in place. */
export function scatterRows(table: Float32Array, rows: Int32Array, d: number, values: Float32Array): void {
  for (let i = 0; i < rows.length; i++) table.set(values.subarray(i * d, i * d + d), rows[i] * d);
}

/** The AdamW group behind a slot, checked to hold its moments. */
function groupOf(adam: PairAdam, slot: ParamSlot): AdamGroup {
  const group = slot.side === 'scale' ? adam.scale : adam[slot.side];
  if (!group || !group.m[slot.field] || !group.v[slot.field]) {
    throw new RosettaError('INVALID_ARGUMENT', `adam state has no moments for ${slot.name}`);
  }
  return group;
}

function expectSize(name: string, data: Float32Array, size: number): void {
  if (data.length !== size) throw new RosettaError('DIMENSION_MISMATCH', `${name} has ${data.length} values; expected ${size}`);
}
