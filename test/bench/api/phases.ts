/**
 * Where a text query's time goes: each phase of QueryEngine.search for text (hybrid) timed
 * on its own, one query at a time on an idle server, beside the whole engine call and the
 * whole HTTP round trip. The phases repeat the engine's steps with the same components (the
 * store's index and repository are reached through their private fields: this is a
 * diagnostic, and it breaks loudly if they are renamed).
 */
import type { ItemRecord, SearchHit } from '../../../indexer/store/index.ts';
// Not on the store's public surface; the diagnostic repeats the store's own query building.
import { ftsQuery } from '../../../indexer/store/fts.ts';
import { createEncoder, type EncoderSettings } from '../../../models/encoders/index.ts';
import type { SparseRow } from '../../../models/types.ts';
import { searchRequestSchema } from '../../../server/api/schemas.ts';
import { reciprocalRankFusion, searchResult, type QueryEngine } from '../../../server/engine/index.ts';
import { median, percentile } from '../timing.ts';

/** Must match the engine's keyword depth (engine.ts MIN_KEYWORD_DEPTH). */
const KEYWORD_DEPTH = 50;

export interface PhaseTimes {
  queries: number;
  /**
   * Per phase, in milliseconds, one query at a time: wall-clock median, p99 and mean, and the
   * process's CPU time per query (steadier than wall time on a shared machine; it counts
   * every thread of the process, and for the HTTP round trip the client's share too).
   */
  phases: Record<string, { p50: number; p99: number; mean: number; cpu: number }>;
}

interface StoreInternals {
  index: { search(v: Float32Array, k: number): Promise<{ id: number; score: number }[]> };
  items: { getMany(ids: number[]): Map<number, ItemRecord>; keywordMatches(q: string, limit: number): { id: number; rank: number }[] };
}

/**
 * @example
 * await textPhases(engine, settings, url, ['red heart', 'cat'], 2)
 * // { phases: { 'text encode': { p50: 0.21, ... }, 'HNSW search': ..., 'HTTP round trip': ... } }
 */
export async function textPhases(engine: QueryEngine, settings: EncoderSettings, url: string, bodies: string[]): Promise<PhaseTimes> {
  const text = await createEncoder('text', settings);
  const store = engine.store;
  const internals = store as unknown as StoreInternals;
  if (typeof internals.index?.search !== 'function' || typeof internals.items?.keywordMatches !== 'function') {
    throw new Error('CollectionStore internals changed: update test/bench/api/phases.ts');
  }
  const times: Record<string, number[]> = {};
  const cpu: Record<string, number> = {};
  const time = async <T>(name: string, fn: () => T | Promise<T>): Promise<T> => {
    const c = process.cpuUsage();
    const t = performance.now();
    const out = await fn();
    (times[name] ??= []).push(performance.now() - t);
    const used = process.cpuUsage(c);
    cpu[name] = (cpu[name] ?? 0) + (used.user + used.system) / 1000;
    return out;
  };
  try {
    // Two passes: the first warms the JIT and SQLite's page cache and is not counted.
    for (let pass = 0; pass < 2; pass++) {
      if (pass === 1) for (const k of Object.keys(times)) [times, cpu].forEach((t) => delete t[k]);
      for (const body of bodies) {
        const request = await time('JSON parse + zod', () => searchRequestSchema.parse(JSON.parse(body)));
        const q = request.text!;
        const [row] = await time('text encode (featurizer)', () => text.encode([q]));
        let vector: Float32Array | undefined;
        try {
          vector = await time('bag head (embedQuery)', () => engine.projector.embedQuery('text', row as SparseRow));
        } catch {
          // Words the space never saw: the engine goes keyword-only.
        }
        const ann = vector ? await time('HNSW search (k=20)', () => internals.index.search(vector, request.k)) : [];
        const vectorRecords = await time('item records, vector hits', () => internals.items.getMany(ann.map((h) => h.id)));
        const fts = ftsQuery(q);
        const matches = fts ? await time('FTS5 match + bm25 (limit 50)', () => internals.items.keywordMatches(fts, KEYWORD_DEPTH)) : [];
        const keywordRecords = await time('item records, keyword hits', () => internals.items.getMany(matches.map((m) => m.id)));
        const vectorHits: SearchHit[] = ann.map((h) => ({ ...h, item: vectorRecords.get(h.id)! }));
        const fused = await time('RRF', () => reciprocalRankFusion([vectorHits.map((h) => h.id), matches.map((m) => m.id)]));
        await time('results + JSON.stringify', () => {
          const results = fused.slice(0, request.k).map((f) => searchResult(vectorRecords.get(f.id) ?? keywordRecords.get(f.id)!, f.score));
          return JSON.stringify({ results });
        });
        await time('engine.search (whole)', () => engine.search({ text: q, k: request.k, offset: request.offset, hybrid: request.hybrid }));
        await time('HTTP round trip (1 connection)', async () => {
          const res = await fetch(`${url}/api/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
          if (!res.ok) throw new Error(`POST /api/search answered ${res.status}: ${await res.text()}`);
          await res.arrayBuffer();
        });
      }
    }
  } finally {
    await text.close();
  }
  return {
    queries: bodies.length,
    phases: Object.fromEntries(
      Object.entries(times).map(([name, ms]) => [
        name,
        { p50: median(ms), p99: percentile(ms, 99), mean: ms.reduce((a, b) => a + b, 0) / ms.length, cpu: cpu[name] / ms.length },
      ]),
    ),
  };
}
