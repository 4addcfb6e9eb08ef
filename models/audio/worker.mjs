// Worker thread for pool.ts: runs jobs.ts (decoding with audio-decode's codecs, downmix and
// resampling; a descriptor; or both) away from the caller's thread, so that a codec that loops or
// crashes on a damaged file can be killed and replaced without taking the process down, and so
// that two clips are worked on at once.
//
// Plain JavaScript because a worker thread does not inherit the parent's TypeScript loader
// under every runner (vitest's, for one); it registers tsx itself, as bin/rosetta.js does.
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

// mpg123 prints a line for every damaged frame; the caller reports failures itself.
console.error = console.warn = console.log = () => {};

register();
const { runJob } = await import('./jobs.ts');
const { TooLongError } = await import('./decode-job.ts');

parentPort.on('message', async ({ id, job }) => {
  try {
    const result = await runJob(job);
    // Transfer the arrays (samples, a descriptor) rather than copy them; a view into a larger
    // (or WASM) buffer is copied out first, since only a whole plain ArrayBuffer can be moved.
    const whole = (a) => (a.byteOffset === 0 && a.byteLength === a.buffer.byteLength ? a : a.slice());
    const transfer = [];
    const own = (a) => {
      const w = whole(a);
      if (w.buffer.byteLength > 0) transfer.push(w.buffer);
      return w;
    };
    const out = result instanceof Float32Array ? own(result) : Object.fromEntries(Object.entries(result).map(([k, v]) => [k, v instanceof Float32Array ? own(v) : v]));
    parentPort.postMessage({ id, ok: true, result: out }, transfer);
  } catch (err) {
    parentPort.postMessage({ id, ok: false, tooLong: err instanceof TooLongError, message: String(err?.message ?? err) });
  }
});
parentPort.postMessage({ ready: true });
