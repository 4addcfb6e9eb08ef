// The image encoder's CNN (bare ONNX Runtime, uint8 NHWC batches as the encoder feeds it) on
// the CPU and on WebGPU, in one run: whether `--device auto` should pick WebGPU for encoders.
//   npx tsx test/bench/gpu/cnn-devices.ts MODEL.onnx [--size 224] [--batch 16] [--devices cpu,webgpu]
import { parseArgs } from 'node:util';
import { OnnxSession, type Device } from '../../../models/runtime/index.ts';
import { median, timeRuns } from '../timing.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { size: { type: 'string', default: '224' }, batch: { type: 'string', default: '16' }, devices: { type: 'string', default: 'cpu,webgpu' }, runs: { type: 'string', default: '20' } },
});
const [size, batch, runs] = [Number(values.size), Number(values.batch), Number(values.runs)];
const pixels = Uint8Array.from({ length: batch * size * size * 3 }, (_, i) => (i * 2654435761) >>> 24);
const rates: Record<string, number> = {};
for (const device of values.devices.split(',') as Device[]) {
  let session: OnnxSession;
  try {
    session = await OnnxSession.create(positionals[0], { device });
  } catch (err) {
    console.log(`${device}: skipped (${(err as Error).message.slice(0, 160)})`);
    continue;
  }
  const run = async () => {
    await session.run({ [session.inputNames[0]]: { data: pixels, dims: [batch, size, size, 3] } });
  };
  await timeRuns(3, run); // warm-up
  const ms = await timeRuns(runs, run);
  await session.close();
  rates[device] = (batch * 1000) / median(ms);
  console.log(`${device}: batch of ${batch} ${size}-px images in ${median(ms).toFixed(1)} ms (median of ${runs}): ${rates[device].toFixed(0)} images/s`);
}
if (rates.cpu && rates.webgpu) console.log(`webgpu / cpu: ${(rates.webgpu / rates.cpu).toFixed(2)}x the images/s`);
