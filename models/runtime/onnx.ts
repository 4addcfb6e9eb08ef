// The only module that imports onnxruntime-node: sessions, devices and tensors go through here.
import * as ort from 'onnxruntime-node';
import { RosettaError } from '../errors.ts';

export type Device = 'cpu' | 'webgpu' | 'cuda' | 'auto';
export const devices: readonly Device[] = ['cpu', 'webgpu', 'cuda', 'auto'];

export interface SessionOptions {
  device?: Device;
  /** Names the model must have; checked when it loads so a wrong export fails early and clearly. */
  expectInputs?: string[];
  expectOutputs?: string[];
  /** Threads for one operator. Defaults to ONNX Runtime's choice (all cores). */
  intraOpThreads?: number;
  /**
   * Let idle intra-op threads spin. Off by default: on a small shared machine spinning threads
   * burn the core that decoding (sharp, audio workers) needs, for no gain in throughput.
   */
  spinning?: boolean;
}

export interface TensorSpec {
  data: Float32Array | BigInt64Array | Int32Array;
  dims: readonly number[];
}

/** A loaded model. Created once per model file and reused for every batch. */
export class OnnxSession {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly device: Exclude<Device, 'auto'>,
    readonly source: string,
  ) {}

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  static async create(model: string | Uint8Array, options: SessionOptions = {}): Promise<OnnxSession> {
    const source = typeof model === 'string' ? model : `<${model.byteLength} bytes>`;
    const wanted = options.device ?? 'cpu';
    const order: Exclude<Device, 'auto'>[] = wanted === 'auto' ? ['cuda', 'webgpu', 'cpu'] : [wanted];
    let lastError: unknown;
    for (const device of order) {
      if (!isDeviceSupported(device)) {
        lastError = new Error(`execution provider '${device}' is not in this onnxruntime-node build`);
        continue;
      }
      try {
        const session = await ort.InferenceSession.create(model as Uint8Array, {
          executionProviders: [device],
          graphOptimizationLevel: 'all',
          ...(options.intraOpThreads ? { intraOpNumThreads: options.intraOpThreads } : {}),
          extra: { session: { intra_op: { allow_spinning: options.spinning ? '1' : '0' } } },
        });
        const created = new OnnxSession(session, device, source);
        created.checkNames(options);
        return created;
      } catch (err) {
        if (err instanceof RosettaError) throw err;
        lastError = err;
      }
    }
    if (wanted === 'cpu' || wanted === 'auto') {
      throw new RosettaError('MODEL_INVALID', `cannot load ONNX model ${source}: ${message(lastError)}`, {
        cause: lastError,
      });
    }
    throw new RosettaError(
      'DEVICE_UNAVAILABLE',
      `device '${wanted}' is unavailable for ${source}: ${message(lastError)}`,
      { cause: lastError },
    );
  }

  private checkNames(options: SessionOptions): void {
    for (const [kind, expected, actual] of [
      ['input', options.expectInputs, this.inputNames],
      ['output', options.expectOutputs, this.outputNames],
    ] as const) {
      const missing = (expected ?? []).filter((n) => !actual.includes(n));
      if (missing.length > 0) {
        throw new RosettaError(
          'MODEL_INVALID',
          `ONNX model ${this.source} has no ${kind} named ${missing.join(', ')} (it has: ${actual.join(', ')})`,
        );
      }
    }
  }

  /** Runs the model; returns the requested outputs (all by default) as plain arrays with dims. */
  async run(
    feeds: Record<string, TensorSpec>,
    outputs: readonly string[] = this.outputNames,
  ): Promise<Record<string, { data: Float32Array; dims: readonly number[] }>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, spec] of Object.entries(feeds)) ortFeeds[name] = toTensor(spec);
    const result = await this.session.run(ortFeeds, outputs as string[]);
    const out: Record<string, { data: Float32Array; dims: readonly number[] }> = {};
    for (const name of outputs) {
      const t = result[name];
      if (!t) throw new RosettaError('MODEL_INVALID', `model ${this.source} produced no output '${name}'`);
      out[name] = { data: t.data as Float32Array, dims: t.dims };
    }
    return out;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

function toTensor(spec: TensorSpec): ort.Tensor {
  if (spec.data instanceof Float32Array) return new ort.Tensor('float32', spec.data, spec.dims);
  if (spec.data instanceof BigInt64Array) return new ort.Tensor('int64', spec.data, spec.dims);
  return new ort.Tensor('int32', spec.data, spec.dims);
}

/** Whether this build of onnxruntime-node carries the provider (not whether an adapter exists). */
export function isDeviceSupported(device: Exclude<Device, 'auto'>): boolean {
  return ort.listSupportedBackends().some((b) => b.name === device);
}

export function parseDevice(value: string): Device {
  if ((devices as readonly string[]).includes(value)) return value as Device;
  throw new RosettaError('INVALID_ARGUMENT', `device must be one of ${devices.join(', ')}; got '${value}'`);
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
