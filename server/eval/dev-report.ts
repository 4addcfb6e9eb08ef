/**
 * The development benchmark as Markdown tables and SVG recall@K charts, for BENCHMARKS.md.
 */
import type { DevBenchmarkResult, DevComparison, DevRun } from './dev-benchmark.ts';
import { SYSTEMS } from './dev-benchmark.ts';
import { METRIC_LABELS, type Metrics } from './metrics.ts';
import { chartGrid, type ChartSeries } from './svg.ts';
import type { TypeSummary } from './run.ts';

const COLUMNS: readonly (keyof Metrics)[] = ['recall1', 'recall5', 'recall10', 'mrr', 'map', 'ndcg10'];
const SYSTEM_COLOURS: Record<string, string> = { unaligned: '#999999', cca: '#E69F00', contrastive: '#0072B2' };

/**
 * The retrieval-quality section: systems per query type, the claims with their margins, and
 * the hybrid and composed ablations.
 *
 * @example devQualityMarkdown(result, { plots: 'docs/bench' }) // '### Systems per query type\n\n| type | ...'
 */
export function devQualityMarkdown(result: DevBenchmarkResult, options: { plots?: string } = {}): string {
  const out: string[] = [];
  const systems = SYSTEMS.map((s) => ({ ...s, run: result.runs.find((r) => r.id === `system:${s.name}`) })).filter((s) => s.run);
  const types = [...new Set(systems.flatMap((s) => s.run!.types.map((t) => t.type)))];

  out.push(`Eval split of the demo: ${result.collection.images} images and ${result.collection.sounds} sounds, none seen in training; space \`${result.space.version}\` (d = ${result.space.dim}); k = ${result.k}. Recall@K is the share of a query's relevant items in the first K; \`random\` is the exact expectation for a random ranking of the same pool.`);
  const d = result.collection.duplicates;
  if (d && d.items > 0) {
    out.push(
      '',
      `The engine stores identical files once: ${d.items} eval items have the same bytes as another (OpenMoji draws some variants alike) and are stored under its id, so ${d.queries} queries look for that twin instead` +
        (d.dropped > 0 ? `; ${d.dropped} had nothing left to find and are not scored.` : '.'),
    );
  }
  out.push('');
  out.push('| query type | queries | system | ' + COLUMNS.map((c) => METRIC_LABELS[c]).join(' | ') + ' |');
  out.push('|---|---:|---|' + COLUMNS.map(() => '---:').join('|') + '|');
  for (const type of types) {
    let random: TypeSummary | undefined;
    for (const s of systems) {
      const t = s.run!.types.find((x) => x.type === type);
      if (!t) continue;
      random ??= t;
      out.push(`| ${type} | ${t.count} | ${s.label} | ${COLUMNS.map((c) => num(t.metrics[c])).join(' | ')} |`);
    }
    if (random) out.push(`| ${type} |  | *random* | ${COLUMNS.map((c) => `*${num(random!.random[c])}*`).join(' | ')} |`);
  }
  if (options.plots) out.push('', `![recall@K per query type and system](${options.plots}/recall-at-k.svg)`);

  const alignment = result.comparisons.filter((c) => c.area === 'alignment');
  if (alignment.length > 0) {
    out.push('', '#### Does alignment help? (cross-modal types)', '');
    out.push('Margins are paired over the same queries, with a 95% bootstrap interval. A claim holds when the R@10 margin is above 0, and clearly so when its whole interval is.', '');
    out.push(...comparisonTable(alignment, result.runs));
  }
  const hybrid = result.comparisons.filter((c) => c.area === 'hybrid');
  if (hybrid.length > 0) {
    out.push('', `#### Vector only vs hybrid (captioned copy of the collection: ${result.collection.captioned} of ${result.collection.images + result.collection.sounds} items have a caption)`, '');
    out.push(...comparisonTable(hybrid, result.runs));
  }
  const composed = result.comparisons.filter((c) => c.area === 'composed');
  if (composed.length > 0) {
    const w = result.tuning.composedTextWeight;
    const grid = Object.entries(result.tuning.recall10).map(([weight, r]) => `${weight}: ${num(r)}`).join(', ');
    out.push('', `#### Composed queries: tuned weighting vs one part alone`, '');
    out.push(
      `Text weight tuned on ${result.tuning.queries} composed queries of the **train** split among ${result.tuning.images} train-split images (recall@10 by text weight: ${grid}): **${w}**. ` +
        `"tuned" below is CCA + contrastive with that weight.`,
      '',
    );
    out.push(...comparisonTable(composed, result.runs, { 'system:contrastive': `tuned (text ${w})` }));
  }
  if (options.plots) out.push('', `![recall@K of the ablations](${options.plots}/ablations-recall-at-k.svg)`);
  return out.join('\n') + '\n';
}

function comparisonTable(rows: readonly DevComparison[], runs: readonly DevRun[], rename: Record<string, string> = {}): string[] {
  const label = (id: string) => rename[id] ?? runs.find((r) => r.id === id)?.label ?? id;
  const metrics = rows[0].margins.map((m) => METRIC_LABELS[m.metric]);
  const out = [
    `| query type | queries | better | worse | ${metrics.map((m) => `${m} better / worse`).join(' | ')} | ${metrics.map((m) => `Δ${m} [95% CI]`).join(' | ')} | holds |`,
    `|---|---:|---|---|${metrics.map(() => '---:').join('|')}|${metrics.map(() => '---:').join('|')}|:-:|`,
  ];
  for (const c of rows) {
    const values = c.margins.map((m) => `${num(m.a)} / ${num(m.b)}`);
    const deltas = c.margins.map((m) => `${signed(m.delta)} [${signed(m.ci95[0])}, ${signed(m.ci95[1])}]`);
    out.push(`| ${c.type} | ${c.margins[0].queries} | ${label(c.better)} | ${label(c.worse)} | ${values.join(' | ')} | ${deltas.join(' | ')} | ${verdict(c)} |`);
  }
  return out;
}

/**
 * recall-at-k.svg: one panel per query type, a curve per system and the random expectation.
 *
 * @example recallCurvesSvg(result) // '<svg xmlns=...'
 */
export function recallCurvesSvg(result: DevBenchmarkResult): string {
  const systems = SYSTEMS.map((s) => ({ ...s, run: result.runs.find((r) => r.id === `system:${s.name}`) })).filter((s) => s.run);
  const types = [...new Set(systems.flatMap((s) => s.run!.types.map((t) => t.type)))];
  const panels = types.map((type) => {
    const series: ChartSeries[] = [];
    for (const s of systems) {
      const t = s.run!.types.find((x) => x.type === type);
      if (t?.recallCurve) series.push({ name: s.label, colour: SYSTEM_COLOURS[s.name], points: curvePoints(t.recallCurve) });
    }
    const any = systems.map((s) => s.run!.types.find((x) => x.type === type)).find((t) => t?.randomCurve);
    if (any?.randomCurve) series.push({ name: 'random', colour: '#bbbbbb', dashed: true, points: curvePoints(any.randomCurve) });
    return { series, options: panelOptions(`${type} (${any?.count ?? 0} queries)`, result.k) };
  });
  return chartGrid(panels, { columns: 3, title: `Recall@K on the demo's eval split, space ${result.space.version}` });
}

/**
 * ablations-recall-at-k.svg: vector only vs hybrid for text queries, and the composed weightings.
 *
 * @example ablationCurvesSvg(result) // '<svg xmlns=...'
 */
export function ablationCurvesSvg(result: DevBenchmarkResult): string {
  const run = (id: string) => result.runs.find((r) => r.id === id);
  const panel = (type: string, ids: [string, string, string][]) => {
    const series = ids.flatMap(([id, name, colour]) => {
      const curve = run(id)?.types.find((t) => t.type === type)?.recallCurve;
      return curve ? [{ name, colour, points: curvePoints(curve) }] : [];
    });
    return { series, options: panelOptions(type, result.k) };
  };
  const w = result.tuning.composedTextWeight;
  const panels = [
    panel('text→image', [['hybrid:vector', 'vector only', '#0072B2'], ['hybrid:hybrid', 'vector + keywords', '#D55E00']]),
    panel('text→audio', [['hybrid:vector', 'vector only', '#0072B2'], ['hybrid:hybrid', 'vector + keywords', '#D55E00']]),
    panel('composed', [['system:contrastive', `tuned (text ${w})`, '#0072B2'], ['composed:image-only', 'image only', '#009E73'], ['composed:text-only', 'text only', '#CC79A7']]),
  ].filter((p) => p.series.length > 0);
  return chartGrid(panels, { columns: 3, title: 'Ablations of CCA + contrastive: keyword fusion, composed weighting' });
}

function panelOptions(title: string, k: number) {
  return { title, xLabel: 'K', yLabel: 'recall@K', xLog: true, x: { min: 1, max: k }, y: { min: 0, max: 1 } };
}

function curvePoints(curve: readonly number[]): [number, number][] {
  return curve.map((r, i) => [i + 1, r]);
}

function verdict(c: DevComparison): string {
  if (c.significant) return 'yes';
  if (c.holds) return 'yes, within noise';
  // Every query scored the same on every metric: the two systems rank alike here.
  const same = c.margins.every((m) => m.delta === 0 && m.ci95[0] === 0 && m.ci95[1] === 0);
  return same ? '**no** (identical scores)' : '**no**';
}

function num(v: number): string {
  return v.toFixed(3);
}

function signed(v: number): string {
  return (v >= 0 ? '+' : '−') + Math.abs(v).toFixed(3);
}
