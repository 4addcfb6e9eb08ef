// Resumability: `rosetta index` killed with SIGKILL at random moments, then run to the end,
// must leave exactly the collection (rows, features, thumbnails, ids) and the search results
// that one uninterrupted run leaves.
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIndexJob, type IndexEncoders } from '../indexer/job/index.ts';
import { DATABASE_FILE } from '../indexer/store/index.ts';
import { dumpCollection, makeImage, makeWav, prng } from '../indexer/job/testing.ts';
import { loadTestEncoders, openTestStore, testSpace } from './helpers/index-child.ts';

const SEED = 20261128;
const KILLS = 6;
const BATCH = 4;
const repo = fileURLToPath(new URL('..', import.meta.url));
const child = fileURLToPath(new URL('./helpers/index-child.ts', import.meta.url));
const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'rosetta-index-kill-'));
const lib = join(root, 'lib');
const manifest = join(root, 'sounds.jsonl');

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** 48 images (some captioned, two duplicates), 4 clips in the tree, 3 more via a manifest, 1 bad file. */
beforeAll(async () => {
  mkdirSync(join(lib, 'photos/b'), { recursive: true });
  mkdirSync(join(lib, 'sounds'), { recursive: true });
  mkdirSync(join(root, 'extra'), { recursive: true });
  for (let i = 0; i < 48; i++) {
    const file = join(lib, `photos/${i % 3 === 0 ? 'b/' : ''}${String(i).padStart(2, '0')}.${i % 4 === 0 ? 'png' : 'jpg'}`);
    writeFileSync(file, await makeImage(100 + i, 48 + (i % 5) * 16, i % 4 === 0 ? 'png' : 'jpeg'));
    if (i % 5 === 0) writeFileSync(file.replace(/\.\w+$/, '.txt'), `picture number ${i} of a ${['red', 'green', 'blue'][i % 3]} thing`);
  }
  writeFileSync(join(lib, 'photos/dup-of-01.jpg'), readFileSync(join(lib, 'photos/01.jpg')));
  writeFileSync(join(lib, 'photos/b/dup-of-02.jpg'), readFileSync(join(lib, 'photos/02.jpg')));
  writeFileSync(join(lib, 'photos/broken.jpg'), readFileSync(join(fixtures, 'images/truncated.jpg')));
  for (let i = 0; i < 4; i++) writeFileSync(join(lib, `sounds/${i}.wav`), makeWav(200 + i, 1));
  for (let i = 0; i < 3; i++) writeFileSync(join(root, `extra/clip-${i}.wav`), makeWav(300 + i, 1));
  writeFileSync(
    manifest,
    [0, 1, 2].map((i) => JSON.stringify({ id: `clip-${i}`, path: `extra/clip-${i}.wav`, modality: 'audio', caption: `a chord number ${i}` })).join('\n'),
  );
});

interface ChildRun {
  /** Time from the spawn to the job's start event, when it came. */
  startedAfterMs?: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  events: Record<string, unknown>[];
  stderr: string;
}

type KillPlan =
  /** SIGKILL `ms` after the spawn. */
  | { afterSpawnMs: number }
  /** SIGKILL (or `signal`) `extraMs` after the collection holds `items` items: during real work, wherever that is. */
  | { items: number; extraMs: number; signal?: NodeJS.Signals };

/** Runs `rosetta index` in a child, and kills it as planned unless it finishes first. */
function runChild(db: string, plan?: KillPlan): Promise<ChildRun> {
  const args = ['--import', 'tsx', child, 'index', lib, '--manifest', manifest, '--root', root, '--db', db, '--json', '--batch', String(BATCH)];
  const spawned = performance.now();
  const proc = spawn(process.execPath, args, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  const events: Record<string, unknown>[] = [];
  let startedAfterMs: number | undefined;
  let stderr = '';
  let buffered = '';
  const timers: NodeJS.Timeout[] = [];
  const kill = (ms: number, signal: NodeJS.Signals = 'SIGKILL') => timers.push(setTimeout(() => proc.kill(signal), ms));
  if (plan && 'afterSpawnMs' in plan) kill(plan.afterSpawnMs);
  if (plan && 'items' in plan) {
    // Polls a read-only connection; WAL lets it read while the child writes.
    const poll = setInterval(() => {
      if (countItems(db) >= plan.items) {
        clearInterval(poll);
        kill(plan.extraMs, plan.signal);
      }
    }, 20);
    timers.push(poll);
  }
  proc.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines.filter(Boolean)) {
      const event = JSON.parse(line) as Record<string, unknown>;
      events.push(event);
      if (event.event === 'start') startedAfterMs = performance.now() - spawned;
    }
  });
  proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) =>
    proc.on('close', (code, signal) => {
      timers.forEach((t) => clearTimeout(t));
      resolve({ code, signal, events, stderr, startedAfterMs });
    }),
  );
}

function countItems(db: string): number {
  try {
    const conn = new Database(join(db, DATABASE_FILE), { readonly: true, fileMustExist: true });
    try {
      return conn.prepare('SELECT count(*) FROM items').pluck().get() as number;
    } finally {
      conn.close();
    }
  } catch {
    return 0; // not created yet
  }
}

describe('killing `rosetta index` and running it again', () => {
  let encoders: IndexEncoders;
  beforeAll(async () => {
    encoders = await loadTestEncoders();
  });
  afterAll(async () => {
    await Promise.allSettled([encoders?.image.close(), encoders?.audio.close(), encoders?.text.close()]);
  });

  it('ends with exactly the collection and search results of an uninterrupted run', { timeout: 150_000 }, async () => {
    // The reference: one run in this process, never interrupted.
    const reference = join(root, 'reference');
    const store = await openTestStore(reference);
    const expected = await runIndexJob(store, encoders, { paths: [lib], manifests: [{ path: manifest }], manifestRoot: root, batchSize: BATCH });
    await store.close();
    expect(expected).toMatchObject({ total: 58, added: 55, duplicates: 2, failed: 1 });

    // Killed runs, alternating: at a random moment after the spawn (in startup, opening the
    // store, or its repair of the previous kill), and a random few milliseconds after the
    // collection reached a random size (in decoding, inference or a write).
    const resumed = join(root, 'resumed');
    const rand = prng(SEED);
    let startupMs = 3000;
    let items = 0;
    const outcomes: { plan: KillPlan; killed: boolean; before: number; items: number }[] = [];
    for (let i = 0; i < KILLS; i++) {
      const room = Math.max(1, Math.floor((55 - 8 - items) / 2));
      const plan: KillPlan =
        i % 2 === 0
          ? { items: items + 1 + Math.floor(rand() * room), extraMs: Math.round(rand() * 150) }
          : { afterSpawnMs: Math.round(rand() * (startupMs + 1500)) };
      const run = await runChild(resumed, plan);
      if (run.signal !== 'SIGKILL') expect(run, run.stderr).toMatchObject({ code: 0 });
      if (run.startedAfterMs !== undefined) startupMs = run.startedAfterMs;
      const before = items;
      items = countItems(resumed);
      outcomes.push({ plan, killed: run.signal === 'SIGKILL', before, items });
    }
    const final = await runChild(resumed);
    expect(final.code, final.stderr).toBe(0);
    const summary = final.events.find((e) => e.event === 'summary');
    expect(summary).toMatchObject({ status: 'succeeded', total: 58, duplicates: 2, failed: 1 });
    const s = summary as { added: number; updated: number; unchanged: number };
    expect(s.added + s.updated + s.unchanged).toBe(55);

    // The loop must have interrupted real work, not only startups or finished runs.
    const midway = outcomes.filter((o) => 'items' in o.plan && o.killed && o.items > o.before && o.items < 55);
    expect(midway.length, JSON.stringify(outcomes)).toBeGreaterThanOrEqual(2);

    expect(dumpCollection(resumed)).toEqual(dumpCollection(reference));

    const a = await openTestStore(reference);
    const b = await openTestStore(resumed);
    try {
      const jobs = b.listJobs(50);
      expect(jobs[0].status).toBe('succeeded');
      expect(jobs.some((j) => j.status === 'interrupted')).toBe(true);
      const space = testSpace();
      for (const id of ['photos/01.jpg', 'photos/b/00.png', 'photos/b/03.jpg', 'photos/10.jpg', 'sounds/2.wav', 'clip-1']) {
        const item = a.getItem(id);
        const query = space.project({ modality: item.modality, features: a.getFeatures(id) })!;
        const ids = async (store: typeof a) => (await store.search(query, 8)).map((h) => h.item.externalId);
        expect(await ids(b)).toEqual(await ids(a));
      }
      expect(b.stats()).toEqual(a.stats());
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('stops after the batch in flight on Ctrl-C (SIGINT), records the job as cancelled, and exits 130', { timeout: 60_000 }, async () => {
    const db = join(root, 'interrupted');
    const run = await runChild(db, { items: 8, extraMs: 0, signal: 'SIGINT' });
    expect(run.code, run.stderr).toBe(130);
    expect(run.stderr).toContain('stopping after the current batch');
    const summary = run.events.find((e) => e.event === 'summary') as { status: string; added: number; total: number };
    expect(summary.status).toBe('cancelled');
    expect(summary.added).toBeGreaterThanOrEqual(8);
    expect(summary.added).toBeLessThan(55);
    const store = await openTestStore(db);
    try {
      expect(store.listJobs(1)[0]).toMatchObject({ status: 'cancelled', counts: { added: summary.added } });
      expect(store.stats().items).toBe(summary.added);
    } finally {
      await store.close();
    }
  });
});
