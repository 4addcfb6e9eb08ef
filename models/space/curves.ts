/**
 * curves.svg: training and validation loss, and validation Recall@10 per pair set, by epoch.
 * Hand-written SVG: two small line charts need no plotting library.
 */
export interface CurvePoint {
  epoch: number;
  trainLoss: number | null;
  valLoss: number;
  valR10: Record<string, number>;
}

const W = 360;
const H = 220;
const PAD = { left: 46, right: 12, top: 26, bottom: 34 };
const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

interface Series {
  name: string;
  points: [number, number][];
  colour: string;
  dashed?: boolean;
}

/**
 * Two panels side by side: losses (train solid, validation dashed) and validation R@10.
 *
 * @example curvesSvg(history, { bestEpoch: 7 }) // '<svg xmlns="http://www.w3.org/2000/svg" width="740" ...'
 */
export function curvesSvg(history: readonly CurvePoint[], options: { bestEpoch?: number; title?: string } = {}): string {
  const losses: Series[] = [
    { name: 'train loss', colour: COLOURS[0], points: history.flatMap((h) => (h.trainLoss === null ? [] : [[h.epoch, h.trainLoss] as [number, number]])) },
    { name: 'val loss', colour: COLOURS[1], dashed: true, points: history.map((h) => [h.epoch, h.valLoss]) },
  ];
  const sets = [...new Set(history.flatMap((h) => Object.keys(h.valR10)))].sort();
  const recalls: Series[] = sets.map((set, i) => ({
    name: `${set} R@10`,
    colour: COLOURS[i % COLOURS.length],
    points: history.filter((h) => h.valR10[set] !== undefined).map((h) => [h.epoch, h.valR10[set]]),
  }));
  const best = options.bestEpoch;
  const body = [
    panel(0, 'loss', losses, best),
    panel(W + 20, 'validation Recall@10', recalls, best, [0, 1]),
  ].join('\n');
  const title = options.title ? `<text x="${(2 * W + 20) / 2}" y="14" text-anchor="middle" font-size="12">${escapeXml(options.title)}</text>` : '';
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W + 20}" height="${H + 40}" viewBox="0 0 ${2 * W + 20} ${H + 40}" font-family="sans-serif" font-size="10">`,
    '<rect width="100%" height="100%" fill="white"/>',
    title,
    `<g transform="translate(0 14)">${body}</g>`,
    '</svg>',
    '',
  ].join('\n');
}

function panel(x0: number, label: string, series: Series[], bestEpoch: number | undefined, fixedY?: [number, number]): string {
  const all = series.flatMap((s) => s.points);
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]).filter(Number.isFinite);
  const [xMin, xMax] = xs.length ? [Math.min(...xs), Math.max(...xs, Math.min(...xs) + 1)] : [0, 1];
  let [yMin, yMax] = fixedY ?? (ys.length ? [Math.min(...ys), Math.max(...ys)] : [0, 1]);
  if (yMax - yMin < 1e-9) [yMin, yMax] = [yMin - 0.5, yMax + 0.5];
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const sx = (x: number) => x0 + PAD.left + ((x - xMin) / (xMax - xMin)) * plotW;
  const sy = (y: number) => PAD.top + (1 - (y - yMin) / (yMax - yMin)) * plotH;
  const out: string[] = [];
  out.push(`<text x="${x0 + PAD.left}" y="${PAD.top - 8}" font-size="11">${escapeXml(label)}</text>`);
  out.push(`<rect x="${x0 + PAD.left}" y="${PAD.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`);
  for (let t = 0; t <= 4; t++) {
    const y = yMin + ((yMax - yMin) * t) / 4;
    out.push(`<text x="${x0 + PAD.left - 4}" y="${fmt(sy(y) + 3)}" text-anchor="end">${fmtTick(y)}</text>`);
  }
  const xTicks = ticks(xMin, xMax);
  for (const x of xTicks) out.push(`<text x="${fmt(sx(x))}" y="${PAD.top + plotH + 12}" text-anchor="middle">${x}</text>`);
  out.push(`<text x="${x0 + PAD.left + plotW / 2}" y="${PAD.top + plotH + 26}" text-anchor="middle">epoch</text>`);
  if (bestEpoch !== undefined && bestEpoch >= xMin && bestEpoch <= xMax) {
    out.push(`<line x1="${fmt(sx(bestEpoch))}" x2="${fmt(sx(bestEpoch))}" y1="${PAD.top}" y2="${PAD.top + plotH}" stroke="#bbb" stroke-dasharray="2 2"/>`);
  }
  series.forEach((s, i) => {
    const pts = s.points.filter((p) => Number.isFinite(p[1]));
    if (pts.length > 0) {
      const d = pts.map((p, j) => `${j === 0 ? 'M' : 'L'}${fmt(sx(p[0]))} ${fmt(sy(p[1]))}`).join(' ');
      out.push(`<path d="${d}" fill="none" stroke="${s.colour}" stroke-width="1.5"${s.dashed ? ' stroke-dasharray="4 3"' : ''}/>`);
    }
    const ly = PAD.top + 10 + i * 12;
    out.push(`<line x1="${x0 + PAD.left + 6}" x2="${x0 + PAD.left + 20}" y1="${ly - 3}" y2="${ly - 3}" stroke="${s.colour}" stroke-width="1.5"${s.dashed ? ' stroke-dasharray="4 3"' : ''}/>`);
    out.push(`<text x="${x0 + PAD.left + 24}" y="${ly}">${escapeXml(s.name)}</text>`);
  });
  return out.join('\n');
}

function ticks(min: number, max: number): number[] {
  const span = max - min;
  const step = Math.max(1, Math.ceil(span / 8));
  const out: number[] = [];
  for (let x = Math.ceil(min); x <= max; x += step) out.push(x);
  return out;
}

const fmt = (v: number) => (Math.round(v * 10) / 10).toString();
const fmtTick = (v: number) => (Math.abs(v) >= 10 ? v.toFixed(0) : v.toFixed(2));

function escapeXml(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}
