/**
 * Calls into a worker thread that hosts one object (an HNSW index, a read-only SQLite
 * connection), for the parts of a search that would otherwise hold the main thread: native
 * calls such as hnswlib's searchKnn and better-sqlite3's queries are synchronous, so on the
 * main thread they stall every other request for their length.
 *
 * Every thread starts in worker-entry.mjs, which registers tsx and imports the TypeScript
 * module the caller names (the one calling `serveRpc`), so the hosted object is our own code,
 * not a copy of it in JS.
 * Handlers start in the order calls were made (none waits for the one before), so an object
 * that queues its own work (HnswIndex's SerialQueue) keeps its ordering across the thread.
 */
import { isMainThread, parentPort, Worker, workerData, type Transferable } from 'node:worker_threads';
import { errorCodes, isRosettaError, RosettaError, type ErrorCode } from './errors.ts';

interface Call {
  id: number;
  op: string;
  args: unknown[];
}

interface Reply {
  id: number;
  result?: unknown;
  error?: { code?: string; message: string };
}

/**
 * The caller's side: one worker, calls answered by id. An idle worker does not keep the
 * process alive; one with a call in flight does.
 *
 * @example
 * const rpc = new WorkerRpc(new URL('./caption-reader-thread.ts', import.meta.url), { file }, 'caption reader');
 * await rpc.call<number[]>('keywordIds', ['red bird', 20]);
 */
export class WorkerRpc {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void }>();
  private nextId = 0;
  /** Set once no call can be taken any more; every later call rejects with it. */
  private refusal: Error | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    /** The module that calls serveRpc in the thread. */
    module: URL,
    /** What the module reads with rpcData(). */
    data: unknown,
    /** Names the thread in errors: "the HNSW index thread has exited". */
    private readonly what: string,
  ) {
    // execArgv: [] because the entry registers its own loader; some parent flags (--input-type,
    // --eval) make a worker fail to start. Calls made before it is up wait in its message port.
    this.worker = new Worker(new URL('./worker-entry.mjs', import.meta.url), { workerData: { module: module.href, data }, execArgv: [] });
    this.worker.on('message', (reply: Reply) => {
      const waiter = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (this.pending.size === 0) this.worker.unref();
      if (!waiter) return;
      if (reply.error) waiter.reject(toError(reply.error));
      else waiter.resolve(reply.result);
    });
    this.worker.on('error', (err) => this.fail(new RosettaError('INTERNAL', `the ${what} thread failed: ${err.message}`, { cause: err })));
    this.worker.on('exit', (code) => this.fail(new RosettaError('INTERNAL', `the ${what} thread has exited (code ${code})`)));
    // An idle thread must not keep the process alive; a pending call must (see call()).
    this.worker.unref();
  }

  call<T>(op: string, args: unknown[] = [], transfer: readonly Transferable[] = []): Promise<T> {
    if (this.refusal) return Promise.reject(this.refusal);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      if (this.pending.size === 1) this.worker.ref();
      this.worker.postMessage({ id, op, args } satisfies Call, transfer);
    });
  }

  /**
   * Lets the calls already made settle (a save finishes its file), then ends the thread.
   * Idempotent. Later calls reject with INTERNAL: using a closed object is a bug in the caller.
   */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    const settling = [...this.pending.values()].map(
      (waiter) =>
        new Promise<void>((done) => {
          const { resolve, reject } = waiter;
          waiter.resolve = (value) => (resolve(value), done());
          waiter.reject = (err) => (reject(err), done());
        }),
    );
    this.refusal ??= new RosettaError('INTERNAL', `the ${this.what} was used after close()`);
    await Promise.all(settling);
    // Referenced until it exits, so that an awaited close keeps the process alive.
    this.worker.ref();
    await this.worker.terminate();
  }

  /** The thread is gone or unusable: reject what waits, and everything later. */
  private fail(err: Error): void {
    this.refusal ??= err;
    for (const waiter of this.pending.values()) waiter.reject(err);
    this.pending.clear();
  }
}

/** In a thread, the data its WorkerRpc was given. */
export function rpcData<T>(): T {
  return (workerData as { data: T }).data;
}

/**
 * The worker's side: answers each call with `handlers[op](...args)`. A RosettaError crosses
 * with its code; anything else becomes INTERNAL.
 *
 * @example serveRpc({ keywordIds: (text: string, limit: number) => plan(text, limit) });
 */
export function serveRpc(handlers: Record<string, (...args: never[]) => unknown>, transferOf?: (result: unknown) => Transferable[]): void {
  if (isMainThread || !parentPort) throw new RosettaError('INTERNAL', 'serveRpc runs in a worker thread');
  const port = parentPort;
  port.on('message', ({ id, op, args }: Call) => {
    const handler = handlers[op];
    const settle = (reply: Omit<Reply, 'id'>, transfer: Transferable[] = []) => port.postMessage({ id, ...reply }, transfer);
    if (!handler) {
      settle({ error: { code: 'INTERNAL', message: `no operation '${op}' in this thread` } });
      return;
    }
    // Started now, in message order; only the reply waits for it.
    Promise.resolve()
      .then(() => handler(...(args as never[])))
      .then(
        (result) => settle({ result }, transferOf?.(result) ?? []),
        (err: unknown) => settle({ error: { ...(isRosettaError(err) ? { code: err.code } : {}), message: err instanceof Error ? err.message : String(err) } }),
      );
  });
}

function toError({ code, message }: NonNullable<Reply['error']>): Error {
  return code !== undefined && code in errorCodes ? new RosettaError(code as ErrorCode, message) : new RosettaError('INTERNAL', message);
}
