// npm run bench [-- --only quality,encoders,...] [-- --quick] — every bench:* script (as child
// processes, each writing its numbers as JSON under test/artifacts/) and the development
// benchmark (server/eval/dev-benchmark.ts on the full demo), then BENCHMARKS.md at the repo
// root and its plots under docs/bench/, all from those JSON files.
//
// --only (or ROSETTA_BENCH_ONLY) runs some areas and keeps the last results of the others:
// `--only quality` is the quick loop while working on the space; `--report` runs nothing and
// only rewrites BENCHMARKS.md from the JSON files. --quick passes --quick to
// the benches that have it and scores fewer dev queries (for trying the pipeline, not for
// numbers to keep).
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadConfig } from '../../bin/config.ts';
import { hnswlibBuild } from '../../indexer/vector/index.ts';
import { buildDemoData, hasCurrentBuild } from '../../data/demo/index.ts';
import type { Device } from '../../models/index.ts';
import { CURVES_FILE, ensureDefaultSpace, loadCurrentSpace, readCurrentVersion, SPACE_FILE } from '../../models/space/index.ts';
import {
  ablationCurvesSvg,
  devQualityMarkdown,
  lineChart,
  recallCurvesSvg,
  runDevBenchmark,
  type ChartSeries,
  type DevBenchmarkResult,
} from '../../server/eval/index.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ARTIFACTS = path.join(ROOT, 'test', 'artifacts');
const DOCS = path.join(ROOT, 'docs', 'bench');
const SCRIPTS = ['encoders', 'index', 'train', 'api'] as const;
const AREAS = ['quality', ...SCRIPTS] as const;
type Area = (typeof AREAS)[number];

const { values } = parseArgs({ options: { only: { type: 'string' }, quick: { type: 'boolean', default: false }, report: { type: 'boolean', default: false } } });
const only = values.only ?? process.env.ROSETTA_BENCH_ONLY;
const selected = new Set<Area>(values.report ? [] : only ? (only.split(',').map((s) => s.trim()) as Area[]) : AREAS);
for (const a of selected) if (!AREAS.includes(a)) throw new Error(`--only: unknown area "${a}"; choose from ${AREAS.join(', ')}`);
const quick = values.quick;
const log = (line: string) => process.stdout.write(line + '\n');

/** Where each area's numbers come from, and how a run of it went. */
interface RunRecord {
  command: string;
  date: string;
  seconds: number;
  exitCode: number | null;
  machine: Machine;
  /** 1-, 5- and 15-minute load averages when it started: a busy machine lowers every rate. */
  loadBefore?: number[];
  quick: boolean;
}
const RUNS_FILE = path.join(ARTIFACTS, 'bench-runs.json');

interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  /**
   * Which hnswlib-node build searches: an x86-64 level built at install, or npm's portable one.
   * Records of runs from before this field existed lack it; they ran the portable build.
   */
  hnswlib?: string;
}

/** The environment that changes what a run measures, spelled as a prefix of its command. */
const ENV_PREFIX = ['ROSETTA_MODELS_DIR', 'ROSETTA_CACHE_DIR', 'ROSETTA_DEVICE', 'ROSETTA_ENCODERS']
  .filter((name) => process.env[name])
  .map((name) => `${name}=${process.env[name]} `)
  .join('');

function machine(): Machine {
  let distro = '';
  try {
    distro = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? '';
  } catch {
    // Not Linux, or no os-release: the kernel line below still says what it is.
  }
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${distro ? `${distro}, ` : ''}${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    hnswlib: hnswlibBuild,
  };
}

/** bench:api names its file by collection size; quick mode runs a 10,000-item one. */
const QUICK_API_ITEMS = 10_000;

function artifact(area: Area, quickRun = quick): string {
  if (area === 'api') return path.join(ARTIFACTS, quickRun ? `bench-api-${QUICK_API_ITEMS}.json` : 'bench-api.json');
  return path.join(ARTIFACTS, `bench-${area}.json`);
}

/** Runs `npm run bench:<name>`, echoing and keeping its stdout. */
async function runScript(name: (typeof SCRIPTS)[number]): Promise<{ exitCode: number | null; seconds: number; command: string }> {
  const scripts = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
  const args = quick && (name === 'index' || name === 'train') ? ['--quick'] : quick && name === 'api' ? ['--items', String(QUICK_API_ITEMS), '--seconds', '5'] : [];
  const command = `npm run bench:${name}${args.length ? ` -- ${args.join(' ')}` : ''}`;
  if (!scripts[`bench:${name}`]) {
    log(`(package.json has no bench:${name} script; skipped)`);
    return { exitCode: null, seconds: 0, command };
  }
  log(`\n$ ${command}`);
  const started = performance.now();
  const child = spawn('npm', ['run', '--silent', `bench:${name}`, ...(args.length ? ['--', ...args] : [])], {
    cwd: ROOT,
    env: { ...process.env, ...(name === 'api' ? {} : { BENCH_JSON: artifact(name) }) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => {
    chunks.push(d);
    process.stdout.write(d);
  });
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  writeFileSync(path.join(ARTIFACTS, `bench-${name}.log`), Buffer.concat(chunks));
  return { exitCode, seconds: (performance.now() - started) / 1000, command };
}

/**
 * The full demo and a space in service, which the quality and API benches both need: a fresh
 * checkout has neither, so the default recipe trains one (minutes, once), as the first `rosetta
 * serve` would. Done before any bench runs, so that bench:api (which runs first) finds it.
 */
async function prepareSpace(): Promise<{ config: ReturnType<typeof loadConfig>; demoDir: string }> {
  const config = loadConfig();
  const demoDir = path.join(config.cacheDir, 'demo-full');
  if (!(await hasCurrentBuild(demoDir, 'full'))) {
    log(`building the full demo in ${demoDir} (once per demo version)`);
    await buildDemoData({ dir: demoDir, size: 'full' });
  }
  if (!(await readCurrentVersion(config.modelsDir))) {
    log('no space in service: training the default space (once)');
    await ensureDefaultSpace({ modelsDir: config.modelsDir, cacheDir: config.cacheDir, device: config.device as Device, encoders: config.encoders, demoDir });
  }
  return { config, demoDir };
}

async function runQuality(): Promise<{ seconds: number; command: string; exitCode: number }> {
  const { config, demoDir } = await prepareSpace();
  const workDir = path.join(config.cacheDir, 'dev-benchmark');
  const started = performance.now();
  log(`\n$ dev benchmark on ${path.relative(ROOT, demoDir)} (collections in ${path.relative(ROOT, workDir)})`);
  const devSet = quick ? { perType: 40 } : {};
  const result = await runDevBenchmark({
    demoDir,
    workDir,
    modelsDir: config.modelsDir,
    cacheDir: config.cacheDir,
    device: config.device,
    encoders: config.encoders,
    k: 100,
    devSet,
    ...(quick ? { tuneQueries: 30 } : {}),
    onProgress: (line) => log(`  ${line}`),
  });
  // Per-query curves are only needed for the means; the artifact keeps per-query metrics.
  const slim = { ...result, runs: result.runs.map((r) => ({ ...r, queries: r.queries.map(({ recallCurve: _c, randomCurve: _r, ...q }) => q) })) };
  writeFileSync(artifact('quality'), JSON.stringify(slim, null, 1) + '\n');
  return { seconds: (performance.now() - started) / 1000, command: `npm run bench -- --only quality${quick ? ' --quick' : ''}`, exitCode: 0 };
}

// ---- BENCHMARKS.md ------------------------------------------------------------------------

const rowsSchema = z.object({
  date: z.string(),
  rows: z.array(z.object({ what: z.string(), value: z.number().nullable(), unit: z.string(), goal: z.string().optional(), note: z.string().optional() })),
});

const apiSchema = z.looseObject({
  date: z.string(),
  goal: z.looseObject({ p50: z.number(), p99: z.number(), rps: z.number() }).optional(),
  space: z.string().optional(),
  collection: z.looseObject({ items: z.number().optional(), image: z.number().optional(), audio: z.number().optional(), captioned: z.number().optional() }).optional(),
  seconds: z.number().optional(),
  setup: z.string().optional(),
  goalRuns: z.looseObject({ runs: z.number(), p50: z.array(z.number()), p99: z.array(z.number()), medianP50: z.number(), medianP99: z.number(), keptUp: z.boolean() }).optional(),
  phases: z.looseObject({ queries: z.number(), phases: z.record(z.string(), z.looseObject({ p50: z.number(), p99: z.number(), mean: z.number(), cpu: z.number() })) }).optional(),
  runs: z.array(
    z.looseObject({
      name: z.string(),
      connections: z.number(),
      requests: z.number(),
      requestsPerSecond: z.number(),
      serverCpuMs: z.number().optional(),
      mainThreadCpuMs: z.number().optional(),
      clientCpuMs: z.number().optional(),
      non2xx: z.number(),
      errors: z.number(),
      latencyMs: z.looseObject({ mean: z.number().nullable(), max: z.number().nullable(), percentiles: z.record(z.string(), z.number().nullable()) }),
    }),
  ),
});

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function value(v: number | null, unit: string): string {
  if (v === null || !Number.isFinite(v)) return '—';
  const abs = Math.abs(v);
  const text = abs >= 100 ? v.toFixed(0) : abs >= 10 ? v.toFixed(1) : abs >= 1 ? v.toFixed(2) : v.toFixed(3);
  return unit ? `${text} ${unit}` : text;
}

function provenance(record: RunRecord | undefined, current: Machine): string {
  if (!record) return '_Not run yet on this checkout._';
  const m = record.machine;
  const same = JSON.stringify(m) === JSON.stringify(current);
  return (
    `Command: \`${record.command}\` · run ${record.date.slice(0, 16).replace('T', ' ')} UTC${record.seconds > 0 ? ` · ${record.seconds.toFixed(0)} s` : ''}${record.loadBefore ? ` · load average ${record.loadBefore.map((l) => l.toFixed(1)).join(' ')} at the start` : ''}${record.quick ? ' · **quick mode: not for comparison**' : ''}` +
    (same ? '' : ` · on ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, node ${m.node}, hnswlib ${m.hnswlib ?? 'portable'}`)
  );
}

function rowsSection(area: Area, record: RunRecord | undefined, current: Machine): string[] {
  const parsed = rowsSchema.safeParse(readJson(artifact(area, record?.quick ?? false)));
  if (!parsed.success) return [provenance(record, current), '', `_No readable ${path.relative(ROOT, artifact(area, record?.quick ?? false))} yet._`];
  const rows = parsed.data.rows;
  const goal = (r: (typeof rows)[number]) => (r.goal ? `${r.goal} ${r.unit}`.trim() : '');
  // A setup shared by every row is said once, above the table.
  const notes = [...new Set(rows.map((r) => r.note ?? ''))];
  const shared = notes.length === 1 && notes[0] !== '' ? notes[0] : undefined;
  const out = [provenance(record, current), ''];
  if (shared) out.push(`Setup: ${shared}.`, '', '| measurement | value | goal |', '|---|---:|---|');
  else out.push('| measurement | value | goal | setup |', '|---|---:|---|---|');
  for (const r of rows) out.push(`| ${r.what} | ${value(r.value, r.unit)} | ${goal(r)} |${shared ? '' : ` ${r.note ?? ''} |`}`);
  return out;
}

function apiSection(record: RunRecord | undefined, current: Machine): string[] {
  const file = artifact('api', record?.quick ?? false);
  const raw = readJson(file);
  const parsed = apiSchema.safeParse(raw);
  const name = path.relative(ROOT, file);
  if (!parsed.success) return [provenance(record, current), '', raw === undefined ? `_No ${name} yet._` : `_${name} has a shape this report does not know._`];
  const api = parsed.data;
  const f = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(1));
  const c = api.collection;
  const out = [
    provenance(record ?? { command: 'npm run bench:api', date: api.date, seconds: 0, exitCode: 0, machine: current, quick: false }, current),
    '',
    c ? `Collection: ${c.items ?? '?'} items (${c.image ?? '?'} images, ${c.audio ?? '?'} audio, ${c.captioned ?? '?'} captioned), space \`${api.space ?? '?'}\`; ${api.seconds ?? '?'} s per load run.` : '',
    api.goal ? `Goal (text queries): p50 ≤ ${api.goal.p50} ms, p99 ≤ ${api.goal.p99} ms, ≥ ${api.goal.rps} req/s.` : '',
    api.setup ? `Setup: ${api.setup}.` : '',
    '',
  ];
  const g = api.goalRuns;
  if (g && api.goal) {
    const list = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(', ');
    const mark = (ok: boolean) => (ok ? 'met' : '**missed**');
    out.push(
      `Goal runs (${api.goal.rps} req/s offered, paced, ${g.runs} runs among the others): p50 median ${g.medianP50.toFixed(1)} ms (${list(g.p50)}), ${mark(g.medianP50 <= api.goal.p50)}; ` +
        `p99 median ${g.medianP99.toFixed(1)} ms (${list(g.p99)}), ${mark(g.medianP99 <= api.goal.p99)}; every run kept the pace: ${mark(g.keptUp)}.`,
      '',
    );
  }
  if (api.runs.length > 0) {
    out.push(
      '| query | connections | requests | req/s | p50 ms | p90 ms | p99 ms | max ms | server CPU ms/req (main thread) | load generator CPU ms/req | non-2xx | errors |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    );
  }
  const cpu = (ms: number | undefined) => (ms === undefined ? '—' : ms.toFixed(2));
  for (const r of api.runs) {
    const p = r.latencyMs.percentiles;
    out.push(
      `| ${r.name} | ${r.connections} | ${r.requests} | ${f(r.requestsPerSecond)} | ${f(p.p50)} | ${f(p.p90)} | ${f(p.p99)} | ${f(r.latencyMs.max)} | ` +
        `${cpu(r.serverCpuMs)} (${cpu(r.mainThreadCpuMs)}) | ${cpu(r.clientCpuMs)} | ${r.non2xx} | ${r.errors} |`,
    );
  }
  const series: ChartSeries[] = api.runs.map((r) => ({
    name: r.name,
    points: Object.entries(r.latencyMs.percentiles)
      .map(([k, ms]) => [ms ?? Number.NaN, Number(k.replace(/^p/, '')) / 100] as [number, number])
      .filter(([ms, q]) => Number.isFinite(ms) && ms > 0 && Number.isFinite(q))
      .sort((a, b) => a[1] - b[1]),
  }));
  if (series.some((s) => s.points.length > 1)) {
    writeFileSync(
      path.join(DOCS, 'api-latency.svg'),
      lineChart(series, { title: 'Search latency under load (share of requests answered within t)', xLabel: 'latency t (ms, log scale)', yLabel: 'share of requests', xLog: true, y: { min: 0, max: 1 }, width: 900, height: 320, legend: 'outside' }),
    );
    out.push('', '![API latency distribution](docs/bench/api-latency.svg)');
  }
  if (api.phases) {
    out.push('', `Where a text query's time goes, phase by phase (${api.phases.queries} queries, one at a time on the idle server):`, '');
    out.push('| phase | p50 ms | p99 ms | mean ms | CPU ms |', '|---|---:|---:|---:|---:|');
    for (const [name, t] of Object.entries(api.phases.phases)) out.push(`| ${name} | ${t.p50.toFixed(3)} | ${t.p99.toFixed(3)} | ${t.mean.toFixed(3)} | ${t.cpu.toFixed(3)} |`);
  }
  return out.filter((l, i, all) => l !== '' || all[i - 1] !== '');
}

async function trainingCurves(quality: DevBenchmarkResult | undefined): Promise<string[]> {
  const dir = quality?.space.dir ?? (await loadCurrentSpace(loadConfig().modelsDir).catch(() => null))?.dir;
  if (!dir || !existsSync(path.join(dir, CURVES_FILE))) return ['_No space with training curves in service._'];
  copyFileSync(path.join(dir, CURVES_FILE), path.join(DOCS, 'training-curves.svg'));
  const whose = quality ? 'the space the retrieval-quality section measured' : 'the space in service';
  const out = [`Training curves of ${whose}, \`${path.basename(dir)}\` (copied from its ${CURVES_FILE}):`, '', '![training curves](docs/bench/training-curves.svg)'];
  const manifest = readJson(path.join(dir, SPACE_FILE)) as
    | { recall?: Record<string, { queries: number; candidates: number; systems: Record<string, { r1: number; r10: number }> }>; timings?: Record<string, number>; data?: { pairs?: Record<string, { train: number; val: number }> } }
    | undefined;
  if (manifest?.recall) {
    out.push('', 'Its validation split (success@k over the held-out pairs, written by the training run):', '');
    out.push('| task | queries | candidates | unaligned R@10 | CCA R@10 | CCA + contrastive R@10 |', '|---|---:|---:|---:|---:|---:|');
    for (const [task, r] of Object.entries(manifest.recall)) {
      const s = r.systems;
      out.push(`| ${task} | ${r.queries} | ${r.candidates} | ${s.unaligned?.r10.toFixed(3) ?? '—'} | ${s.cca?.r10.toFixed(3) ?? '—'} | ${s.contrastive?.r10.toFixed(3) ?? '—'} |`);
    }
  }
  if (manifest?.timings) out.push('', `Training time: ${Object.entries(manifest.timings).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`).join(', ')}.`);
  return out;
}

async function writeReport(records: Partial<Record<Area, RunRecord>>): Promise<void> {
  const current = machine();
  mkdirSync(DOCS, { recursive: true });
  const qualityRaw = readJson(artifact('quality')) as DevBenchmarkResult | undefined;
  const quality = qualityRaw?.runs ? qualityRaw : undefined;
  const md: string[] = [
    '# Benchmarks',
    '',
    '<!-- Generated by `npm run bench` (test/bench/all.ts) from test/artifacts/bench-*.json. Do not edit by hand. -->',
    '',
    `Regenerated ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC by \`npm run bench${values.report ? ' -- --report' : only ? ` -- --only ${only}` : ''}\` on:`,
    '',
    '| CPU | cores | memory | OS | node | hnswlib-node build |',
    '|---|---:|---:|---|---|---|',
    `| ${current.cpu} | ${current.cores} | ${current.memoryGiB} GiB | ${current.os} | ${current.node} | ${current.hnswlib} |`,
    '',
    'Each section names the command behind its numbers and when it ran; a section from an earlier run says so.',
    '',
    '## Retrieval quality',
    '',
  ];
  if (quality) {
    writeFileSync(path.join(DOCS, 'recall-at-k.svg'), recallCurvesSvg(quality));
    writeFileSync(path.join(DOCS, 'ablations-recall-at-k.svg'), ablationCurvesSvg(quality));
    md.push(provenance(records.quality, current), '');
    md.push(
      `The development benchmark (server/eval/dev-benchmark.ts): the demo's eval split indexed through the query engine, ${Object.values(quality.queries).reduce((a, b) => a + b, 0)} queries ` +
        `built by server/eval/dev-set.ts, each system served by the engine in turn. The same queries run with \`rosetta eval --queries models/cache/dev-benchmark/queries.jsonl --db models/cache/dev-benchmark/plain --root models/cache/demo-full --no-hybrid\` (the space in service).`,
      '',
    );
    md.push(devQualityMarkdown(quality, { plots: 'docs/bench' }).trimEnd());
  } else {
    md.push('_No test/artifacts/bench-quality.json yet: run `npm run bench -- --only quality`._');
  }
  md.push('', '## Encoders', '', ...rowsSection('encoders', records.encoders, current));
  md.push('', '## Indexing', '', ...rowsSection('index', records.index, current));
  md.push(
    '',
    '## Training',
    '',
    ...rowsSection('train', records.train, current),
    '',
    'WebGPU needs a GPU adapter; on a GPU machine, `test/bench/gpu/` runs this bench on both devices. The numbers from an NVIDIA H200, and why WebGPU trains slower than the CPU, are in [models/README.md](models/README.md#training-on-a-gpu).',
    '',
    ...(await trainingCurves(quality)),
  );
  md.push('', '## API', '', ...apiSection(records.api, current));
  writeFileSync(path.join(ROOT, 'BENCHMARKS.md'), md.join('\n') + '\n');
  log(`\nwrote BENCHMARKS.md and ${path.relative(ROOT, DOCS)}/`);
}

async function main(): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const records = (readJson(RUNS_FILE) ?? {}) as Partial<Record<Area, RunRecord>>;
  const failures: string[] = [];
  const remember = (area: Area, run: { command: string; seconds: number; exitCode: number | null }, date: string, loadBefore: number[]) => {
    // A failed run leaves the last good numbers, and their record, in place.
    if (run.exitCode !== 0) {
      failures.push(`${area} (${run.exitCode === null ? 'no script' : `exit ${run.exitCode}`})`);
      return;
    }
    records[area] = { ...run, command: ENV_PREFIX + run.command, date, machine: machine(), loadBefore, quick };
    writeFileSync(RUNS_FILE, JSON.stringify(records, null, 2) + '\n');
  };
  if (selected.has('api') || selected.has('quality')) await prepareSpace();
  for (const name of SCRIPTS) {
    if (!selected.has(name)) continue;
    const date = new Date().toISOString();
    const load = os.loadavg();
    remember(name, await runScript(name), date, load);
  }
  if (selected.has('quality')) {
    const date = new Date().toISOString();
    const load = os.loadavg();
    try {
      remember('quality', await runQuality(), date, load);
    } catch (err) {
      // The last good results stay in the report, under their own date.
      log(`dev benchmark failed: ${(err as Error).stack ?? String(err)}`);
      failures.push('quality');
    }
  }
  await writeReport(records);
  if (failures.length > 0) {
    log(`failed or missing: ${failures.join(', ')}`);
    process.exitCode = 1;
  }
}

await main();
