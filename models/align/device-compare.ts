// Checks that a training device computes what the CPU computes: the step graph's gradients on
// one batch, then the parameters after a few AdamW steps from one start. A GPU provider is only
// worth its speed if it is the same function; float32 on any provider should agree far under
// 1e-3 (other summation orders, not bugs), and a wrong kernel or a lost copy shows up as O(1).
import type { Device } from '../runtime/index.ts';
import { defaultAdamW, initPairAdam } from './adamw.ts';
import { cloneParams, shapeOf, type AlignParams } from './head-params.ts';
import { AlignStep, type StepBatch, type StepOptions } from './step.ts';

export interface DeviceComparison {
  /** The provider the compared sessions ran on. */
  device: Exclude<Device, 'auto'>;
  /** Loss of the first batch on the device and on the CPU. */
  loss: { device: number; cpu: number };
  /** Relative L2 error of each gradient of the first batch, by slot name. */
  gradients: Record<string, number>;
  /** Largest |loss difference| over the training steps. */
  lossGap: number;
  /** Relative L2 difference of each trained tensor after the steps. */
  parameters: Record<string, number>;
}

/** ‖x − ref‖ / ‖ref‖; Infinity for a length mismatch or any non-finite value. */
export function relativeError(x: Float32Array, ref: Float32Array): number {
  if (x.length !== ref.length || !x.every(Number.isFinite)) return Infinity;
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < ref.length; i++) {
    diff += (x[i] - ref[i]) ** 2;
    norm += ref[i] ** 2;
  }
  return Math.sqrt(diff / Math.max(norm, 1e-30));
}

/**
 * Runs `batches` through one gradient pass and `batches.length` training steps on `device` and
 * on the CPU, from copies of `params` (left unchanged).
 *
 * @example
 * const c = await compareWithCpu(params, batches, { device: 'webgpu' }); // c.gradients['a.W'] ≈ 1e-6
 */
export async function compareWithCpu(
  params: AlignParams,
  batches: readonly StepBatch[],
  options: Pick<StepOptions, 'device' | 'bagUpdate' | 'intraOpThreads'>,
): Promise<DeviceComparison> {
  const device = options.device ?? 'cpu';
  const shapes = { a: shapeOf(params.a), b: shapeOf(params.b) };
  const gradsOn = async (on: Device) => {
    const step = await AlignStep.create(shapes, { ...options, mode: 'grad', device: on });
    try {
      return { device: step.device, ...(await step.gradients(batches[0], params)) };
    } finally {
      await step.close();
    }
  };
  const [cpuGrads, deviceGrads] = [await gradsOn('cpu'), await gradsOn(device)];
  const [cpuRun, deviceRun] = [await trainFrom(params, batches, { ...options, device: 'cpu' }), await trainFrom(params, batches, { ...options, device })];
  const gradients: Record<string, number> = {};
  for (const name of Object.keys(cpuGrads.grads)) gradients[name] = relativeError(deviceGrads.grads[name], cpuGrads.grads[name]);
  const [mine, theirs] = [trainedTensors(deviceRun.params), trainedTensors(cpuRun.params)];
  const parameters: Record<string, number> = {};
  for (const name of Object.keys(theirs)) parameters[name] = relativeError(mine[name], theirs[name]);
  return {
    device: deviceGrads.device,
    loss: { device: deviceGrads.loss, cpu: cpuGrads.loss },
    gradients,
    lossGap: Math.max(...deviceRun.losses.map((l, i) => Math.abs(l - cpuRun.losses[i]))),
    parameters,
  };
}

/**
 * One AdamW step per batch, in order, from a copy of `params` (left unchanged) and fresh moments.
 *
 * @example const { params: trained, losses } = await trainFrom(params, batches, { device: 'cpu' });
 */
export async function trainFrom(
  params: AlignParams,
  batches: readonly StepBatch[],
  options: Pick<StepOptions, 'device' | 'bagUpdate' | 'intraOpThreads'>,
): Promise<{ params: AlignParams; losses: number[] }> {
  const trained = cloneParams(params);
  const step = await AlignStep.create({ a: shapeOf(trained.a), b: shapeOf(trained.b) }, { ...options, mode: 'train' });
  const adam = initPairAdam(trained);
  const losses: number[] = [];
  try {
    for (const batch of batches) losses.push(await step.train(batch, trained, adam, defaultAdamW));
  } finally {
    await step.close();
  }
  return { params: trained, losses };
}

/** Every trained tensor of a pair of heads, by name ('a.W', 'b.E', 'logScale', …). */
export function trainedTensors(p: AlignParams): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = { logScale: Float32Array.of(p.logScale) };
  for (const side of ['a', 'b'] as const) {
    const head = p[side];
    if (head.kind === 'bag') out[`${side}.E`] = head.E;
    else {
      Object.assign(out, { [`${side}.W`]: head.W, [`${side}.b`]: head.b });
      if (head.mlp) Object.assign(out, { [`${side}.W1`]: head.mlp.W1, [`${side}.b1`]: head.mlp.b1, [`${side}.W2`]: head.mlp.W2 });
    }
  }
  return out;
}
