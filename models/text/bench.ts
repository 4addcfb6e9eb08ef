/**
 * Throughput and cold start of the lexical text featurizer.
 *
 *   npx tsx models/text/bench.ts            # cold start from the cache, then captions/s
 *   npx tsx models/text/bench.ts --rebuild  # also time building the WordNet cache from scratch
 *
 * Captions are generated (seeded) from a caption-like vocabulary, 5-15 words each.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTextEncoder } from './index.ts';

const nouns = `dog cat puppy kitten horse cow sheep bird duck elephant giraffe zebra bear man woman child
  boy girl people player skier surfer car truck bus train bicycle motorcycle boat airplane street road
  beach ocean lake river mountain field park city building house kitchen table chair bed couch window
  door pizza sandwich cake banana apple orange bowl plate cup bottle phone laptop computer television
  clock umbrella kite frisbee ball bat glove skateboard surfboard snow grass tree flower sky sunset night
  guitar piano book shirt hat jacket dress bench fence sign light tower bridge market crowd`.split(/\s+/);
const adjectives = `red blue green yellow black white brown small large big old young tall wooden empty
  crowded busy sunny snowy wet dark bright colorful cute fluffy shiny rusty modern narrow`.split(/\s+/);
const verbs = `sitting standing running walking eating holding riding playing flying lying sleeping
  parked jumping looking carrying driving swimming watching waiting crossing`.split(/\s+/);
const glue = `on in at near with under beside behind next to of the a an and while`.split(/\s+/);

function rng(seed: number): () => number {
  // mulberry32: tiny and deterministic, so every run sees the same captions
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function captions(n: number, seed: number): string[] {
  const r = rng(seed);
  const pick = (a: string[]): string => a[Math.floor(r() * a.length)];
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const len = 5 + Math.floor(r() * 11);
    const words = ['a', pick(adjectives), pick(nouns), pick(verbs)];
    while (words.length < len) {
      const x = r();
      words.push(x < 0.35 ? pick(glue) : x < 0.7 ? pick(nouns) : x < 0.85 ? pick(adjectives) : pick(verbs));
    }
    out.push(words.slice(0, len).join(' '));
  }
  return out;
}

/** Wall and CPU seconds of `fn`: the machine is shared, and CPU time shows what contention hides. */
async function timed(fn: () => unknown): Promise<{ wall: number; cpu: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const c = process.cpuUsage(c0);
  return { wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
}

function rate(n: number, t: { wall: number; cpu: number }): string {
  return `${(n / t.wall).toFixed(0)} captions/s wall, ${(n / t.cpu).toFixed(0)} per CPU-second`;
}

function secs(t: { wall: number; cpu: number }): string {
  return `${(t.wall * 1000).toFixed(0)} ms wall (${(t.cpu * 1000).toFixed(0)} ms CPU)`;
}

async function main(): Promise<void> {
  if (process.argv.includes('--rebuild')) {
    const dir = mkdtempSync(join(tmpdir(), 'rosetta-wn-'));
    try {
      console.log(`WordNet cache build (no cache): ${secs(await timed(() => createTextEncoder({ cacheDir: dir }).ready()))}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  const enc = createTextEncoder();
  const load = await timed(() => enc.ready());
  const first = await timed(() => enc.featurize('a red sports car parked on a street at night'));
  console.log(`cold start: WordNet load ${secs(load)}, first caption ${secs(first)}`);

  const warm = captions(20_000, 1);
  console.log(`first pass (memo filling): ${rate(warm.length, await timed(() => warm.forEach((c) => enc.featurize(c))))}`);

  const fresh = captions(50_000, 2); // new captions, known words: the steady state
  let ids = 0;
  const t = await timed(() => fresh.forEach((c) => (ids += enc.featurize(c).ids.length)));
  console.log(`steady state: ${rate(fresh.length, t)} (${(ids / fresh.length).toFixed(0)} ids per caption)`);

  const batch = fresh.slice(0, 10_000);
  console.log(`encode() of a 10,000-caption batch: ${rate(batch.length, await timed(() => enc.encode(batch)))}`);
  await enc.close();
}

await main();
