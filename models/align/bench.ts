// Throughput of the Stage-2 training step on a realistic size: `npx tsx models/align/bench.ts`.
// Image features p = 1280 -> d = 256, batch 256, captions with ~100 ids from a 50,000-row vocabulary
// (Zipf-drawn, so a batch touches several thousand distinct rows). Goal: 50,000 pairs x 20 epochs
// in 10 minutes, i.e. >= ~1,700 pairs/s.
//   --steps N      timed steps (default 20)       --hidden H   residual MLP width (default 0)
//   --threads T    ORT intra-op threads            --device D   cpu | webgpu | cuda | auto
//   --bag-update host|graph   where the text rows' AdamW runs (default host)
//   --check        also run 3 steps twice from one start and report whether parameters match bitwise
//   --profile P    ONNX Runtime's per-operator profile of the timed steps, to files named P_*.json
//   --compare      also compare --device with the CPU from one start: each gradient of one batch,
//                  then the losses and parameters of up to 10 training steps (relative L2 differences)
import { parseArgs } from 'node:util';
import { parseDevice } from '../runtime/index.ts';
import { shapeOf } from './head-params.ts';
import { PairBatcher, shuffled } from './pair-batches.ts';
import { compareWithCpu, trainedTensors, trainFrom } from './device-compare.ts';
import { Validator } from './retrieval-eval.ts';
import { AlignStep } from './step.ts';
import { defaultAdamW, initPairAdam } from './adamw.ts';
import { plantedPairs, splitPairs } from './synthetic.ts';
import { mulberry32 } from './head-params.ts';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '20' },
    hidden: { type: 'string', default: '0' },
    threads: { type: 'string' },
    device: { type: 'string', default: 'cpu' },
    check: { type: 'boolean', default: false },
    compare: { type: 'boolean', default: false },
    profile: { type: 'string' },
    'bag-update': { type: 'string', default: 'host' },
  },
});
const steps = Number(values.steps);
const batchSize = 256;
const device = parseDevice(values.device);
const threads = values.threads ? { intraOpThreads: Number(values.threads) } : {};
const bagUpdate = values['bag-update'] === 'graph' ? 'graph' : 'host';

let t = performance.now();
const { data, params } = plantedPairs({
  pairs: batchSize * (steps + 2) + 2560,
  latent: 16,
  inDim: 1280,
  dim: 256,
  seed: 1,
  side: 'bag',
  vocab: 50_000,
  noiseIds: 84,
  hidden: Number(values.hidden),
});
const [train, val] = splitPairs(data, batchSize * (steps + 2));
console.log(`data: ${train.a.count} train + ${val.a.count} val pairs in ${((performance.now() - t) / 1000).toFixed(1)} s`);

const step = await AlignStep.create({ a: shapeOf(params.a), b: shapeOf(params.b) }, {
  mode: 'train',
  device,
  bagUpdate,
  ...threads,
  ...(values.profile ? { profile: values.profile } : {}),
});
const batcher = new PairBatcher(train, params);
const order = shuffled(batcher.size, mulberry32(1));
const adam = initPairAdam(params);
const rows: number[] = [];
const timings = { batch: 0, feed: 0, run: 0, writeBack: 0, total: 0, cpu: 0 };
const walls: number[] = [];
for (let i = 0; i < steps + 2; i++) {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const batch = batcher.batch(order.subarray(i * batchSize, (i + 1) * batchSize));
  const t1 = performance.now();
  await step.train(batch, params, adam, defaultAdamW);
  if (i < 2) continue; // warm-up: the first runs allocate ORT's arenas
  const s = step.lastTimings;
  timings.batch += t1 - t0;
  timings.feed += s.feedMs;
  timings.run += s.runMs;
  timings.writeBack += s.writeBackMs;
  timings.total += performance.now() - t0;
  walls.push(performance.now() - t0);
  const c = process.cpuUsage(c0);
  timings.cpu += (c.user + c.system) / 1000;
  if (batch.b.kind === 'bag') rows.push(batch.b.rows.length);
}
// The median step: a shared machine's preemption spikes inflate the mean.
const perStep = walls.sort((x, y) => x - y)[walls.length >> 1];
const pairsPerSecond = (batchSize * 1000) / perStep;
console.log(`device ${step.device}, bag update on ${bagUpdate}, hidden ${values.hidden}, threads ${values.threads ?? 'default'}, batch ${batchSize}, mean U ${Math.round(rows.reduce((a, b) => a + b, 0) / rows.length)} rows`);
// Wall time suffers when other processes share the cores; CPU time (all threads) does much less.
console.log(`step: ${perStep.toFixed(1)} ms wall (median; mean ${(timings.total / steps).toFixed(1)}), ${(timings.cpu / steps).toFixed(1)} ms CPU (${(1000 / perStep).toFixed(2)} steps/s, ${Math.round(pairsPerSecond)} pairs/s)`);
console.log(
  `  per step: batch build ${(timings.batch / steps).toFixed(1)} ms, feeds+gather ${(timings.feed / steps).toFixed(1)} ms, ` +
    `ONNX run ${(timings.run / steps).toFixed(1)} ms, write-back+scatter ${(timings.writeBack / steps).toFixed(1)} ms`,
);
console.log(`  50,000 pairs x 20 epochs: ${((50_000 * 20) / pairsPerSecond / 60).toFixed(1)} min of steps (goal <= 10)`);
await step.close();

t = performance.now();
const validator = await Validator.create({ a: shapeOf(params.a), b: shapeOf(params.b) }, { batchSize, device, ...threads });
const result = await validator.evaluate(params, new PairBatcher(val, params));
await validator.close();
console.log(`validation of ${val.a.count} pairs (embed, rank both ways, loss): ${((performance.now() - t) / 1000).toFixed(2)} s; R@10 a->b ${result.recall.aToB.r10.toFixed(3)}`);

const batchAt = (i: number) => batcher.batch(order.subarray(i * batchSize, (i + 1) * batchSize));

if (values.check) {
  const firstThree = [0, 1, 2].map(batchAt);
  const [r1, r2] = [await trainFrom(params, firstThree, { device, ...threads }), await trainFrom(params, firstThree, { device, ...threads })];
  const [t1, t2] = [trainedTensors(r1.params), trainedTensors(r2.params)];
  const identical = Object.keys(t1).every((k) => t1[k].length === t2[k].length && t1[k].every((v, i) => Object.is(v, t2[k][i])));
  console.log(`reproducibility at full size (3 steps, same start): ${identical ? 'bitwise identical' : 'DIFFERENT'}`);
}

if (values.compare) {
  const batches = Array.from({ length: Math.min(10, steps + 2) }, (_, i) => batchAt(i));
  const c = await compareWithCpu(params, batches, { device, bagUpdate, ...threads });
  const list = (errors: Record<string, number>) => Object.entries(errors).map(([k, e]) => `${k} ${e.toExponential(1)}`).join(', ');
  console.log(`compare ${c.device} with cpu, one batch: loss ${c.loss.device.toFixed(6)} vs ${c.loss.cpu.toFixed(6)}; gradients' relative L2 error: ${list(c.gradients)}`);
  console.log(
    `compare ${c.device} with cpu, ${batches.length} steps (bag update on ${bagUpdate}): max |loss difference| ${c.lossGap.toExponential(1)}; ` +
      `parameters' relative L2 difference: ${list(c.parameters)}`,
  );
}
