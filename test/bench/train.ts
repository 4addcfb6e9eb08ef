// npm run bench:train [-- --quick] [-- --devices cpu,webgpu,cuda] — Stage-2 training throughput
// (steps/s, pairs/s) for each device in one run, on synthetic pairs at realistic sizes: image
// features 384-d (the built-in CNN), captions of ~100 hashed ids from a ~50,000-id vocabulary
// (Zipf-drawn), d = 256, batch 256. The full run times one epoch of 50,000 pairs and projects
// the goal workload (50,000 pairs x 20 epochs, <= 10 minutes on the 2-core box).
// BENCH_JSON=<file> also writes the numbers as JSON rows (for BENCHMARKS.md, see all.ts).
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { bagHead, denseHead, INITIAL_LOG_SCALE, trainAlignment, type AlignModel, type PairData } from '../../models/align/index.ts';
import { probeDevice } from '../../models/space/index.ts';
import type { Device } from '../../models/index.ts';
import { median } from './timing.ts';

const { values } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, devices: { type: 'string', default: 'cpu,webgpu' }, pairs: { type: 'string' } },
});
const PAIRS = Number(values.pairs ?? (values.quick ? 6_000 : 50_000));
const VAL = 512;
const IN_DIM = 384;
const DIM = 256;
const VOCAB = 50_000;
const IDS_PER_CAPTION = 100;
const BATCH = 256;
const GOAL = { pairs: 50_000, epochs: 20, seconds: 600 };

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Pairs whose caption ids depend on a latent topic also visible in the image features. */
function pairs(n: number, seed: number): PairData {
  const rand = rng(seed);
  const cdf = new Float64Array(VOCAB);
  let total = 0;
  for (let r = 0; r < VOCAB; r++) cdf[r] = total += 1 / (r + 1);
  const zipf = () => {
    const u = rand() * total;
    let lo = 0;
    let hi = VOCAB - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const x = new Float32Array(n * IN_DIM);
  const rows = [];
  for (let i = 0; i < n; i++) {
    const topic = Math.floor(rand() * 512);
    for (let j = 0; j < IN_DIM; j++) x[i * IN_DIM + j] = rand() - 0.5 + (j === topic % IN_DIM ? 2 : 0);
    const ids = new Set<number>([(topic * 97) % VOCAB]);
    while (ids.size < IDS_PER_CAPTION) ids.add(zipf());
    const sorted = Uint32Array.from([...ids].sort((a, b) => a - b));
    rows.push({ ids: sorted, weights: new Float32Array(sorted.length).fill(1 / Math.sqrt(sorted.length)) });
  }
  return { a: { kind: 'dense', count: n, dim: IN_DIM, data: x }, b: { kind: 'sparse', rows } };
}

function model(): AlignModel {
  const rand = rng(3);
  const W = Float32Array.from({ length: IN_DIM * DIM }, () => (rand() - 0.5) * 0.1);
  const ids = Uint32Array.from({ length: VOCAB }, (_, i) => i);
  const E = Float32Array.from({ length: VOCAB * DIM }, () => (rand() - 0.5) * 0.1);
  return { heads: { image: denseHead({ inDim: IN_DIM, dim: DIM, W }), text: bagHead(ids, E, DIM) }, logScale: INITIAL_LOG_SCALE };
}

/** One number of the run, as BENCHMARKS.md shows it. */
interface Row {
  what: string;
  /** null for a device that was skipped (the note says why). */
  value: number | null;
  unit: string;
  goal?: string;
  note?: string;
}
const rows: Row[] = [];

let t = performance.now();
const train = pairs(PAIRS, 1);
const val = pairs(VAL, 2);
console.log(`rosetta bench:train — ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}; ${PAIRS} pairs (+${VAL} val), image ${IN_DIM}-d, text ${VOCAB} ids x ~${IDS_PER_CAPTION}/caption, d=${DIM}, batch ${BATCH}; data made in ${((performance.now() - t) / 1000).toFixed(1)} s`);

for (const device of values.devices.split(',').map((d) => d.trim()) as Device[]) {
  try {
    await probeDevice(device);
  } catch (err) {
    console.log(`${device.padEnd(7)} skipped: ${(err as Error).message.split('\n')[0].slice(0, 200)}`);
    rows.push({ what: `${device}: skipped`, value: null, unit: '', note: (err as Error).message.split('\n')[0].slice(0, 200) });
    continue;
  }
  const stepMs: number[] = [];
  let last = 0;
  t = performance.now();
  const result = await trainAlignment(model(), [{ name: 'image-text', a: 'image', b: 'text', train, val }], {
    epochs: 1,
    batchSize: BATCH,
    seed: 1,
    device,
    onStep: () => {
      const now = performance.now();
      if (last > 0) stepMs.push(now - last);
      last = now;
    },
  });
  const wall = (performance.now() - t) / 1000;
  const steps = stepMs.length + 1;
  const perStep = median(stepMs);
  const pairsPerSecond = (BATCH * 1000) / perStep;
  const projected = (GOAL.pairs * GOAL.epochs) / pairsPerSecond;
  const setup = `${PAIRS} synthetic pairs, image ${IN_DIM}-d, text ${VOCAB} ids, d=${DIM}, batch ${BATCH}`;
  rows.push(
    { what: `${result.device}: training steps`, value: 1000 / perStep, unit: 'steps/s', note: setup },
    { what: `${result.device}: pairs`, value: pairsPerSecond, unit: 'pairs/s', note: setup },
    { what: `${result.device}: one epoch incl. validation`, value: wall, unit: 's', note: setup },
    { what: `${result.device}: projected ${GOAL.pairs} pairs x ${GOAL.epochs} epochs`, value: projected / 60, unit: 'min', goal: `<= ${GOAL.seconds / 60}`, note: 'from the median step' },
  );
  console.log(
    `${result.device.padEnd(7)} ${steps} steps: ${(1000 / perStep).toFixed(2)} steps/s, ${pairsPerSecond.toFixed(0)} pairs/s (median step ${perStep.toFixed(0)} ms); ` +
      `epoch incl. validation ${wall.toFixed(1)} s. Projected ${GOAL.pairs} pairs x ${GOAL.epochs} epochs: ${(projected / 60).toFixed(1)} min ` +
      `(goal <= ${GOAL.seconds / 60} min: ${projected <= GOAL.seconds ? 'met' : 'NOT met'})`,
  );
}

// The GPU goal is a ratio on the same data in the same run: webgpu's pairs/s over the cpu's.
const rate = (device: string) => rows.find((r) => r.what === `${device}: pairs`)?.value;
const [cpuRate, gpuRate] = [rate('cpu'), rate('webgpu')];
if (cpuRate && gpuRate) {
  const ratio = gpuRate / cpuRate;
  rows.push({ what: 'webgpu / cpu: pairs/s', value: ratio, unit: 'x', goal: '>= 10', note: `${os.cpus().length} CPU cores` });
  console.log(`webgpu / cpu: ${ratio.toFixed(2)}x the pairs/s (goal >= 10x: ${ratio >= 10 ? 'met' : 'NOT met'})`);
}

if (process.env.BENCH_JSON) {
  writeFileSync(process.env.BENCH_JSON, JSON.stringify({ bench: 'train', date: new Date().toISOString(), argv: process.argv.slice(2), loadAverage: os.loadavg(), rows }, null, 2) + '\n');
}
