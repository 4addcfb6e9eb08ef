import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isRosettaError } from '../../models/errors.ts';
import { ExactIndex } from './exact-index.ts';
import { HnswIndex, defaultEf } from './hnsw-index.ts';
import { describeVectorIndexContract, lowRankVectors, randomVectors } from './vector-index.case.ts';

describeVectorIndexContract('HnswIndex', (dim) => new HnswIndex(dim, { initialCapacity: 4 }));

describe('HnswIndex', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rosetta-hnsw-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reaches recall@10 >= 0.98 against the exact index on 5,000 random low-rank 64-d vectors', async () => {
    const dim = 64;
    const data = lowRankVectors(5000, dim, 1);
    const queries = lowRankVectors(100, dim, 2);
    const hnsw = new HnswIndex(dim);
    const exact = new ExactIndex(dim);
    await Promise.all(data.flatMap((v, i) => [hnsw.add(i, v), exact.add(i, v)]));
    let found = 0;
    for (const q of queries) {
      const truth = new Set((await exact.search(q, 10)).map((h) => h.id));
      for (const hit of await hnsw.search(q, 10)) if (truth.has(hit.id)) found++;
    }
    const recall = found / (queries.length * 10);
    expect(recall).toBeGreaterThanOrEqual(0.98);
    // And a tiny candidate list must do worse, or this test could not fail.
    const starved = new HnswIndex(dim, { ef: () => 10, efConstruction: 16, m: 4 });
    for (let i = 0; i < data.length; i++) void starved.add(i, data[i]);
    let starvedFound = 0;
    for (const q of queries) {
      const truth = new Set((await exact.search(q, 10)).map((h) => h.id));
      for (const hit of await starved.search(q, 10)) if (truth.has(hit.id)) starvedFound++;
    }
    expect(starvedFound / (queries.length * 10)).toBeLessThan(recall);
  });

  it('grows past its initial capacity', async () => {
    const vecs = randomVectors(50, 4, 3);
    const index = new HnswIndex(4, { initialCapacity: 1 });
    for (let i = 0; i < vecs.length; i++) await index.add(i, vecs[i]);
    expect(index.size()).toBe(50);
    expect((await index.search(vecs[49], 1))[0].id).toBe(49);
  });

  it('counts deleted slots as holes until the id is added again', async () => {
    const vecs = randomVectors(3, 4, 4);
    const index = new HnswIndex(4);
    for (let i = 0; i < 3; i++) await index.add(i, vecs[i]);
    await index.remove(1);
    expect(index.holeCount()).toBe(1);
    await index.add(1, vecs[1]);
    expect(index.holeCount()).toBe(0);
  });

  it('finds filtered hits even when the filter rejects almost every vector', async () => {
    const vecs = randomVectors(2000, 16, 5);
    const index = new HnswIndex(16, { ef: () => 10, efConstruction: 40 });
    for (let i = 0; i < vecs.length; i++) await index.add(i, vecs[i]);
    const rare = (id: number) => id % 400 === 0;
    const hits = await index.search(vecs[1], 5, rare);
    expect(hits.map((h) => h.id).sort((a, b) => a - b)).toEqual([0, 400, 800, 1200, 1600]);
  });

  it('answers searches while a save runs on the worker thread', async () => {
    const vecs = randomVectors(2000, 32, 6);
    const index = new HnswIndex(32, { efConstruction: 40 });
    for (let i = 0; i < vecs.length; i++) await index.add(i, vecs[i]);
    const saving = index.save(join(dir, 'busy.hnsw'));
    const during = await Promise.all(vecs.slice(0, 20).map((v) => index.search(v, 3)));
    await saving;
    expect(during.map((hits) => hits[0].id)).toEqual([...Array(20).keys()]);
  });

  it('rejects a file with a damaged header with CORRUPT_MEDIA', async () => {
    const index = new HnswIndex(4);
    await index.add(1, new Float32Array([1, 0, 0, 0]));
    const path = join(dir, 'damaged.hnsw');
    await index.save(path);
    const bytes = readFileSync(path);
    bytes.writeBigUInt64LE(12345n, 32); // label offset: the dimension no longer adds up
    writeFileSync(path, bytes);
    const err = await new HnswIndex(4).load(path).catch((e: unknown) => e);
    expect(isRosettaError(err, 'CORRUPT_MEDIA')).toBe(true);
  });

  it('rejects an exact-index file with CORRUPT_MEDIA', async () => {
    const exact = new ExactIndex(4);
    await exact.add(1, new Float32Array([1, 2, 3, 4]));
    const path = join(dir, 'exact.idx');
    await exact.save(path);
    const err = await new HnswIndex(4).load(path).catch((e: unknown) => e);
    expect(isRosettaError(err, 'CORRUPT_MEDIA')).toBe(true);
  });

  it('widens ef with k', () => {
    expect(defaultEf(1)).toBe(192);
    expect(defaultEf(10)).toBe(192);
    expect(defaultEf(100)).toBe(528);
  });
});
