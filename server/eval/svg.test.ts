// The SVG line-chart helper: points land where the axes say, text is escaped, the document is
// balanced, and points an axis cannot show are refused by name.
import { describe, expect, it } from 'vitest';
import { chartGrid, lineChart } from './svg.ts';

/** The coordinates of each path's points, in drawing order. */
function paths(svg: string): [number, number][][] {
  return [...svg.matchAll(/<path d="([^"]+)"/g)].map((m) => [...m[1].matchAll(/[ML](-?[\d.]+) (-?[\d.]+)/g)].map((p) => [Number(p[1]), Number(p[2])]));
}

/** Open and close tags balance (self-closing ones aside). */
function balanced(svg: string): boolean {
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-z]+)[^>]*?(\/?)>/g)) {
    const [, close, name, self] = m;
    if (self) continue;
    if (!close) stack.push(name);
    else if (stack.pop() !== name) return false;
  }
  return stack.length === 0;
}

describe('lineChart', () => {
  it('maps the axis range onto the plot area: min at the left/bottom edge, max at the right/top', () => {
    // 200 x 100 with padding left 44, right 10, top 24, bottom 34: plot x 44..190, y 24..66.
    const svg = lineChart([{ name: 'a', points: [[0, 0], [10, 1]] }], { width: 200, height: 100, x: { min: 0, max: 10 }, y: { min: 0, max: 1 } });
    expect(paths(svg)).toEqual([
      [
        [44, 66],
        [190, 24],
      ],
    ]);
  });

  it('puts K = 10 half-way between 1 and 100 on a logarithmic axis', () => {
    const svg = lineChart([{ name: 'a', points: [[1, 0], [10, 0.5], [100, 1]] }], { width: 200, height: 100, xLog: true, y: { min: 0, max: 1 } });
    const [[first, middle, last]] = paths(svg);
    expect(middle[0]).toBeCloseTo((first[0] + last[0]) / 2, 1);
    expect(svg).toContain('>100</text>');
  });

  it('draws one path and one legend entry per series, dashed where asked, with escaped names', () => {
    const svg = lineChart(
      [
        { name: 'CCA + contrastive', points: [[1, 0.2], [2, 0.4]] },
        { name: 'random <chance> & "floor"', points: [[1, 0.1], [2, 0.2]], dashed: true },
      ],
      { title: 'text→image', xLabel: 'K', yLabel: 'recall@K' },
    );
    expect(paths(svg)).toHaveLength(2);
    expect(svg.match(/stroke-dasharray/g)).toHaveLength(2); // the dashed path and its legend line
    expect(svg).toContain('random &lt;chance&gt; &amp; &quot;floor&quot;');
    expect(svg).toContain('text→image');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(balanced(svg)).toBe(true);
  });

  it('refuses a non-finite point and x <= 0 on a logarithmic axis, naming the series', () => {
    expect(() => lineChart([{ name: 'bad', points: [[1, Number.NaN]] }])).toThrow(/series "bad"/);
    expect(() => lineChart([{ name: 'zero', points: [[0, 1]] }], { xLog: true })).toThrow(/series "zero".*logarithmic/);
  });

  it('draws an empty chart without failing', () => {
    expect(balanced(lineChart([], { title: 'nothing yet' }))).toBe(true);
  });
});

describe('chartGrid', () => {
  it('tiles charts in rows of `columns`, sized to fit them all', () => {
    const chart = { series: [{ name: 'a', points: [[1, 1], [2, 2]] as [number, number][] }] };
    const svg = chartGrid([chart, chart, chart], { columns: 2, width: 100, height: 80 });
    expect(svg).toMatch(/^<svg[^>]* width="200" height="160"/);
    expect(svg.match(/<g transform="translate\((\d+) (\d+)\)">/g)).toEqual(['<g transform="translate(0 0)">', '<g transform="translate(100 0)">', '<g transform="translate(0 80)">']);
    expect(balanced(svg)).toBe(true);
  });
});

describe('legend placement', () => {
  it("narrows the plot to make room for an 'outside' legend, right of it", () => {
    const series = [{ name: 'a rather long series name', points: [[0, 0], [1, 1]] as [number, number][] }];
    const inside = paths(lineChart(series, { width: 400, height: 100 }))[0];
    const outside = lineChart(series, { width: 400, height: 100, legend: 'outside' });
    const [, right] = paths(outside)[0];
    expect(right[0]).toBeLessThan(inside[1][0]);
    const legendX = Number(/<line x1="([\d.]+)"[^>]*stroke="#0072B2"/.exec(outside)![1]);
    expect(legendX).toBeGreaterThan(right[0]);
  });
});
