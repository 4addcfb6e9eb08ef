import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { RosettaError, isRosettaError } from '../../models/errors.ts';
import { ExactIndex } from './exact-index.ts';
import { HnswIndex } from './hnsw-index.ts';
import { ThreadedHnswIndex } from './hnsw-thread.ts';
import { describeVectorIndexContract, lowRankVectors, randomVectors, rejection } from './vector-index.case.ts';

describeVectorIndexContract('ThreadedHnswIndex', (dim) => new ThreadedHnswIndex(dim, { initialCapacity: 4 }));

describe('ThreadedHnswIndex', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rosetta-hnsw-thread-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const open: ThreadedHnswIndex[] = [];
  const threaded = (dim: number, options?: ConstructorParameters<typeof ThreadedHnswIndex>[1]) => {
    const index = new ThreadedHnswIndex(dim, options);
    open.push(index);
    return index;
  };
  afterEach(async () => {
    await Promise.all(open.splice(0).map((index) => index.close()));
  });

  it('returns the same ids and scores as an HnswIndex given the same calls', async () => {
    const dim = 32;
    const data = lowRankVectors(1500, dim, 11);
    const queries = lowRankVectors(40, dim, 12);
    const options = { efConstruction: 64, seed: 5 };
    const local = new HnswIndex(dim, options);
    const remote = threaded(dim, options);
    for (const index of [local, remote]) {
      for (let i = 0; i < data.length; i++) void index.add(i, data[i]);
      for (let i = 0; i < data.length; i += 7) void index.remove(i);
    }
    for (const q of queries) {
      for (const k of [1, 10, 50]) expect(await remote.search(q, k)).toEqual(await local.search(q, k));
    }
    expect(remote.size()).toBe(local.size());
    expect(remote.ids()).toEqual(local.ids());
    expect(remote.holeCount()).toBe(local.holeCount());
  });

  it('returns only the ids a filter admits, and the k best of them', async () => {
    const dim = 16;
    const data = randomVectors(800, dim, 21);
    const index = threaded(dim);
    const exact = new ExactIndex(dim);
    await Promise.all(data.flatMap((v, i) => [index.add(i, v), exact.add(i, v)]));
    // A common filter is met within the first window; a rare one needs the window widened
    // until it covers every vector, where the answer must be exactly the brute-force one.
    for (const filter of [(id: number) => id % 3 === 0, (id: number) => id % 200 === 7]) {
      for (const q of data.slice(0, 10)) {
        const hits = await index.search(q, 4, filter);
        const truth = await exact.search(q, 4, filter);
        expect(hits.every((h) => filter(h.id))).toBe(true);
        expect(hits.map((h) => h.id)).toEqual(truth.map((h) => h.id));
        hits.forEach((h, i) => expect(h.score).toBeCloseTo(truth[i].score, 5));
      }
    }
  });

  it('lets a filtered search that is still widening finish when the index is closed under it', async () => {
    const dim = 16;
    const data = randomVectors(800, dim, 23);
    const index = threaded(dim);
    const exact = new ExactIndex(dim);
    await Promise.all(data.flatMap((v, i) => [index.add(i, v), exact.add(i, v)]));
    // A rare filter needs several rounds; the store closes a swapped-out index the same way.
    const rare = (id: number) => id % 200 === 7;
    const searching = index.search(data[0], 4, rare);
    const closing = index.close();
    expect((await searching).map((h) => h.id)).toEqual((await exact.search(data[0], 4, rare)).map((h) => h.id));
    await closing;
    expect(isRosettaError(await rejection(index.search(data[0], 4)), 'INTERNAL')).toBe(true);
  });

  it('rethrows errors from the worker as RosettaErrors with their code and message', async () => {
    const index = threaded(4);
    await index.add(1, new Float32Array([1, 2, 3, 4]));
    const missing = await rejection(index.remove(99));
    expect(missing).toBeInstanceOf(RosettaError);
    expect(isRosettaError(missing, 'NOT_FOUND')).toBe(true);
    expect(missing.message).toBe('id 99 is not in the index');
    const path = join(dir, 'nowhere', 'x.hnsw');
    const unreadable = await rejection(index.load(path));
    expect(isRosettaError(unreadable, 'NOT_FOUND')).toBe(true);
    expect(unreadable.message).toContain(path);
    expect(index.size()).toBe(1);
  });

  it('reports size, ids and holes as soon as an add or remove is awaited', async () => {
    const vecs = randomVectors(3, 4, 4);
    const index = threaded(4);
    for (let i = 0; i < 3; i++) await index.add(i + 10, vecs[i]);
    expect(index.size()).toBe(3);
    expect(index.ids()).toEqual([10, 11, 12]);
    await index.remove(11);
    expect(index.size()).toBe(2);
    expect(index.ids()).toEqual([10, 12]);
    expect(index.holeCount()).toBe(1);
    await index.add(11, vecs[1]);
    expect(index.holeCount()).toBe(0);
    expect(index.size()).toBe(3);
  });

  it('saves and loads into a fresh index, deleted slots included', async () => {
    const dim = 24;
    const data = lowRankVectors(600, dim, 31);
    const index = threaded(dim);
    for (let i = 0; i < data.length; i++) void index.add(i, data[i]);
    for (const id of [3, 30, 300]) void index.remove(id);
    const path = join(dir, 'roundtrip.hnsw');
    await index.save(path);
    const copy = threaded(dim);
    await copy.load(path);
    expect(copy.size()).toBe(597);
    const sorted = (ids: number[]) => ids.sort((a, b) => a - b);
    expect(sorted(copy.ids())).toEqual(sorted(index.ids()));
    expect(copy.holeCount()).toBe(3);
    for (const q of data.slice(0, 20)) expect(await copy.search(q, 10)).toEqual(await index.search(q, 10));
    // The mirrored holes are the deleted ids: adding one back fills its slot.
    await copy.add(30, data[30]);
    expect(copy.holeCount()).toBe(2);
    expect((await copy.search(data[30], 1))[0].id).toBe(30);
  });

  it('lets a search see an add made before it that was not awaited', async () => {
    const vecs = randomVectors(2, 8, 41);
    const index = threaded(8);
    await index.add(1, vecs[0]);
    void index.add(2, vecs[1]);
    const hits = await index.search(vecs[1], 1);
    expect(hits[0].id).toBe(2);
    expect(hits[0].score).toBeCloseTo(1, 5);
  });

  it('mirrors exactly the loaded ids when a load settles, then the calls made after it', async () => {
    const vecs = randomVectors(3, 8, 42);
    const source = threaded(8);
    await source.add(1, vecs[0]);
    const path = join(dir, 'load-then-add.hnsw');
    await source.save(path);
    const index = threaded(8);
    const loading = index.load(path);
    const adding = index.add(2, vecs[1]);
    const removing = index.remove(1);
    // The mirror follows acknowledgements: once the load is, it holds exactly the file's ids.
    await loading;
    expect(index.ids()).toEqual([1]);
    expect(index.holeCount()).toBe(0);
    await Promise.all([adding, removing]);
    expect(index.ids()).toEqual([2]);
    expect(index.holeCount()).toBe(1);
    expect((await index.search(vecs[0], 5)).map((h) => h.id)).toEqual([2]);
  });

  it('rejects calls after close with INTERNAL, after finishing the ones made before', async () => {
    const vecs = randomVectors(2, 8, 43);
    const index = new ThreadedHnswIndex(8);
    const adding = index.add(1, vecs[0]);
    const closing = index.close();
    await adding;
    await closing;
    expect(index.size()).toBe(1);
    for (const call of [index.search(vecs[0], 1), index.add(2, vecs[1]), index.save(join(dir, 'closed.hnsw'))]) {
      const err = await rejection(call);
      expect(isRosettaError(err, 'INTERNAL')).toBe(true);
      expect(err.message).toContain('after close()');
    }
    await index.close();
  });

  it('rejects pending and later calls clearly when the worker thread dies', async () => {
    const vecs = randomVectors(200, 8, 44);
    const index = threaded(8);
    const calls: Promise<unknown>[] = vecs.map((v, i) => index.add(i, v));
    calls.push(...vecs.slice(0, 50).map((v) => index.search(v, 5)));
    // White-box: the test stands in for a native crash by ending the thread under the index.
    void (index as unknown as { rpc: { worker: Worker } }).rpc.worker.terminate();
    const outcomes = await Promise.allSettled(calls);
    const failures = outcomes.filter((o) => o.status === 'rejected').map((o) => o.reason as Error);
    expect(failures.length).toBeGreaterThan(0);
    for (const err of [...failures, await rejection(index.search(vecs[0], 1))]) {
      expect(isRosettaError(err, 'INTERNAL')).toBe(true);
      expect(err.message).toMatch(/HNSW index thread has exited/);
    }
  });

  it('rejects a dimension that is not a positive integer before starting a thread', () => {
    for (const dim of [0, -3, 2.5]) {
      expect(() => new ThreadedHnswIndex(dim)).toThrow(RosettaError);
    }
  });

  it('does not keep the process alive when idle, and does while a call is pending', () => {
    const script = join(dir, 'idle.mts');
    const module = new URL('./hnsw-thread.ts', import.meta.url).href;
    writeFileSync(
      script,
      `import { ThreadedHnswIndex } from ${JSON.stringify(module)};
const index = new ThreadedHnswIndex(3);
await index.add(1, new Float32Array([1, 0, 0]));
const hits = await index.search(new Float32Array([1, 0.1, 0]), 1);
console.log(JSON.stringify(hits.map((h) => h.id)));
`,
    );
    // Left open on purpose: the child must still exit on its own, with the awaited answer printed.
    const child = spawnSync(process.execPath, ['--import', 'tsx', script], {
      cwd: process.cwd(),
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    expect(child.stdout.trim()).toBe('[1]');
  });
});
