/**
 * Runs tasks one at a time, in the order they were queued; a failed task does not stop the
 * ones after it. Tasks queued with `write` also form a barrier that readers can wait on, so a
 * read issued after a write sees it. Hand-written because it is a few lines and no queue
 * library is installed (p-queue with `concurrency: 1` would do the queue part).
 *
 * @example
 * const q = new SerialQueue();
 * void q.write(() => index.addPoint(v, 1));
 * await q.writesDone();              // the add has run
 * await q.run(() => index.writeIndex(path)); // queued after the add
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;
  private writing = 0;
  private lastWrite: Promise<unknown> = Promise.resolve();

  /** Queues a task that does not change what readers see (a save, say). */
  run<T>(task: () => T | Promise<T>): Promise<T> {
    this.waiting++;
    const result = this.tail.then(task);
    this.tail = result.then(
      () => this.waiting--,
      () => this.waiting--,
    );
    return result;
  }

  /** Queues a task that changes what readers see. */
  write<T>(task: () => T | Promise<T>): Promise<T> {
    this.writing++;
    const result = this.run(task);
    this.lastWrite = result.then(
      () => this.writing--,
      () => this.writing--,
    );
    return result;
  }

  /**
   * Resolves once every write queued so far has settled; `undefined` when none is pending,
   * so that a reader can stay synchronous in the common case.
   */
  writesDone(): Promise<unknown> | undefined {
    return this.writing > 0 ? this.lastWrite : undefined;
  }

  /** Queued or running tasks. */
  get pending(): number {
    return this.waiting;
  }

  /** Resolves once every task queued so far has settled. */
  async idle(): Promise<void> {
    await this.tail;
  }
}
