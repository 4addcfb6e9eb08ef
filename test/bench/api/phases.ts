/**
 * Where a text query's time goes: each phase of QueryEngine.search for text (hybrid) timed
 * on its own, one query at a time on an idle server, beside the whole engine call and the
 * whole HTTP round trip. The phases repeat the engine's steps with the same components (the
 * store's index and repository are reached through their private fields: this is a
 * diagnostic, and it breaks loudly if they are renamed).
 */
// Not on the store's public surface; the diagnostic repeats the store's own keyword planning.
import { planKeywordSearch, type CaptionIndex } from '../../../indexer/store/fts.ts';
import { createEncoder, type EncoderSettings } from '../../../models/encoders/index.ts';
import type { SparseRow } from '../../../models/types.ts';
import { searchRequestSchema } from '../../../server/api/schemas.ts';
import { FUSION_WINDOW, fuseRankings, primaryDepth } from '../../../server/engine/fusion.ts';
import type { QueryEngine } from '../../../server/engine/index.ts';
import { median, percentile } from '../timing.ts';

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
  items: CaptionIndex & { summaries(ids: number[]): Map<number, { id: number; caption: string | null; hasThumbnail: boolean }> };
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
  if (typeof internals.index?.search !== 'function' || typeof internals.items?.shortest !== 'function' || typeof internals.items?.summaries !== 'function') {
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
        const k = request.k ?? 20;
        const ann = vector ? await time(`HNSW search (k=${primaryDepth(k)})`, () => internals.index.search(vector, primaryDepth(k))) : [];
        const keyword = await time('keyword matches (FTS5, strict)', () => planKeywordSearch(internals.items, q, FUSION_WINDOW, vector ? 'strict' : 'exhaustive'));
        const fused = await time('RRF', () => fuseRankings(ann.map((h) => h.id), keyword.map((h) => h.id)).slice(0, k));
        const shown = await time('item summaries, the page', () => internals.items.summaries(fused.map((f) => f.id)));
        await time('results + JSON.stringify', () => JSON.stringify({ results: fused.map((f) => ({ ...shown.get(f.id), score: f.score })) }));
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
