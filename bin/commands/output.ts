/**
 * Lines for stdout that stop quietly when the reader goes away (`rosetta search --json | head -1`):
 * the first write after the pipe closed fails with EPIPE, asynchronously, as an 'error' event on
 * process.stdout, which without a listener kills the process with a stack trace (and an index
 * job with it, leaving the job 'running'). Commands keep working; only their output is dropped.
 */
let closed = false;
let watching = false;

function watch(): void {
  if (watching) return;
  watching = true;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') closed = true;
    // Anything else is a real failure of the terminal or file, reported as before.
    else throw err;
  });
}

/**
 * Writes one line to stdout, or nothing once stdout is closed.
 *
 * @example
 * printLine(JSON.stringify({ rank: 1, id: 4 })) // '{"rank":1,"id":4}\n' on stdout
 */
export function printLine(line: string): void {
  watch();
  if (!closed) process.stdout.write(line + '\n');
}

/** The same for text that carries its own newlines (a report). */
export function printText(text: string): void {
  watch();
  if (!closed) process.stdout.write(text);
}

/** Whether the reader of stdout has gone away. */
export function stdoutClosed(): boolean {
  return closed;
}
