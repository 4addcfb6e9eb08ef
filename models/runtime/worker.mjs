// One ONNX Runtime session on its own thread. onnxruntime-node runs inference synchronously on
// the calling thread, so a session on the main thread stalls everything else there (decoding
// callbacks, HTTP requests) for the length of a batch. Plain JS: it needs no TypeScript loader.
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';

const message = (err) => (err instanceof Error ? err.message : String(err));
let session;
try {
  session = await ort.InferenceSession.create(workerData.model, workerData.sessionOptions);
  parentPort.postMessage({ type: 'ready', inputNames: session.inputNames, outputNames: session.outputNames, inputShapes: inputShapes(session) });
} catch (err) {
  parentPort.postMessage({ type: 'failed', error: message(err) });
}

parentPort.on('message', async (msg) => {
  if (msg.type === 'release') {
    await session?.release();
    parentPort.close();
    return;
  }
  try {
    const feeds = {};
    for (const [name, f] of Object.entries(msg.feeds)) feeds[name] = new ort.Tensor(f.type, f.data, f.dims);
    const out = await session.run(feeds, msg.outputs);
    const results = {};
    const transfer = [];
    for (const name of msg.outputs) {
      // A copy: an output may live in memory owned by the runtime, which cannot be transferred.
      const data = out[name].data.slice();
      results[name] = { data, dims: out[name].dims };
      transfer.push(data.buffer);
    }
    parentPort.postMessage({ type: 'result', id: msg.id, results }, transfer);
  } catch (err) {
    parentPort.postMessage({ type: 'result', id: msg.id, error: message(err) });
  }
});

/** Each tensor input's declared shape (numbers for fixed axes, names for symbolic ones). */
function inputShapes(session) {
  return Object.fromEntries(session.inputMetadata.filter((m) => m.isTensor).map((m) => [m.name, [...m.shape]]));
}
