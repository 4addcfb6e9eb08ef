/**
 * Hand-written SVG line charts for BENCHMARKS.md (recall@K curves, latency distributions):
 * a few polylines with axes and a legend need no plotting library, and the output diffs well.
 */
import { RosettaError } from '../../models/errors.ts';

export interface ChartSeries {
  name: string;
  points: readonly (readonly [number, number])[];
  /** Default: the next colour of the palette. */
  colour?: string;
  dashed?: boolean;
}

export interface ChartOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Default 360 x 240. */
  width?: number;
  height?: number;
  /** Axis ranges; default: the data's. */
  x?: { min: number; max: number };
  y?: { min: number; max: number };
  /** A base-10 logarithmic x axis (for K = 1..100, where the first ten ranks matter most). */
  xLog?: boolean;
  /**
   * Where the legend goes; default bottom-right, which rising curves (recall@K, a CDF) leave
   * empty. 'outside' puts it right of the plot, for many series.
   */
  legend?: 'bottom-right' | 'top-left' | 'outside';
}

/** Colour-blind-safe (Okabe-Ito) first, then greys. */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#999999'];

const PAD = { left: 44, right: 10, top: 24, bottom: 34 };

/**
 * One line chart as a standalone SVG document.
 *
 * @example
 * lineChart([{ name: 'CCA', points: [[1, 0.2], [10, 0.6]] }], { title: 'text→image', xLabel: 'K', yLabel: 'recall@K', y: { min: 0, max: 1 } })
 * // '<svg xmlns="http://www.w3.org/2000/svg" width="360" height="240" ...'
 */
export function lineChart(series: readonly ChartSeries[], options: ChartOptions = {}): string {
  const width = options.width ?? 360;
  const height = options.height ?? 240;
  return document(width, height, panel(series, options, width, height));
}

/**
 * Charts side by side, `columns` to a row, each `width` x `height`, in one SVG document.
 *
 * @example chartGrid([{ series, options: { title: 'text→image' } }, ...], { columns: 3 })
 */
export function chartGrid(
  charts: readonly { series: readonly ChartSeries[]; options?: ChartOptions }[],
  layout: { columns: number; width?: number; height?: number; title?: string },
): string {
  if (!Number.isInteger(layout.columns) || layout.columns < 1) throw new RosettaError('INVALID_ARGUMENT', `columns must be a positive integer, got ${layout.columns}`);
  const width = layout.width ?? 360;
  const height = layout.height ?? 240;
  const top = layout.title ? 22 : 0;
  const rows = Math.ceil(charts.length / layout.columns);
  const cells = charts.map((c, i) => {
    const x = (i % layout.columns) * width;
    const y = top + Math.floor(i / layout.columns) * height;
    return `<g transform="translate(${x} ${y})">\n${panel(c.series, c.options ?? {}, width, height)}\n</g>`;
  });
  const totalWidth = Math.min(charts.length, layout.columns) * width;
  const title = layout.title ? `<text x="${totalWidth / 2}" y="15" text-anchor="middle" font-size="13">${escapeXml(layout.title)}</text>\n` : '';
  return document(totalWidth, top + rows * height, title + cells.join('\n'));
}

function document(width: number, height: number, body: string): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="10">`,
    '<rect width="100%" height="100%" fill="white"/>',
    body,
    '</svg>',
    '',
  ].join('\n');
}

function panel(series: readonly ChartSeries[], options: ChartOptions, width: number, height: number): string {
  for (const s of series) {
    for (const [x, y] of s.points) {
      if (!Number.isFinite(x) || !Number.isFinite(y)) throw new RosettaError('INVALID_ARGUMENT', `series "${s.name}" has a non-finite point (${x}, ${y})`);
      if (options.xLog && x <= 0) throw new RosettaError('INVALID_ARGUMENT', `series "${s.name}" has x = ${x}, which a logarithmic axis cannot show`);
    }
  }
  const all = series.flatMap((s) => s.points);
  const tx = (x: number) => (options.xLog ? Math.log10(x) : x);
  const xRange = range(options.x, all.map((p) => p[0]));
  const yRange = range(options.y, all.map((p) => p[1]));
  const [x0, x1] = [tx(xRange.min), tx(xRange.max)];
  const legendW = 30 + 5.3 * Math.max(0, ...series.map((s) => s.name.length));
  const plotW = width - PAD.left - PAD.right - (options.legend === 'outside' ? legendW : 0);
  const plotH = height - PAD.top - PAD.bottom;
  const sx = (x: number) => PAD.left + ((tx(x) - x0) / (x1 - x0)) * plotW;
  const sy = (y: number) => PAD.top + (1 - (y - yRange.min) / (yRange.max - yRange.min)) * plotH;

  const out: string[] = [];
  if (options.title) out.push(`<text x="${PAD.left}" y="${PAD.top - 8}" font-size="11" font-weight="bold">${escapeXml(options.title)}</text>`);
  out.push(`<rect x="${PAD.left}" y="${PAD.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`);
  for (const y of linearTicks(yRange.min, yRange.max)) {
    out.push(`<line x1="${PAD.left}" x2="${PAD.left + plotW}" y1="${fmt(sy(y))}" y2="${fmt(sy(y))}" stroke="#eee"/>`);
    out.push(`<text x="${PAD.left - 4}" y="${fmt(sy(y) + 3)}" text-anchor="end">${tickLabel(y)}</text>`);
  }
  for (const x of options.xLog ? logTicks(xRange.min, xRange.max) : linearTicks(xRange.min, xRange.max)) {
    out.push(`<text x="${fmt(sx(x))}" y="${PAD.top + plotH + 12}" text-anchor="middle">${tickLabel(x)}</text>`);
  }
  if (options.xLabel) out.push(`<text x="${PAD.left + plotW / 2}" y="${PAD.top + plotH + 26}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`);
  if (options.yLabel) {
    out.push(`<text transform="translate(11 ${PAD.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(options.yLabel)}</text>`);
  }
  // Past the palette, colours repeat dashed, so no two default styles are alike.
  const style = series.map((s, i) => ({ colour: s.colour ?? PALETTE[i % PALETTE.length], dash: (s.dashed ?? (s.colour === undefined && i >= PALETTE.length)) ? ' stroke-dasharray="4 3"' : '' }));
  series.forEach((s, i) => {
    if (s.points.length === 0) return;
    const d = s.points.map(([x, y], j) => `${j === 0 ? 'M' : 'L'}${fmt(sx(x))} ${fmt(sy(y))}`).join(' ');
    out.push(`<path d="${d}" fill="none" stroke="${style[i].colour}" stroke-width="1.5"${style[i].dash}><title>${escapeXml(s.name)}</title></path>`);
  });
  if (series.length > 0) {
    // Over the curves, on a translucent box, so a curve passing under it leaves it legible.
    const topLeft = options.legend === 'top-left' || options.legend === 'outside';
    const w = legendW;
    const h = 12 * series.length + 6;
    const x = options.legend === 'outside' ? PAD.left + plotW + 4 : topLeft ? PAD.left + 2 : PAD.left + plotW - 2 - w;
    const y = topLeft ? PAD.top + 2 : PAD.top + plotH - 2 - h;
    out.push(`<rect x="${fmt(x)}" y="${fmt(y)}" width="${fmt(w)}" height="${h}" fill="white" fill-opacity="0.8"/>`);
    series.forEach((s, i) => {
      const { colour, dash } = style[i];
      const ly = y + 12 + i * 12;
      const [lineX, textX, anchor] = topLeft ? [x + 4, x + 22, 'start'] : [x + w - 18, x + w - 22, 'end'];
      out.push(`<line x1="${fmt(lineX)}" x2="${fmt(lineX + 14)}" y1="${ly - 3}" y2="${ly - 3}" stroke="${colour}" stroke-width="1.5"${dash}/>`);
      out.push(`<text x="${fmt(textX)}" y="${ly}" text-anchor="${anchor}">${escapeXml(s.name)}</text>`);
    });
  }
  return out.join('\n');
}

function range(given: { min: number; max: number } | undefined, values: number[]): { min: number; max: number } {
  let min = given?.min ?? (values.length ? Math.min(...values) : 0);
  let max = given?.max ?? (values.length ? Math.max(...values) : 1);
  if (!(max > min)) [min, max] = [min - 0.5, max + 0.5];
  return { min, max };
}

/** About five round ticks (steps of 1, 2 or 5 times a power of ten) inside [min, max]. */
function linearTicks(min: number, max: number): number[] {
  const raw = (max - min) / 5;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step) out.push(Math.round(t / step) * step);
  return out;
}

function logTicks(min: number, max: number): number[] {
  const out: number[] = [];
  for (let p = Math.floor(Math.log10(min)); p <= Math.ceil(Math.log10(max)); p++) {
    for (const m of [1, 2, 5]) {
      const t = m * 10 ** p;
      if (t >= min - 1e-9 && t <= max + 1e-9) out.push(t);
    }
  }
  return out;
}

const fmt = (v: number) => (Math.round(v * 10) / 10).toString();

function tickLabel(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 10 ? v.toFixed(0) : String(Math.round(v * 1000) / 1000);
}

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c]!);
}
