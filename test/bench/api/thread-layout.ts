// npx tsx test/bench/api/thread-layout.ts [--rounds 3] [--seconds 12] [--rates 250,500]
//   [--layouts three-threads,one-thread] [--scales 1,0.5] [--spreads 0,1] [--gc 0,1]
//
// A study, not a goal: how the API server's thread layout alone shapes the latency tail of a
// text query on this machine (issue 5). A stand-in HTTP server does fixed CPU work per request
// (a busy loop, so no GC, no SQLite, no HNSW) split across worker threads the way each layout
// splits it, and bench:api's own paced load generator (load.ts) drives it at each rate. The CPU
// times are the real server's per-thread CPU per text query at 500 req/s (session 5, read from
// /proc/self/task): main 0.9 ms in three slices, keyword plan 0.7, text embedding 0.4, HNSW
// search 0.7. Layouts, in the order one round runs them:
// - three-threads: what the server does now: the main thread sends the text to the caption
//   reader and the text thread at once, then the vector to the HNSW thread (2 round trips in a
//   row, 3 threads woken per query);
// - two-threads: the keyword plan on its thread, the text embedding and the HNSW search together
//   on another (1 round trip, 2 threads woken);
// - one-thread: all three on one search thread (1 round trip, 1 thread woken);
// - two-replicas: two such search threads, queries dealt to them in turn (each would hold its
//   own copy of the HNSW index, every write applied to both);
// - inline: everything on the main thread.
// --scales multiplies every CPU time (1 = today's server): what a cheaper query would buy.
// --spreads 1 draws each query's keyword plan and HNSW search from log-normal distributions with
// the same means and the real spread: keyword plans p99/p50 7.8 (the bench's 300 texts, one at a
// time on the bench collection: p50 0.33, p99 2.56 ms), HNSW searches p99/p50 4.9 (bench:api's
// phase table, idle server). 0 keeps every query's work the same.
// --gc 1 stops the main thread the way the real server's young-generation collections do: at
// 500 req/s its main thread ran 55 scavenges in 12 s, median pause 6.3 ms (--trace-gc-nvp),
// about 110 KB allocated per query. The stand-in pauses that long after every 110 queries.
// What the stand-in cannot show: memory. Its threads spin; the real ones walk a 100 MB graph and
// SQLite pages. A real prototype of two-replicas was built and A/B-tested (session 6). Each
// replica thread held its own HNSW copy, a read-only connection and the text encoder. It
// returned identical results. In 7 alternating pairs at 500 req/s its p99 was 76-360 ms
// (median 162) against 72-423 (median 105). Its searches over 25 ms were 4.2-16.9 %
// (median 9.7) against 3.2-14.2 % (median 5.8). CPU: the main thread spent 0.94-1.05 ms per
// query against 1.00-1.10; all its threads together 2.69-3.01 against 2.65-2.98. The stand-in
// predicts a gain that this machine did not give; read its rankings as upper bounds.
// Each round runs every layout and scale once, so the host's drift (which moves latency by far
// more than any of this) falls on all of them alike; the table gives the median over rounds.
import http from 'node:http';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { median } from '../timing.ts';
import { runLoad } from './load.ts';

const ALL_LAYOUTS = ['three-threads', 'two-threads', 'one-thread', 'two-replicas', 'inline'] as const;
type Layout = (typeof ALL_LAYOUTS)[number];
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '12' },
    rates: { type: 'string', default: '250,500' },
    layouts: { type: 'string', default: ALL_LAYOUTS.join(',') },
    scales: { type: 'string', default: '1' },
    spreads: { type: 'string', default: '0' },
    gc: { type: 'string', default: '0' },
  },
});
const numbers = (list: string) => list.split(',').map(Number);
const ROUNDS = Number(values.rounds);
const SECONDS = Number(values.seconds);
const RATES = numbers(values.rates);
const LAYOUTS = values.layouts.split(',') as Layout[];
for (const layout of LAYOUTS) if (!ALL_LAYOUTS.includes(layout)) throw new Error(`unknown layout ${layout}; the layouts are ${ALL_LAYOUTS.join(', ')}`);
const CONNECTIONS = 16;
/** CPU milliseconds per text query, by the thread that does the work in the real server. */
const WORK = { parse: 0.3, fuse: 0.1, respond: 0.5, keywords: 0.7, embed: 0.4, hnsw: 0.7 };

/** One stand-in server's settings; every round runs each once. */
interface Setting {
  layout: Layout;
  scale: number;
  spread: number;
  gc: number;
}
const SETTINGS: Setting[] = LAYOUTS.flatMap((layout) =>
  numbers(values.scales).flatMap((scale) => numbers(values.spreads).flatMap((spread) => numbers(values.gc).map((gc) => ({ layout, scale, spread, gc })))),
);
const keyOf = ({ layout, scale, spread, gc }: Setting, rate: number) => `${layout}@${rate}@${scale}@${spread}@${gc}`;
/** The real server's main-thread scavenges at 500 req/s: one per this many queries, this long. */
const SCAVENGE = { every: 110, ms: 6.3 };
/** log σ of each part's per-query CPU time at spread 1, from its measured p99 / p50 (p99 = p50·e^(2.326σ)). */
const SIGMA = { keywords: Math.log(7.8) / 2.326, hnsw: Math.log(4.9) / 2.326 };

/** A log-normal draw with mean `mean` and log σ `sigma` (Box–Muller). */
function logNormal(mean: number, sigma: number): number {
  if (sigma === 0) return mean;
  const z = Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());
  return mean * Math.exp(sigma * z - (sigma * sigma) / 2);
}

function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

/** A worker that spins for the milliseconds each message asks, then answers with a vector-sized reply. */
function spinner(): { run: (ms: number) => Promise<void>; close: () => Promise<number> } {
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads');
     parentPort.on('message', ({ id, ms }) => {
       const until = performance.now() + ms;
       while (performance.now() < until);
       parentPort.postMessage({ id, vector: new Float32Array(256) });
     });`,
    { eval: true },
  );
  const waiting = new Map<number, () => void>();
  worker.on('message', ({ id }: { id: number }) => {
    waiting.get(id)!();
    waiting.delete(id);
  });
  let next = 0;
  return {
    run: (ms) =>
      new Promise((resolve) => {
        const id = next++;
        waiting.set(id, resolve);
        worker.postMessage({ id, ms });
      }),
    close: () => worker.terminate(),
  };
}

async function standIn({ layout, scale, spread, gc }: Setting): Promise<{ url: string; close: () => Promise<void> }> {
  const workers = { 'three-threads': 3, 'two-threads': 2, 'one-thread': 1, 'two-replicas': 2, inline: 0 }[layout];
  let turn = 0;
  const threads = Array.from({ length: workers }, spinner);
  const work = Object.fromEntries(Object.entries(WORK).map(([k, ms]) => [k, ms * scale])) as typeof WORK;
  const search = async () => {
    const keywords = logNormal(work.keywords, spread * SIGMA.keywords);
    const hnsw = logNormal(work.hnsw, spread * SIGMA.hnsw);
    if (layout === 'three-threads') {
      await Promise.all([threads[0].run(keywords), threads[1].run(work.embed)]);
      spin(work.fuse);
      await threads[2].run(hnsw);
    } else if (layout === 'two-threads') {
      await Promise.all([threads[0].run(keywords), threads[1].run(work.embed + hnsw)]);
      spin(work.fuse);
    } else if (layout === 'one-thread' || layout === 'two-replicas') {
      await threads[turn++ % threads.length].run(keywords + work.embed + hnsw + work.fuse);
    } else {
      spin(keywords + work.embed + hnsw + work.fuse);
    }
  };
  // A page of 20 results, about the size the real server sends.
  const page = JSON.stringify({
    results: Array.from({ length: 20 }, (_, i) => ({ id: i, externalId: `item-${i}`, modality: 'image', score: 0.5, caption: 'c'.repeat(80), thumbnailUrl: `/api/items/${i}/thumbnail`, contentUrl: `/api/items/${i}/content` })),
    took_ms: 1,
  });
  let queries = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      JSON.parse(Buffer.concat(chunks).toString());
      spin(work.parse);
      if (gc && ++queries % SCAVENGE.every === 0) spin(SCAVENGE.ms);
      void search().then(() => {
        spin(work.respond);
        res.setHeader('content-type', 'application/json');
        res.end(page);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      await Promise.all(threads.map((t) => t.close()));
    },
  };
}

const bodies = Array.from({ length: 300 }, (_, i) => JSON.stringify({ text: `query ${i}`, k: 20 }));
const results = new Map<string, { p50: number; p90: number; p99: number; cpu: number }[]>();
for (let round = 1; round <= ROUNDS; round++) {
  for (const setting of SETTINGS) {
    const server = await standIn(setting);
    try {
      await runLoad({ url: server.url, bodies, connections: CONNECTIONS, seconds: 3 });
      for (const rate of RATES) {
        const r = await runLoad({ url: server.url, bodies, connections: CONNECTIONS, seconds: SECONDS, rate });
        const p = r.latencyMs.percentiles;
        const key = keyOf(setting, rate);
        results.set(key, [...(results.get(key) ?? []), { p50: p.p50, p90: p.p90, p99: p.p99, cpu: r.serverCpuMs }]);
        process.stdout.write(`round ${round} ${key}: p50 ${p.p50.toFixed(1)} p90 ${p.p90.toFixed(1)} p99 ${p.p99.toFixed(1)} ms, server CPU ${r.serverCpuMs.toFixed(2)} ms/req\n`);
      }
    } finally {
      await server.close();
    }
  }
}

process.stdout.write(`\nmedian of ${ROUNDS} rounds, ${SECONDS} s each, ${CONNECTIONS} connections, paced\n`);
process.stdout.write('| layout | CPU scale | spread | GC pauses | offered req/s | p50 ms | p90 ms | p99 ms | server CPU ms/req |\n|---|---|---|---|---|---|---|---|---|\n');
for (const rate of RATES) {
  for (const setting of SETTINGS) {
    const { layout, scale, spread, gc } = setting;
    const rows = results.get(keyOf(setting, rate))!;
    const m = (f: (r: (typeof rows)[number]) => number) => median(rows.map(f));
    process.stdout.write(`| ${layout} | ${scale} | ${spread} | ${gc} | ${rate} | ${m((r) => r.p50).toFixed(1)} | ${m((r) => r.p90).toFixed(1)} | ${m((r) => r.p99).toFixed(1)} | ${m((r) => r.cpu).toFixed(2)} |\n`);
  }
}
