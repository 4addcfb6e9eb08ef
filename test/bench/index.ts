// npm run bench:index [-- --quick] — `rosetta index` end to end on generated media, and the
// vector index at collection scale, in one run:
//   1. 2,000 512-px JPEGs and 300 5-s WAVs (22.05 kHz) in a temp dir, indexed by runIndexJob
//      with the built-in encoders into a fresh store (random 256-d projector): items/s, peak
//      RSS, bytes on disk per item; then the same job again (everything unchanged).
//   2. 100,000 synthetic 256-d vectors in HnswIndex: build time, recall@10 against ExactIndex
//      at the default search parameters, queries/s.
// Goals on the 2-core dev machine: >= 50 images/s, peak RSS <= 1.5 GB, recall@10 >= 0.98.
// BENCH_JSON=<file> also writes the numbers as JSON rows (for BENCHMARKS.md, see all.ts).
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { runIndexJob, type IndexSummary } from '../../indexer/job/index.ts';
import { makeImage, makeWav } from '../../indexer/job/testing.ts';
import { openStore, randomLinearProjector } from '../../indexer/store/index.ts';
import { ExactIndex, HnswIndex, defaultEf } from '../../indexer/vector/index.ts';
import { loadTestEncoders } from '../helpers/index-child.ts';
import { median, percentile } from './timing.ts';
import { mulberry32, normal } from '../../models/random.ts';

const quick = process.argv.includes('--quick');
const IMAGES = quick ? 200 : 2000;
const CLIPS = quick ? 30 : 300;
const VECTORS = quick ? 10_000 : 100_000;
const DIM = 256;
const QUERIES = quick ? 100 : 200;
const BATCH = 32;

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const log = (line: string) => process.stdout.write(line + '\n');

/** One number of the run, as BENCHMARKS.md shows it. */
interface Row {
  what: string;
  value: number;
  unit: string;
  goal?: string;
  note?: string;
}
const rows: Row[] = [];
const row = (what: string, value: number, unit: string, extra: { goal?: string; note?: string } = {}) => rows.push({ what, value, unit, ...extra });

/** Highest RSS seen by a 50-ms sampler, beside the kernel's own high-water mark. */
function rssSampler(): { stop(): number } {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage().rss);
    },
  };
}

function duSync(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? duSync(p) : statSync(p).size;
  }
  return total;
}

async function generate(dir: string): Promise<void> {
  mkdirSync(join(dir, 'images'), { recursive: true });
  mkdirSync(join(dir, 'audio'), { recursive: true });
  const t = performance.now();
  for (let i = 0; i < IMAGES; i += 8) {
    // sharp encodes on its own threads: a few at once.
    await Promise.all(
      Array.from({ length: Math.min(8, IMAGES - i) }, async (_, j) =>
        writeFileSync(join(dir, 'images', `${String(i + j).padStart(5, '0')}.jpg`), await makeImage(i + j, 512)),
      ),
    );
  }
  for (let i = 0; i < CLIPS; i++) writeFileSync(join(dir, 'audio', `${String(i).padStart(4, '0')}.wav`), makeWav(i, 5, 22_050));
  log(`generated ${IMAGES} images (${mb(duSync(join(dir, 'images')))}) and ${CLIPS} clips (${mb(duSync(join(dir, 'audio')))}) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}

async function indexing(): Promise<void> {
  const work = mkdtempSync(join(os.tmpdir(), 'rosetta-bench-index-'));
  try {
    await generate(work);
    const db = join(work, 'collection');
    const sampler = rssSampler();
    const t0 = performance.now();
    const encoders = await loadTestEncoders();
    const loadS = (performance.now() - t0) / 1000;
    const store = await openStore(db, { projector: randomLinearProjector({ version: 'bench', dim: DIM, seed: 3 }) });
    const job = async (what: string, paths: string[]): Promise<IndexSummary> => {
      const cpu = process.cpuUsage();
      const s = await runIndexJob(store, encoders, { paths, batchSize: BATCH });
      const used = process.cpuUsage(cpu);
      const rate = s.total / s.seconds;
      // CPU time per file says what an idle machine would do: wall time here depends on the load.
      const cpuMs = (used.user + used.system) / 1000 / Math.max(1, s.total);
      log(
        `${what.padEnd(16)} ${String(s.total).padStart(5)} files  ${s.seconds.toFixed(1).padStart(6)} s  ${rate.toFixed(1).padStart(7)} items/s` +
          `  ${cpuMs.toFixed(1)} CPU-ms/file  (added ${s.added}, unchanged ${s.unchanged}, duplicates ${s.duplicates}, failed ${s.failed})`,
      );
      return s;
    };
    log(`encoders loaded in ${loadS.toFixed(1)} s (${encoders.image.identity.name}, ${encoders.audio.identity.name}, ${encoders.text.identity.name})`);
    const images = await job('images', [join(work, 'images')]);
    const audio = await job('audio clips', [join(work, 'audio')]);
    const rerun = await job('re-run (all)', [join(work, 'images'), join(work, 'audio')]);
    await store.close();
    await Promise.allSettled([encoders.image.close(), encoders.audio.close(), encoders.text.close()]);
    const peak = sampler.stop();
    const maxRss = process.resourceUsage().maxRSS * 1024;
    const items = images.added + audio.added;
    const disk = duSync(db);
    const media = `${IMAGES} 512-px JPEGs + ${CLIPS} 5-s WAVs, batch ${BATCH}, built-in encoders`;
    row('encoders loaded', loadS, 's', { note: media });
    row('images indexed', images.total / images.seconds, 'images/s', { goal: '>= 50', note: media });
    row('audio clips indexed', audio.total / audio.seconds, 'clips/s', { note: media });
    row('end to end, all items', items / (images.seconds + audio.seconds), 'items/s', { note: media });
    row('re-run, everything unchanged', rerun.total / rerun.seconds, 'files/s', { note: media });
    row('peak RSS (sampled every 50 ms)', peak / 2 ** 20, 'MB', { goal: '<= 1536', note: media });
    row('on disk per item', disk / items / 1024, 'KiB', { note: 'SQLite + HNSW + thumbnails' });
    log(`end to end       ${items} items in ${(images.seconds + audio.seconds).toFixed(1)} s = ${(items / (images.seconds + audio.seconds)).toFixed(1)} items/s; images ${(images.total / images.seconds).toFixed(1)}/s (goal >= 50), clips ${(audio.total / audio.seconds).toFixed(1)}/s`);
    log(`re-run           ${(rerun.total / rerun.seconds).toFixed(0)} files/s, all unchanged: ${rerun.unchanged === items}`);
    log(`peak RSS         sampled ${mb(peak)}, maxRSS ${mb(maxRss)} (goal <= 1536 MB)`);
    log(`on disk          ${mb(disk)} = ${(disk / items / 1024).toFixed(1)} KiB per item (${readdirSync(db).join(', ')})`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Like encoder embeddings: 32-d Gaussian codes through a fixed 32 x DIM map, plus 10% noise. */
function lowRank(n: number, seed: number): Float32Array[] {
  // The basis has its own fixed seed, so every call shares one map whatever `seed` is.
  const basisUniform = mulberry32(424242);
  const basis = Array.from({ length: 32 }, () => Float32Array.from({ length: DIM }, () => normal(basisUniform)));
  const uniform = mulberry32(seed);
  const gauss = () => normal(uniform);
  return Array.from({ length: n }, () => {
    const out = Float32Array.from({ length: DIM }, () => 0.1 * Math.sqrt(32) * gauss());
    for (let r = 0; r < 32; r++) {
      const c = gauss();
      const row = basis[r];
      for (let j = 0; j < DIM; j++) out[j] += c * row[j];
    }
    return out;
  });
}

async function vectors(): Promise<void> {
  const points = lowRank(VECTORS, 1);
  const queries = lowRank(QUERIES, 2);
  const hnsw = new HnswIndex(DIM, { initialCapacity: VECTORS });
  let t = performance.now();
  for (let i = 0; i < VECTORS; i++) void hnsw.add(i + 1, points[i]);
  await hnsw.search(queries[0], 1); // waits for the queued adds
  const buildS = (performance.now() - t) / 1000;
  const exact = new ExactIndex(DIM);
  for (let i = 0; i < VECTORS; i++) void exact.add(i + 1, points[i]);
  const truth = [];
  for (const q of queries) truth.push(await exact.search(q, 10));
  let found = 0;
  const latencies: number[] = [];
  for (let i = 0; i < QUERIES; i++) {
    t = performance.now();
    const hits = await hnsw.search(queries[i], 10);
    latencies.push(performance.now() - t);
    const want = new Set(truth[i].map((h) => h.id));
    found += hits.filter((h) => want.has(h.id)).length;
  }
  const recall = found / (QUERIES * 10);
  // Throughput over a longer sequential stream of queries.
  const stream = 1000;
  t = performance.now();
  for (let i = 0; i < stream; i++) await hnsw.search(queries[i % QUERIES], 10);
  const qps = stream / ((performance.now() - t) / 1000);
  const setup = `${VECTORS} x ${DIM} low-rank synthetic, M=16, efConstruction=200`;
  row('HNSW build', VECTORS / buildS, 'vectors/s', { note: setup });
  row('HNSW recall@10 vs exact', recall, '', { goal: '>= 0.98', note: `${setup}, ef=${defaultEf(10)}, ${QUERIES} queries` });
  row('HNSW queries, sequential', qps, 'queries/s', { note: setup });
  row('HNSW query latency p50', median(latencies), 'ms', { note: setup });
  row('HNSW query latency p99', percentile(latencies, 99), 'ms', { note: setup });
  log(`HNSW             ${VECTORS} x ${DIM} (low-rank synthetic), M=16, efConstruction=200: build ${buildS.toFixed(1)} s (${(VECTORS / buildS).toFixed(0)}/s)`);
  log(`HNSW search      recall@10 ${recall.toFixed(4)} vs exact at ef=${defaultEf(10)} (goal >= 0.98); ${qps.toFixed(0)} queries/s; p50 ${median(latencies).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms`);
}

log(`bench:index${quick ? ' --quick' : ''} on ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
await indexing();
await vectors();
if (process.env.BENCH_JSON) {
  writeFileSync(process.env.BENCH_JSON, JSON.stringify({ bench: 'index', date: new Date().toISOString(), argv: process.argv.slice(2), loadAverage: os.loadavg(), rows }, null, 2) + '\n');
}
