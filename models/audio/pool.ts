import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { transferableCopy, type JobResult, type WorkerJob } from './jobs.ts';

/*
 * A small pool of decoder worker threads. The codecs are WASM builds of C decoders fed with
 * untrusted bytes: one that loops or aborts on a damaged file must not hang or kill the
 * process. Each job therefore runs in a worker with a deadline; a worker that misses it, or
 * dies, is terminated and replaced, and only that job fails. Workers are unref'd while idle so
 * that they never keep the process alive.
 */

export type DecodeFailureKind = 'timeout' | 'crash' | 'too-long' | 'failed' | 'startup';

/** Why a job failed; decode.ts turns it into a RosettaError naming the input. */
export class DecodeFailure extends Error {
  override name = 'DecodeFailure';
  constructor(
    readonly kind: DecodeFailureKind,
    message: string,
  ) {
    super(message);
  }
}

interface Pending {
  job: WorkerJob;
  timeoutMs: number;
  resolve: (r: unknown) => void;
  reject: (e: DecodeFailure) => void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  current: (Pending & { timer?: NodeJS.Timeout }) | null;
}

type WorkerMessage =
  | { ready: true }
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; tooLong: boolean; message: string };

const STARTUP_TIMEOUT_MS = 60_000;

export class DecoderPool {
  private readonly slots = new Set<Slot>();
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closing = false;

  // Up to 4 workers: enough to use a small machine fully; each holds its own WASM codecs.
  constructor(readonly size = Math.max(1, Math.min(4, availableParallelism()))) {}

  /**
   * Runs a job on the next free worker; rejects with a DecodeFailure. The job's input is copied
   * when a worker takes it (not when queued), so a long queue does not double its memory.
   */
  run<J extends WorkerJob>(job: J, timeoutMs: number): Promise<JobResult<J>> {
    return new Promise((resolve, reject) => {
      this.queue.push({ job, timeoutMs, resolve: resolve as (r: unknown) => void, reject });
      this.pump();
    });
  }

  /**
   * Milliseconds the live workers have spent running jobs (their event loops' active time,
   * which includes time spent waiting for a core): the bench's measure of the workers' share.
   */
  busyMs(): number {
    let ms = 0;
    for (const s of this.slots) ms += s.worker.performance.eventLoopUtilization().active;
    return ms;
  }

  /**
   * Lets the jobs already queued finish, then terminates the workers; idle ones go at once.
   * (Failing in-flight jobs instead would blame their files for someone else's close.)
   */
  async close(): Promise<void> {
    this.closing = true;
    await this.stopIdle();
  }

  private async stopIdle(): Promise<void> {
    if (this.queue.length > 0) return;
    const idle = [...this.slots].filter((s) => !s.current);
    for (const s of idle) this.slots.delete(s);
    await Promise.all(idle.map((s) => s.worker.terminate()));
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let slot = [...this.slots].find((s) => s.ready && !s.current);
      if (!slot) {
        if (this.slots.size >= this.size) return;
        // A new worker takes the job once it has loaded (see onMessage 'ready').
        slot = this.spawn();
      }
      const pending = this.queue.shift()!;
      this.assign(slot, pending);
    }
  }

  private assign(slot: Slot, pending: Pending): void {
    const id = this.nextId++;
    slot.current = pending;
    slot.worker.ref();
    const start = (): void => {
      // The deadline counts decoding only, not the worker's start-up.
      slot.current!.timer = setTimeout(() => {
        const what = { decode: 'decoding', describe: 'the descriptor', encode: 'decoding and describing' }[pending.job.kind];
        this.retire(slot, new DecodeFailure('timeout', `${what} took longer than ${(pending.timeoutMs / 1000).toFixed(1)} s`));
      }, pending.timeoutMs);
      // A copy in a fresh buffer: the caller's data may be a view into a shared pool (or still
      // in use), and the copy can be transferred instead of cloned again.
      const { job, transfer } = transferableCopy(pending.job);
      slot.worker.postMessage({ id, job }, transfer);
    };
    if (slot.ready) start();
    else {
      const startupTimer = setTimeout(() => {
        this.retire(slot, new DecodeFailure('startup', `the decoder worker did not start within ${STARTUP_TIMEOUT_MS / 1000} s`));
      }, STARTUP_TIMEOUT_MS);
      slot.worker.once('message', () => {
        clearTimeout(startupTimer);
        if (this.slots.has(slot)) start();
      });
    }
  }

  private spawn(): Slot {
    const worker = new Worker(new URL('./worker.mjs', import.meta.url));
    const slot: Slot = { worker, ready: false, current: null };
    this.slots.add(slot);
    worker.on('message', (msg: WorkerMessage) => this.onMessage(slot, msg));
    worker.on('error', (err) => {
      const kind = slot.ready ? 'crash' : 'startup';
      this.retire(slot, new DecodeFailure(kind, `the decoder ${kind === 'crash' ? 'crashed' : 'worker failed to start'}: ${err.message}`));
    });
    worker.on('exit', (code) => {
      if (this.slots.has(slot)) this.retire(slot, new DecodeFailure('crash', `the decoder exited with code ${code}`));
    });
    return slot;
  }

  private onMessage(slot: Slot, msg: WorkerMessage): void {
    if ('ready' in msg) {
      slot.ready = true;
      return;
    }
    const pending = slot.current;
    if (!pending) return;
    clearTimeout(pending.timer);
    slot.current = null;
    slot.worker.unref();
    if (msg.ok) pending.resolve(msg.result);
    else pending.reject(new DecodeFailure(msg.tooLong ? 'too-long' : 'failed', msg.message));
    this.pump();
    if (this.closing) void this.stopIdle();
  }

  /** Fails the slot's job, terminates the worker and lets a fresh one take the queue. */
  private retire(slot: Slot, failure: DecodeFailure): void {
    if (!this.slots.delete(slot)) return;
    clearTimeout(slot.current?.timer);
    slot.current?.reject(failure);
    slot.current = null;
    slot.worker.removeAllListeners('message');
    slot.worker.on('error', () => {});
    void slot.worker.terminate();
    this.pump();
  }
}

let shared: DecoderPool | null = null;

/** The process-wide pool used by decodeAudio. */
export function decoderPool(): DecoderPool {
  shared ??= new DecoderPool();
  return shared;
}

/** Stops the shared pool's workers (a later decode starts new ones). */
export async function closeDecoderPool(): Promise<void> {
  const p = shared;
  shared = null;
  await p?.close();
}
