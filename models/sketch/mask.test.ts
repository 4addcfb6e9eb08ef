import { describe, expect, it } from 'vitest';
import { boundingBox, close, inkCount, maskToRgb, removeSmallComponents, skeletonLength, stamp, strokeWidth, thin, type Mask } from './mask.ts';
import * as reference from './mask.reference.ts';
import { mulberry32 } from '../random.ts';

function blank(width: number, height: number): Mask {
  return { width, height, data: new Uint8Array(width * height) };
}

/** A straight bar of `width` px from (x0, y0) to (x1, y1), drawn by distance to the segment. */
function bar(m: Mask, x0: number, y0: number, x1: number, y1: number, width: number): Mask {
  const dx = x1 - x0;
  const dy = y1 - y0;
  const len2 = dx * dx + dy * dy;
  for (let y = 0; y < m.height; y++) {
    for (let x = 0; x < m.width; x++) {
      const t = Math.max(0, Math.min(1, ((x - x0) * dx + (y - y0) * dy) / len2));
      const d = Math.hypot(x - (x0 + t * dx), y - (y0 + t * dy));
      if (d <= width / 2) m.data[y * m.width + x] = 1;
    }
  }
  return m;
}

describe('thin', () => {
  it('reduces a 9-px bar to a one-pixel line of about its length', () => {
    const s = thin(bar(blank(120, 40), 10, 20, 110, 20, 9));
    const box = boundingBox(s)!;
    expect(box.height).toBe(1);
    expect(box.width).toBeGreaterThan(90);
    expect(inkCount(s)).toBe(box.width);
  });

  it('keeps a ring closed (topology preserved)', () => {
    const m = blank(60, 60);
    for (let y = 0; y < 60; y++) for (let x = 0; x < 60; x++) {
      const r = Math.hypot(x - 30, y - 30);
      if (r >= 15 && r <= 21) m.data[y * 60 + x] = 1;
    }
    const s = thin(m);
    expect(s.data[30 * 60 + 30]).toBe(0);
    // Every row through the ring's middle band still crosses the skeleton twice.
    for (const y of [25, 30, 35]) {
      const row = [...s.data.subarray(y * 60, y * 60 + 60)];
      expect(row.slice(0, 30).some(Boolean) && row.slice(30).some(Boolean)).toBe(true);
    }
  });
});

describe('skeletonLength', () => {
  it('measures a diagonal line at √2 per pixel, like a straight one at 1', () => {
    const straight = blank(50, 50);
    const diagonal = blank(50, 50);
    for (let i = 5; i < 45; i++) {
      straight.data[25 * 50 + i] = 1;
      diagonal.data[i * 50 + i] = 1;
    }
    expect(skeletonLength(straight)).toBeCloseTo(39, 5);
    expect(skeletonLength(diagonal)).toBeCloseTo(39 * Math.SQRT2, 5);
  });
});

describe('strokeWidth', () => {
  it.each([
    ['horizontal', 3, [10, 50, 150, 50]],
    ['horizontal', 12, [10, 50, 150, 50]],
    ['diagonal', 4, [15, 15, 130, 85]],
    ['diagonal', 10, [15, 15, 130, 85]],
  ])('estimates a %s bar of width %d within 25%%', (_, width, [x0, y0, x1, y1]) => {
    const est = strokeWidth(bar(blank(160, 100), x0, y0, x1, y1, width as number)).width;
    expect(est).toBeGreaterThan((width as number) * 0.75);
    expect(est).toBeLessThan((width as number) * 1.25);
  });

  it('is 0 for an empty mask', () => {
    expect(strokeWidth(blank(10, 10)).width).toBe(0);
  });
});

describe('stamp', () => {
  it('draws a one-pixel line at the requested odd width', () => {
    const m = blank(30, 15);
    for (let x = 5; x < 25; x++) m.data[7 * 30 + x] = 1;
    expect(boundingBox(stamp(m, 5))).toEqual({ left: 3, top: 5, width: 24, height: 5 });
  });

  it.each([3, 5, 7])('gives straight and diagonal skeletons about the same width %d (round pen)', (width) => {
    const straight = bar(blank(160, 100), 10, 50, 150, 50, 1);
    const diagonal = bar(blank(160, 100), 15, 15, 95, 95, 1);
    const ws = strokeWidth(stamp(thin(straight), width)).width;
    const wd = strokeWidth(stamp(thin(diagonal), width)).width;
    expect(Math.abs(ws - width)).toBeLessThan(0.6);
    expect(Math.abs(wd - width)).toBeLessThan(0.8);
  });
});

describe('close', () => {
  it('joins two parallel lines 3 px apart into one band, and leaves distant ones apart', async () => {
    const m = blank(40, 30);
    for (let x = 5; x < 35; x++) {
      m.data[10 * 40 + x] = 1;
      m.data[13 * 40 + x] = 1;
      m.data[24 * 40 + x] = 1;
    }
    const c = await close(m, 2);
    for (const y of [10, 11, 12, 13]) expect(c.data[y * 40 + 20]).toBe(1);
    for (const y of [16, 20]) expect(c.data[y * 40 + 20]).toBe(0);
  });
});

describe('removeSmallComponents', () => {
  it('drops specks and keeps strokes', () => {
    const m = bar(blank(60, 30), 5, 15, 55, 15, 3);
    m.data[2 * 60 + 2] = 1;
    m.data[2 * 60 + 3] = 1;
    const cleaned = removeSmallComponents(m, 5);
    expect(cleaned.data[2 * 60 + 2]).toBe(0);
    expect(inkCount(cleaned)).toBe(inkCount(m) - 2);
  });
});

describe('boundingBox', () => {
  it('is null for an empty mask and tight otherwise', () => {
    expect(boundingBox(blank(5, 5))).toBeNull();
    const m = blank(10, 8);
    m.data[2 * 10 + 3] = 1;
    m.data[6 * 10 + 7] = 1;
    expect(boundingBox(m)).toEqual({ left: 3, top: 2, width: 5, height: 5 });
  });
});

/**
 * mask.ts was rewritten for speed (padded buffers, neighbourhood tables) and must give exactly
 * the bits of the plain version, kept in mask.reference.ts as the oracle: sketch features cached
 * before the rewrite must stay valid. Random masks from a seeded generator cover densities from
 * specks to solid, shapes touching the border, and sizes down to 1 x N.
 */
describe('fast mask operations match the reference implementation bit for bit', () => {

  const sizes: [number, number][] = [[1, 1], [1, 9], [9, 1], [2, 17], [17, 2], [3, 3], [5, 23], [31, 7], [40, 40], [64, 48], [97, 131]];

  /** Noise at a density, strokes of random widths (some crossing the border), or blobs. */
  function randomMask(seed: number, width: number, height: number): { mask: Mask; kind: string } {
    const rnd = mulberry32(seed);
    const m = blank(width, height);
    const kind = ['noise', 'strokes', 'blobs'][seed % 3];
    if (kind === 'noise') {
      const density = [0.03, 0.2, 0.5, 0.8, 0.97][Math.floor(seed / 3) % 5];
      for (let i = 0; i < m.data.length; i++) m.data[i] = rnd() < density ? 1 : 0;
    } else if (kind === 'strokes') {
      const n = 1 + Math.floor(rnd() * 6);
      for (let k = 0; k < n; k++) {
        const [x0, y0, x1, y1] = [rnd() * (width + 8) - 4, rnd() * (height + 8) - 4, rnd() * (width + 8) - 4, rnd() * (height + 8) - 4];
        bar(m, x0, y0, x1 === x0 ? x1 + 1 : x1, y1, 1 + rnd() * 14);
      }
    } else {
      const n = 1 + Math.floor(rnd() * 5);
      for (let k = 0; k < n; k++) {
        const [cx, cy, r] = [rnd() * width, rnd() * height, 1 + rnd() * Math.max(width, height) * 0.4];
        for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if (Math.hypot(x - cx, y - cy) <= r && rnd() < 0.97) m.data[y * width + x] = 1;
      }
    }
    return { mask: m, kind };
  }

  const cases = sizes.flatMap(([w, h], s) => Array.from({ length: 15 }, (_, k) => [w, h, s * 100 + k] as const));

  it.each(cases)('%i x %i mask, seed %i', (w, h, seed) => {
    const { mask, kind } = randomMask(seed, w, h);
    const before = Uint8Array.from(mask.data);
    const label = `${kind} ${w}x${h} seed ${seed}`;
    expect(inkCount(mask), label).toBe(reference.inkCount(mask));
    expect(boundingBox(mask), label).toEqual(reference.boundingBox(mask));
    const skeleton = thin(mask);
    expect(skeleton.data, label).toEqual(reference.thin(mask).data);
    expect(skeletonLength(skeleton), label).toBe(reference.skeletonLength(skeleton));
    expect(skeletonLength(mask), label).toBe(reference.skeletonLength(mask));
    expect(strokeWidth(mask).width, label).toBe(reference.strokeWidth(mask).width);
    for (const width of [1, 2, 3, 3.5, 5, 7.3, 12]) expect(stamp(skeleton, width).data, `${label} width ${width}`).toEqual(reference.stamp(skeleton, width).data);
    for (const min of [1, 3, 16]) expect(removeSmallComponents(mask, min).data, `${label} min ${min}`).toEqual(reference.removeSmallComponents(mask, min).data);
    expect(maskToRgb(mask).equals(reference.maskToRgb(mask)), label).toBe(true);
    expect(mask.data, `${label}: input left untouched`).toEqual(before);
  });

  it('gives the same skeleton for a thick 400 x 300 drawing', () => {
    const m = blank(400, 300);
    bar(m, 0, 10, 399, 290, 25);
    bar(m, 20, 280, 380, 20, 9);
    bar(m, 200, 0, 200, 299, 40);
    expect(thin(m).data).toEqual(reference.thin(m).data);
  });
});
