// The only module that imports onnxruntime-node: sessions, devices and tensors go through here.
import * as ort from 'onnxruntime-node';
import { Worker } from 'node:worker_threads';
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
  /**
   * Run inference on a worker thread. onnxruntime-node runs a batch synchronously on the calling
   * thread; on a worker, the main thread keeps decoding the next batch (or serving requests)
   * meanwhile. Inputs are copied to the worker, so callers may reuse their arrays.
   */
  thread?: 'main' | 'worker';
  /**
   * Diagnostics: ONNX Runtime's per-operator profile (Chrome trace JSON, one event per node per
   * run, naming the provider it ran on) goes to a file starting with this prefix when the session
   * closes. Main thread only.
   */
  profile?: string;
}

type OutputMap = Record<string, { data: Float32Array; dims: readonly number[] }>;

/** Each tensor input's declared shape: a number for a fixed axis, a name for a symbolic one. */
export type InputShapes = Readonly<Record<string, readonly (number | string)[]>>;

/** What runs a loaded model: ONNX Runtime in this thread, or on a worker. */
interface Backend {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputShapes: InputShapes;
  run(feeds: Record<string, TensorSpec>, outputs: readonly string[]): Promise<OutputMap>;
  release(): Promise<void>;
}

export interface TensorSpec {
  /** Uint8Array is uint8 (8-bit pixels, a quarter of their float size). */
  data: Float32Array | BigInt64Array | Int32Array | Uint8Array;
  dims: readonly number[];
  /**
   * The caller gives the array up: a worker-thread session moves its buffer instead of copying
   * it (a batch of 16 images is 9.6 MB), and the array is unusable afterwards.
   */
  transfer?: boolean;
}

/** A loaded model. Created once per model file and reused for every batch. */
export class OnnxSession {
  private constructor(
    private readonly backend: Backend,
    readonly device: Exclude<Device, 'auto'>,
    readonly source: string,
  ) {}

  get inputNames(): readonly string[] {
    return this.backend.inputNames;
  }

  /** The shapes the model declares for its inputs, as ONNX Runtime reads them. */
  get inputShapes(): InputShapes {
    return this.backend.inputShapes;
  }

  get outputNames(): readonly string[] {
    return this.backend.outputNames;
  }

  static async create(model: string | Uint8Array, options: SessionOptions = {}): Promise<OnnxSession> {
    const source = typeof model === 'string' ? model : `<${model.byteLength} bytes>`;
    const wanted = options.device ?? 'cpu';
    const order: Exclude<Device, 'auto'>[] = wanted === 'auto' ? ['cuda', 'webgpu', 'cpu'] : [wanted];
    if (options.profile && options.thread === 'worker') {
      throw new RosettaError('INVALID_ARGUMENT', 'profile is only available for sessions on the main thread');
    }
    let lastError: unknown;
    for (const device of order) {
      if (!isDeviceSupported(device)) {
        lastError = new Error(`execution provider '${device}' is not in this onnxruntime-node build`);
        continue;
      }
      const sessionOptions: ort.InferenceSession.SessionOptions = {
        executionProviders: [device],
        graphOptimizationLevel: 'all',
        ...(options.intraOpThreads ? { intraOpNumThreads: options.intraOpThreads } : {}),
        extra: { session: { intra_op: { allow_spinning: options.spinning ? '1' : '0' } } },
        ...(options.profile ? { enableProfiling: true, profileFilePrefix: options.profile } : {}),
      };
      try {
        const backend =
          options.thread === 'worker'
            ? await WorkerBackend.create(model, sessionOptions)
            : await MainThreadBackend.create(model, sessionOptions);
        const created = new OnnxSession(backend, device, source);
        try {
          created.checkNames(options);
        } catch (err) {
          await backend.release();
          throw err;
        }
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
  async run(feeds: Record<string, TensorSpec>, outputs: readonly string[] = this.outputNames): Promise<OutputMap> {
    const out = await this.backend.run(feeds, outputs);
    for (const name of outputs) {
      if (!out[name]) throw new RosettaError('MODEL_INVALID', `model ${this.source} produced no output '${name}'`);
    }
    return out;
  }

  async close(): Promise<void> {
    await this.backend.release();
  }
}

class MainThreadBackend implements Backend {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly profiling: boolean,
  ) {}

  static async create(model: string | Uint8Array, options: ort.InferenceSession.SessionOptions): Promise<MainThreadBackend> {
    return new MainThreadBackend(await ort.InferenceSession.create(model as Uint8Array, options), options.enableProfiling === true);
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get inputShapes(): InputShapes {
    return Object.fromEntries(this.session.inputMetadata.flatMap((m) => (m.isTensor ? [[m.name, [...m.shape]]] : [])));
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  async run(feeds: Record<string, TensorSpec>, outputs: readonly string[]): Promise<OutputMap> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, spec] of Object.entries(feeds)) ortFeeds[name] = toTensor(spec);
    const result = await this.session.run(ortFeeds, outputs as string[]);
    const out: OutputMap = {};
    for (const name of outputs) {
      const t = result[name];
      if (t) out[name] = { data: t.data as Float32Array, dims: t.dims };
    }
    return out;
  }

  async release(): Promise<void> {
    if (this.profiling) this.session.endProfiling();
    await this.session.release();
  }
}

type WorkerReply =
  | { type: 'ready'; inputNames: string[]; outputNames: string[]; inputShapes: InputShapes }
  | { type: 'failed'; error: string }
  | { type: 'result'; id: number; results?: OutputMap; error?: string };

class WorkerBackend implements Backend {
  private nextId = 0;
  private exited = false;
  private readonly pending = new Map<number, { resolve: (o: OutputMap) => void; reject: (e: Error) => void }>();

  private constructor(
    private readonly worker: Worker,
    readonly inputNames: readonly string[],
    readonly outputNames: readonly string[],
    readonly inputShapes: InputShapes,
  ) {
    worker.on('message', (reply: WorkerReply) => {
      if (reply.type !== 'result') return;
      const waiter = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      if (reply.error !== undefined) waiter?.reject(new Error(reply.error));
      else waiter?.resolve(reply.results!);
    });
    worker.on('error', (err) => this.failAll(err));
    worker.on('exit', () => {
      this.exited = true;
      this.failAll(new Error('the ONNX Runtime worker thread exited'));
    });
    // An idle session must not keep the process alive; a pending run must.
    worker.unref();
  }

  static create(model: string | Uint8Array, sessionOptions: ort.InferenceSession.SessionOptions): Promise<WorkerBackend> {
    // execArgv: [] because the worker is plain JS: it needs none of the parent's loaders or flags,
    // and some (--input-type, --eval) make a worker fail to start.
    const worker = new Worker(new URL('./worker.mjs', import.meta.url), { workerData: { model, sessionOptions }, execArgv: [] });
    return new Promise((resolve, reject) => {
      worker.once('error', reject);
      worker.once('message', (reply: WorkerReply) => {
        worker.off('error', reject);
        if (reply.type === 'ready') resolve(new WorkerBackend(worker, reply.inputNames, reply.outputNames, reply.inputShapes));
        else {
          void worker.terminate();
          reject(new Error(reply.type === 'failed' ? reply.error : 'unexpected reply from the ONNX Runtime worker'));
        }
      });
    });
  }

  run(feeds: Record<string, TensorSpec>, outputs: readonly string[]): Promise<OutputMap> {
    const id = this.nextId++;
    const wire: Record<string, { type: string; data: TensorSpec['data']; dims: readonly number[] }> = {};
    for (const [name, spec] of Object.entries(feeds)) wire[name] = { type: tensorType(spec.data), data: spec.data, dims: spec.dims };
    if (this.exited) return Promise.reject(new Error('the ONNX Runtime worker thread has exited'));
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      const moved = Object.values(feeds).flatMap((spec) => (spec.transfer ? [spec.data.buffer as ArrayBuffer] : []));
      this.worker.postMessage({ type: 'run', id, feeds: wire, outputs }, moved);
    });
  }

  async release(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    // Referenced until it exits: an awaited release must keep the process alive.
    this.worker.ref();
    this.worker.postMessage({ type: 'release' });
    await exited;
  }

  private failAll(err: Error): void {
    for (const waiter of this.pending.values()) waiter.reject(err);
    this.pending.clear();
  }
}

function tensorType(data: TensorSpec['data']): 'float32' | 'int64' | 'int32' | 'uint8' {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Uint8Array) return 'uint8';
  return 'int32';
}

function toTensor(spec: TensorSpec): ort.Tensor {
  return new ort.Tensor(tensorType(spec.data), spec.data, spec.dims);
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
