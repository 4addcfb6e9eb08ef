/**
 * Measures HnswIndex recall@k against ExactIndex for a range of ef, to choose defaultEf.
 * Not part of the test suite (a 100k build takes minutes):
 *
 *   npx tsx indexer/vector/recall.bench.ts [count=100000] [dim=256] [data=lowrank|gaussian] [queries=200]
 *
 * `gaussian` is iid N(0,1) in every dimension: no structure at all, the worst case for any
 * graph index (every point is almost equally far from a query). `lowrank` maps 32-d Gaussian
 * codes through a fixed random 32 x dim matrix and adds 10% noise: an intrinsic dimension
 * like that reported for CLIP-style embeddings. Queries are fresh draws, not indexed points.
 *
 * Measured on the shared 2-core dev container, M=16, efConstruction=200, 100k x 256-d:
 *
 *   recall@k     ef:  64     128    192    256    384    512    1024
 *   lowrank  k=10     0.890  0.970  0.988  0.993  0.998  0.999  1.000
 *   lowrank  k=50     0.771  0.909  0.956  0.976  0.992  0.996  1.000
 *   lowrank  k=100    -      0.864  0.930  0.958  0.984  0.993  0.999
 *   gaussian k=10     0.119  0.217  0.284  0.355  0.456  0.535  -
 *   gaussian k=50     0.097  0.173  0.240  0.297  0.392  0.471  -
 *   (the gaussian rows came from an earlier script calling hnswlib-node directly, same M and
 *   efConstruction, another RNG)
 *
 * Build: 100k low-rank vectors took 701 s of wall time on that (heavily shared) machine,
 * iid Gaussian 291 s; search at ef=192 about 3 ms per query. 20k iid Gaussian vectors need
 * ef=1024 for recall@10 = 0.98.
 */
import { ExactIndex } from './exact-index.ts';
import { HnswIndex } from './hnsw-index.ts';
import { lowRankVectors, randomVectors } from './vector-index.case.ts';

const [count = 100_000, dim = 256] = process.argv.slice(2, 4).map(Number);
const data = process.argv[4] ?? 'lowrank';
const queryCount = Number(process.argv[5] ?? 200);

function draw(n: number, seed: number): Float32Array[] {
  return data === 'gaussian' ? randomVectors(n, dim, seed) : lowRankVectors(n, dim, seed);
}

const points = draw(count, 1);
const queries = draw(queryCount, 2);
const hnsw = new HnswIndex(dim, { initialCapacity: count });
const exact = new ExactIndex(dim);
let t = Date.now();
for (let i = 0; i < count; i++) void hnsw.add(i, points[i]);
await hnsw.search(queries[0], 1);
console.log(`build ${count} x ${dim} (${data}): ${((Date.now() - t) / 1000).toFixed(1)} s`);
for (let i = 0; i < count; i++) void exact.add(i, points[i]);
const truth = await Promise.all(queries.map((q) => exact.search(q, 100)));

for (const k of [10, 50, 100]) {
  for (const ef of [16, 32, 64, 96, 128, 192, 256, 384, 512, 1024]) {
    if (ef < k) continue;
    const index = new HnswIndex(dim, { ef: () => ef });
    // Reuse the built graph: only the search-time ef differs.
    Object.assign(index, { native: (hnsw as unknown as { native: unknown }).native, live: (hnsw as unknown as { live: unknown }).live });
    let found = 0;
    t = performance.now();
    for (let qi = 0; qi < queries.length; qi++) {
      const want = new Set(truth[qi].slice(0, k).map((h) => h.id));
      for (const hit of await index.search(queries[qi], k)) if (want.has(hit.id)) found++;
    }
    const ms = (performance.now() - t) / queries.length;
    console.log(`k=${k} ef=${ef} recall=${(found / (queries.length * k)).toFixed(4)} ${ms.toFixed(2)} ms/query`);
  }
}
