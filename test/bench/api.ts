// npm run bench:api [-- --items N --seconds S] — the JSON search API under load, in one run:
//   1. a 100,000-item collection (93 % images, 7 % audio, 60 % captioned), generated once from
//      the demo's real features and captions (see api/collection.ts) through store.addItem,
//      and cached under test/artifacts/bench-api-<N/1000>k/; build time reported.
//   2. the real server (`rosetta serve` in a process of its own, logs off: api/server-process.ts)
//      and a load generator in another (api/load-child.ts), each run after a short warm-up:
//      text queries with 16 connections in a closed loop (the most the server answers), then
//      offered at 500 req/s over 16 connections in an open loop (paced: the goal's reading, three
//      times, between the next two, judged by the medians), at half that rate, and through
//      autocannon's overallRate (which sends each second's share in a burst); the same texts
//      vector-only (hybrid: false: what keyword matching costs), image and sketch queries (demo
//      PNGs, line-art sketches as data URLs) with 4; then text with info-level request logs
//      written to a file and text with logs off again, back to back, for what logging costs.
//   3. where a text query's time goes, phase by phase (api/phases.ts), on a server in this
//   process (the phases call its engine directly).
// Goals on the 2-core dev machine (issue 5): text p50 <= 10 ms, p99 <= 50 ms, >= 500 req/s with
// 16 connections, read as: 500 req/s offered over 16 connections, answered at that rate within
// those latencies (the open-loop run); the closed loop's rate is the most the server sustains.
// Results: a markdown table on stdout, and test/artifacts/bench-api.json (bench-api-<N>.json
// for other sizes or partial runs).
// BENCH_ONLY=text|vector|image|sketch|logging|phases runs one part after the build;
// BENCH_ONLY=build only builds the collection. BENCH_API_PROFILE=1 adds a text run under the
// CPU profiler (its own run, not in the table) and lists the server's hot spots.
// Content and thumbnail routes are not benchmarked: the items' files do not exist.
// api/thread-layout.ts is a study beside it: the tail a stand-in server with this server's CPU
// per thread gets on this machine, by thread layout and by CPU per query (issue 5).
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../bin/config.ts';
import { hnswlibBuild } from '../../indexer/vector/index.ts';
import { SpaceProjector } from '../../models/space/index.ts';
import { encoderSettings, startServer, type RunningServer } from '../../server/serve.ts';
import { ensureBenchCollection } from './api/collection.ts';
import { loadDemoBases } from './api/demo-bases.ts';
import { runLoad, type LoadSummary } from './api/load.ts';
import { textPhases, type PhaseTimes } from './api/phases.ts';
import { startProfile, type HotSpot } from './api/profile.ts';
import { mediaQueries, textQueries, vectorOnlyQueries } from './api/queries.ts';
import { startServerProcess } from './api/server-process.ts';
import { median } from './timing.ts';

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

const ITEMS = flag('items', 100_000);
const SECONDS = flag('seconds', 20);
const WARMUP_SECONDS = Math.min(3, SECONDS);
const TEXT_QUERIES = 300;
const MEDIA_QUERIES = 64;
const SEED = 5;
const GOAL = { p50: 10, p99: 50, rps: 500 };
const TEXT_CLOSED = 'text (hybrid), closed loop';
const TEXT_OPEN = `text (hybrid), open loop: ${GOAL.rps} req/s offered, paced`;
/**
 * The goal's run is repeated, between the other text runs, and judged by the medians: on this
 * shared 2-core host one run's p99 moved between 47 and 70 ms within an hour, with no change.
 */
const GOAL_RUNS = 3;
const goalRun = (i: number) => `${TEXT_OPEN} (run ${i} of ${GOAL_RUNS})`;
const only = process.env.BENCH_ONLY;
const SETUP =
  '`rosetta serve` in a process of its own with logs off (test/bench/api/server-process.ts); the load generator in another process on the same cores: ' +
  'autocannon for the closed loop and the bursts, raw keep-alive sockets for the paced runs (test/bench/api/paced-client.ts)';
const runs = (part: string) => !only || only === part;

const config = loadConfig();
const settings = encoderSettings(config);
const artifacts = path.resolve('test/artifacts');
const log = (line: string) => process.stdout.write(line + '\n');
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

interface Row {
  name: string;
  load: LoadSummary;
}

/** A server in this process, for the parts that call its engine or profile it. */
async function serveHere(dataDir: string): Promise<RunningServer> {
  const server = await startServer({ dataDir, modelsDir: settings.modelsDir, cacheDir: settings.cacheDir, port: 0, logger: pino({ level: 'silent' }), watchSpace: false });
  await server.ready;
  return server;
}

/** One query of each kind answered with a full page, before anything is timed. */
async function check(url: string, bodies: Record<string, string>): Promise<void> {
  for (const [kind, body] of Object.entries(bodies)) {
    const res = await fetch(`${url}/api/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const json = (await res.json()) as { results?: unknown[] };
    if (!res.ok || !json.results?.length) throw new Error(`a ${kind} query answered ${res.status}: ${JSON.stringify(json).slice(0, 300)}`);
  }
}

function table(rows: Row[]): string[] {
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '-');
  const out = [
    '| query | connections | offered req/s | requests | req/s | p50 ms | p90 ms | p99 ms | max ms | server CPU ms/req | of which main thread | load generator CPU ms/req | non-2xx | errors |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const { name, load: l } of rows) {
    const p = l.latencyMs.percentiles;
    out.push(
      `| ${name} | ${l.connections} | ${l.offered ? l.offered.rate : 'closed loop'} | ${l.requests} | ${f(l.requestsPerSecond)} | ${f(p.p50)} | ${f(p.p90)} | ${f(p.p99)} | ${f(l.latencyMs.max)} | ${l.serverCpuMs.toFixed(2)} | ${l.mainThreadCpuMs === undefined ? '-' : l.mainThreadCpuMs.toFixed(2)} | ${l.clientCpuMs === undefined ? '-' : l.clientCpuMs.toFixed(2)} | ${l.non2xx} | ${l.errors + l.timeouts} |`,
    );
  }
  return out;
}

async function main(): Promise<void> {
  const loadBefore = load();
  log(`# bench:api  ${new Date().toISOString()}  ${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}  node ${process.version}  hnswlib ${hnswlibBuild}`);
  log(`load average before: ${loadBefore}`);

  const projector = await SpaceProjector.current(settings.modelsDir);
  if (!projector) throw new Error(`no space in service under ${settings.modelsDir}; start the server once (it trains the default space)`);
  const bases = await loadDemoBases(path.join(settings.cacheDir, 'demo-full'), projector, settings);
  log(`space ${projector.version}; bases: ${bases.image.length} images, ${bases.audio.length} clips (${bases.cached} from the feature cache, ${bases.encoded} encoded now)`);

  const root = path.join(artifacts, `bench-api-${ITEMS % 1000 === 0 ? `${ITEMS / 1000}k` : ITEMS}`);
  const { dataDir, build, reused } = await ensureBenchCollection({ root, items: ITEMS, seed: SEED, projector, settings, bases, log });
  log(
    `collection ${reused ? '(cached) ' : ''}${build.items} items (${build.image} images, ${build.audio} audio, ${build.captioned} captioned): ` +
      `built in ${build.totalSeconds.toFixed(1)} s = generate ${build.generateSeconds.toFixed(1)} s + store.addItem ${build.addSeconds.toFixed(1)} s ` +
      `(${(build.items / build.addSeconds).toFixed(0)} items/s) + index save ${build.saveSeconds.toFixed(1)} s` +
      `${build.cpuSeconds === undefined ? '' : `, ${build.cpuSeconds.toFixed(0)} CPU-s`}; ${(build.bytes / 2 ** 20).toFixed(0)} MB on disk`,
  );
  if (build.reprojected) {
    const r = build.reprojected;
    log(`  re-projected from space ${r.from} into ${projector.version} (stored features, index rebuilt) in ${r.seconds.toFixed(1)} s, ${r.cpuSeconds.toFixed(0)} CPU-s`);
  }
  if (only === 'build') return;

  const text = textQueries(bases, TEXT_QUERIES, SEED);
  const bodies = {
    text,
    vector: await vectorOnlyQueries(text, projector, settings),
    image: mediaQueries(bases, 'image', MEDIA_QUERIES, SEED),
    sketch: mediaQueries(bases, 'sketch', MEDIA_QUERIES, SEED + 1),
  };
  const rows: Row[] = [];
  /** A warm-up (JIT, SQLite's page cache, connections), then the measured run. */
  const measure = async (server: { url: string; pid: number }, name: string, kind: keyof typeof bodies, connections: number, rates: { rate?: number; burstRate?: number } = {}) => {
    const job = { url: server.url, bodies: bodies[kind], connections, ...rates };
    await runLoad({ ...job, seconds: WARMUP_SECONDS }, server.pid);
    rows.push({ name, load: await runLoad({ ...job, seconds: SECONDS }, server.pid) });
  };

  const server = await startServerProcess({ dataDir, settings });
  const openSeconds = server.openSeconds;
  try {
    log(`server (rosetta serve, pid ${server.pid}) ready in ${openSeconds.toFixed(1)} s (collection opened, encoders loaded) at ${server.url}`);
    await check(server.url, { text: bodies.text[0], image: bodies.image[0], sketch: bodies.sketch[0] });
    if (runs('text')) {
      await measure(server, TEXT_CLOSED, 'text', 16);
      await measure(server, goalRun(1), 'text', 16, { rate: GOAL.rps });
      // Half the goal's rate: how the latencies look while the server keeps up.
      await measure(server, `text (hybrid), open loop: ${GOAL.rps / 2} req/s offered, paced`, 'text', 16, { rate: GOAL.rps / 2 });
      await measure(server, goalRun(2), 'text', 16, { rate: GOAL.rps });
      await measure(server, `text (hybrid), autocannon overallRate ${GOAL.rps} (a burst each second)`, 'text', 16, { burstRate: GOAL.rps });
      for (let i = 3; i <= GOAL_RUNS; i++) await measure(server, goalRun(i), 'text', 16, { rate: GOAL.rps });
    }
    if (runs('vector')) await measure(server, `text, vector only (hybrid: false; ${bodies.vector.length} of the texts)`, 'vector', 16);
    if (runs('image')) await measure(server, 'image', 'image', 4);
    if (runs('sketch')) await measure(server, 'sketch', 'sketch', 4);
  } finally {
    await server.close();
  }

  let phases: PhaseTimes | undefined;
  let hotSpots: HotSpot[] | undefined;
  if (runs('phases') || process.env.BENCH_API_PROFILE) {
    const here = await serveHere(dataDir);
    try {
      if (runs('phases')) phases = await textPhases(await here.ready, settings, here.url, bodies.text);
      if (process.env.BENCH_API_PROFILE) {
        // Its own run, in this process (node:inspector profiles its own): the profiler's
        // sampling would tax the measured ones.
        const stop = await startProfile();
        await runLoad({ url: here.url, bodies: bodies.text, connections: 16, seconds: SECONDS });
        const file = path.join(artifacts, `bench-api-${ITEMS}-text.cpuprofile`);
        hotSpots = await stop(file);
        log(`server CPU profile of a text run: ${path.relative(process.cwd(), file)}`);
      }
    } finally {
      await here.close();
    }
  }

  // A fresh server logging at info, then a fresh one with logs off again, back to back: the
  // pair differs in the logging only.
  let logging: { logBytes: number; requests: number } | undefined;
  if (runs('logging')) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rosetta-bench-api-log-'));
    const file = path.join(dir, 'server.log');
    try {
      const logged = await startServerProcess({ dataDir, settings, logLevel: 'info', logFile: file });
      try {
        await measure(logged, 'text, info logs to a file', 'text', 16);
      } finally {
        await logged.close();
      }
      logging = { logBytes: statSync(file).size, requests: rows[rows.length - 1].load.requests };
      const quiet = await startServerProcess({ dataDir, settings });
      try {
        await measure(quiet, 'text, logs off again (control)', 'text', 16);
      } finally {
        await quiet.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const loadAfter = load();

  log('');
  for (const line of table(rows)) log(line);
  const closed = rows.find((r) => r.name === TEXT_CLOSED)?.load;
  const opens = rows.filter((r) => r.name.startsWith(TEXT_OPEN)).map((r) => r.load);
  let goal: { runs: number; p50: number[]; p99: number[]; medianP50: number; medianP99: number; keptUp: boolean } | undefined;
  if (closed && opens.length > 0) {
    const p50 = opens.map((o) => o.latencyMs.percentiles.p50);
    const p99 = opens.map((o) => o.latencyMs.percentiles.p99);
    // Each run offered GOAL.rps for SECONDS; it kept up if it answered them all at that pace (1 % slack for the last answers).
    const keptUp = opens.every((o) => o.requests === Math.round(SECONDS * GOAL.rps) && o.non2xx + o.errors === 0 && o.requestsPerSecond >= 0.99 * GOAL.rps);
    goal = { runs: opens.length, p50, p99, medianP50: median(p50), medianP99: median(p99), keptUp };
    const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
    const list = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(', ');
    log('');
    log(
      `text goal at ${GOAL.rps} req/s offered over 16 connections, median of ${opens.length} runs: p50 ${goal.medianP50.toFixed(1)} ms <= ${GOAL.p50} ${verdict(goal.medianP50 <= GOAL.p50)} (${list(p50)}); ` +
        `p99 ${goal.medianP99.toFixed(1)} ms <= ${GOAL.p99} ${verdict(goal.medianP99 <= GOAL.p99)} (${list(p99)}); ` +
        `every run answered its ${Math.round(SECONDS * GOAL.rps)} at the pace: ${verdict(keptUp)}; ` +
        `closed loop (16 connections) sustains ${closed.requestsPerSecond.toFixed(0)} req/s >= ${GOAL.rps} ${verdict(closed.requestsPerSecond >= GOAL.rps)}`,
    );
  }
  const withLogs = rows.find((r) => r.name.startsWith('text, info'))?.load;
  const control = rows.find((r) => r.name.startsWith('text, logs off'))?.load;
  if (control && withLogs && logging) {
    // Server CPU per request is the steadier comparison: the neighbours' load moves the rest.
    log(
      `logging at info: server CPU ${(withLogs.serverCpuMs - control.serverCpuMs).toFixed(2)} ms/req (${((withLogs.serverCpuMs / control.serverCpuMs - 1) * 100).toFixed(1)} %), ` +
        `req/s ${((withLogs.requestsPerSecond / control.requestsPerSecond - 1) * 100).toFixed(1)} %, p50 ${(withLogs.latencyMs.percentiles.p50 - control.latencyMs.percentiles.p50).toFixed(1)} ms, ` +
        `p99 ${(withLogs.latencyMs.percentiles.p99 - control.latencyMs.percentiles.p99).toFixed(1)} ms; ${(logging.logBytes / 2 ** 20).toFixed(1)} MB of logs (~${(logging.logBytes / Math.max(1, logging.requests)).toFixed(0)} bytes per request)`,
    );
  }
  if (phases) {
    log('');
    log(`text query phases, one at a time on the idle server (${phases.queries} queries, second pass):`);
    log('| phase | p50 ms | p99 ms | mean ms | CPU ms |');
    log('|---|--:|--:|--:|--:|');
    for (const [name, t] of Object.entries(phases.phases)) log(`| ${name} | ${t.p50.toFixed(3)} | ${t.p99.toFixed(3)} | ${t.mean.toFixed(3)} | ${t.cpu.toFixed(3)} |`);
  }
  if (hotSpots) {
    log('');
    log('server self time under text load (share of busy samples):');
    for (const h of hotSpots) log(`  ${h.share.toFixed(1).padStart(5)} %  ${h.name}`);
  }
  log('');
  log(`load average after: ${loadAfter}`);

  mkdirSync(artifacts, { recursive: true });
  // Only a whole run at the issue's size is the result; other runs keep their own files.
  const out = path.join(artifacts, ITEMS === 100_000 && !only ? 'bench-api.json' : `bench-api-${ITEMS}${only ? `-${only}` : ''}.json`);
  const results = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, hnswlib: hnswlibBuild, loadBefore, loadAfter },
    space: projector.version,
    collection: { reused, ...build },
    goal: GOAL,
    goalRuns: goal,
    seconds: SECONDS,
    setup: SETUP,
    warmupSeconds: WARMUP_SECONDS,
    serverOpenSeconds: openSeconds,
    runs: rows.map((r) => ({ name: r.name, ...r.load })),
    logging,
    phases,
    hotSpots,
  };
  writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
  log(`results: ${path.relative(process.cwd(), out)}`);
}

await main();
