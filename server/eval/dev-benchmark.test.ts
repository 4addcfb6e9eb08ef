// The development benchmark end to end, lightly: a space trained by the default recipe (from
// the full demo's caches, in a temp models folder), the small demo build's eval split indexed
// through the real engine, every system and ablation in one run; then `rosetta eval` on the
// collection it built. Small numbers of queries: the assertions are about structure, and the
// one claim strong enough to hold at this size (aligned beats unaligned on text→image).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../bin/config.ts';
import type { CliContext } from '../../bin/commands/context.ts';
import { registerEvalCommand } from '../../bin/commands/eval-command.ts';
import { buildDemoData, type DemoItem } from '../../data/demo/index.ts';
import { ensureDefaultSpace } from '../../models/space/index.ts';
import { TEXT_WEIGHT_GRID } from '../engine/index.ts';
import { CROSS_MODAL_TYPES, QUERIES_FILE, runDevBenchmark, SYSTEMS, type DevBenchmarkResult, type DevRun } from './dev-benchmark.ts';
import { ablationCurvesSvg, devQualityMarkdown, recallCurvesSvg } from './dev-report.ts';
import { writeDevQueries } from './dev-set.ts';
import type { EvalReport } from './run.ts';

const cacheDir = fileURLToPath(new URL('../../models/cache', import.meta.url));
const root = mkdtempSync(path.join(tmpdir(), 'rosetta-dev-bench-'));
const demoDir = path.join(root, 'demo-small');
const modelsDir = path.join(root, 'models');
const workDir = path.join(root, 'work');
const K = 100;
let result: DevBenchmarkResult;

beforeAll(async () => {
  await buildDemoData({ dir: demoDir, size: 'small' });
  // The small build's eval items are eval items of the full build too (splits hash ids), so a
  // space trained on the full build's train split has never seen them. A lighter recipe than
  // the default (fewer images and epochs) keeps the file near two minutes on the 2-core box.
  await ensureDefaultSpace({ modelsDir, cacheDir, demoSize: 'full', maxImages: 600, train: { epochs: 10 } });
  result = await runDevBenchmark({ demoDir, workDir, modelsDir, cacheDir, k: K, tuneQueries: 20 });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const run = (id: string): DevRun => {
  const r = result.runs.find((x) => x.id === id);
  if (!r) throw new Error(`no run ${id}`);
  return r;
};

function readJsonl<T>(file: string): T[] {
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as T);
}

describe('runDevBenchmark on the small demo', () => {
  it('scores every system on every query type the build supplies, with recall@K curves for K = 1..k', () => {
    const types = Object.keys(result.queries);
    expect(types).toEqual(expect.arrayContaining(['text→image', 'sketch→image', 'composed', 'text→audio', 'image→image']));
    for (const { name } of SYSTEMS) {
      const r = run(`system:${name}`);
      expect(r.types.map((t) => t.type)).toEqual(types);
      for (const t of r.types) {
        expect(t.count).toBe(result.queries[t.type]);
        expect(t.recallCurve).toHaveLength(K);
        expect(t.randomCurve).toHaveLength(K);
        const c = t.recallCurve!;
        for (let i = 1; i < K; i++) expect(c[i]).toBeGreaterThanOrEqual(c[i - 1]);
        expect(c[K - 1]).toBeLessThanOrEqual(1);
        expect(c[9]).toBeCloseTo(t.metrics.recall10, 12);
      }
    }
  });

  it('puts aligned systems above the unaligned baseline on text→image', () => {
    const r10 = (id: string) => run(id).types.find((t) => t.type === 'text→image')!.metrics.recall10;
    const unaligned = r10('system:unaligned');
    expect(r10('system:cca')).toBeGreaterThan(unaligned + 0.1);
    expect(r10('system:contrastive')).toBeGreaterThan(unaligned + 0.1);
    const claim = result.comparisons.find((c) => c.area === 'alignment' && c.type === 'text→image' && c.better === 'system:cca' && c.worse === 'system:unaligned');
    expect(claim?.holds).toBe(true);
    expect(claim?.margins.map((m) => m.metric)).toEqual(['recall10', 'mrr']);
  });

  it('states both alignment claims for every cross-modal type it has queries of', () => {
    for (const type of CROSS_MODAL_TYPES.filter((t) => result.queries[t])) {
      const claims = result.comparisons.filter((c) => c.area === 'alignment' && c.type === type);
      expect(claims.map((c) => `${c.better}>${c.worse}`), type).toEqual(['system:cca>system:unaligned', 'system:contrastive>system:cca']);
      for (const c of claims) expect(c.margins[0].queries).toBe(result.queries[type]);
    }
  });

  it('tunes the composed weight on train-split queries among train-split images only', () => {
    const items = new Map(readJsonl<DemoItem>(path.join(demoDir, 'items.jsonl')).map((i) => [i.id, i]));
    const tune = readJsonl<{ id: string }>(path.join(workDir, 'tune.jsonl'));
    const plain = new Set(readJsonl<{ id: string }>(path.join(workDir, 'plain.jsonl')).map((i) => i.id));
    expect(tune.length).toBeGreaterThan(0);
    for (const { id } of tune) {
      expect(items.get(id)?.split, id).toBe('train');
      expect(plain.has(id), id).toBe(false);
    }
    expect(result.tuning.split).toBe('train');
    expect(result.tuning.queries).toBeGreaterThan(0);
    expect(TEXT_WEIGHT_GRID).toContain(result.tuning.composedTextWeight);
    expect(run('system:contrastive').composedTextWeight).toBe(result.tuning.composedTextWeight);
  });

  it('runs the ablations: vector only vs hybrid on the captioned copy, composed text weight 0 and 1', () => {
    for (const id of ['hybrid:vector', 'hybrid:hybrid']) {
      expect(run(id).collection).toBe('captioned');
      expect(run(id).types.map((t) => t.type).sort()).toEqual(['text→audio', 'text→image']);
    }
    expect(result.collection.captioned).toBeGreaterThan(0);
    // Whether fusion helps is the benchmark's finding, not a given; that it took effect is.
    const rankings = (id: string) => run(id).queries.map((q) => [q.firstRelevant, q.metrics.map]);
    expect(rankings('hybrid:hybrid')).not.toEqual(rankings('hybrid:vector'));
    expect(run('hybrid:hybrid').hybrid).toBe(true);
    expect([run('composed:image-only').composedTextWeight, run('composed:text-only').composedTextWeight]).toEqual([0, 1]);
    expect(run('composed:image-only').types.map((t) => t.type)).toEqual(['composed']);
  });

  it('is plain JSON, and renders as Markdown tables and SVG charts', () => {
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
    const md = devQualityMarkdown(result, { plots: 'docs/bench' });
    for (const type of Object.keys(result.queries)) expect(md).toContain(`| ${type} |`);
    expect(md).toContain('Does alignment help?');
    const svg = recallCurvesSvg(result);
    // A curve per system and a random curve per query type.
    expect(svg.match(/<path /g)).toHaveLength(Object.keys(result.queries).length * (SYSTEMS.length + 1));
    expect(ablationCurvesSvg(result).match(/<path /g)).toHaveLength(2 + 2 + 3);
  });
});

describe('rosetta eval', () => {
  it("scores a query file against the benchmark's collection as the benchmark's served system did", async () => {
    const queries = path.join(workDir, QUERIES_FILE);
    const out = path.join(root, 'report.json');
    const context: CliContext = {
      config: () => loadConfig({ modelsDir, cacheDir, dataDir: path.join(root, 'unused') }, {}),
      openStore: () => Promise.reject(new Error('not used by eval')),
    };
    const program = registerEvalCommand(new Command('rosetta').exitOverride(), context).parent!;
    const printed: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (printed.push(String(chunk)), true));
    try {
      await program.parseAsync(['eval', '--queries', queries, '--db', path.join(workDir, 'plain'), '--root', demoDir, '--no-hybrid', '--json', out], { from: 'user' });
    } finally {
      spy.mockRestore();
    }
    expect(printed.join('')).toMatch(/^k = 100\ntype +queries +R@1/);
    const report = JSON.parse(readFileSync(out, 'utf8')) as EvalReport & { space: string };
    expect(report.space).toBe(result.space.version);
    const served = run('system:contrastive');
    // tuning.json beside the collection carries the benchmark's composed weight.
    for (const t of served.types) {
      const mine = report.types.find((x) => x.type === t.type)!;
      expect(mine.count, t.type).toBe(t.count);
      expect(mine.metrics.recall10, t.type).toBeCloseTo(t.metrics.recall10, 6);
      expect(mine.metrics.mrr, t.type).toBeCloseTo(t.metrics.mrr, 6);
    }
  });

  it('refuses an empty query file', async () => {
    const queries = path.join(root, 'bad.jsonl');
    await writeDevQueries(queries, []);
    const context: CliContext = { config: () => loadConfig({ modelsDir, cacheDir }, {}), openStore: () => Promise.reject(new Error('unused')) };
    const program = registerEvalCommand(new Command('rosetta').exitOverride(), context).parent!;
    await expect(program.parseAsync(['eval', '--queries', queries], { from: 'user' })).rejects.toThrow(/holds no queries/);
  });
});
