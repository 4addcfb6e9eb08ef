import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { IMAGE_SIZE, mapLimit, rasterizeSvg } from './rasterize.ts';

const root = mkdtempSync(join(tmpdir(), 'rosetta-raster-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('rasterizeSvg', () => {
  it('fits an SVG with another viewBox into the square, centred on white', async () => {
    const svg = join(root, 'wide.svg');
    writeFileSync(svg, '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 100"><rect width="200" height="100" fill="#ff0000"/></svg>');
    const png = join(root, 'wide.png');
    const bytes = await rasterizeSvg(svg, png, 'colour');
    const meta = await sharp(png).metadata();
    expect(meta).toMatchObject({ width: IMAGE_SIZE, height: IMAGE_SIZE, channels: 3 });
    expect(statSync(png).size).toBe(bytes);
    const { data } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    const px = (x: number, y: number): number[] => [...data.subarray((y * IMAGE_SIZE + x) * 3, (y * IMAGE_SIZE + x) * 3 + 3)];
    expect(px(5, 5)).toEqual([255, 255, 255]);
    expect(px(IMAGE_SIZE / 2, IMAGE_SIZE / 2)).toEqual([255, 0, 0]);
    expect(readdirSync(root).some((f) => f.endsWith('.tmp'))).toBe(false);
  });

  it('rejects a file that is not an SVG and leaves no PNG behind', async () => {
    const bad = join(root, 'bad.svg');
    writeFileSync(bad, 'not an svg');
    await expect(rasterizeSvg(bad, join(root, 'bad.png'), 'sketch')).rejects.toThrow();
    expect(readdirSync(root)).not.toContain('bad.png');
  });
});

describe('mapLimit', () => {
  it('keeps order, bounds concurrency and reports failures per item', async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapLimit([1, 2, 3, 4, 5, 6], 2, async (n) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      if (n === 4) throw new Error('four');
      return n * 10;
    });
    expect(peak).toBe(2);
    expect(out[0]).toEqual({ ok: true, value: 10 });
    expect(out[3]).toEqual({ ok: false, reason: 'four' });
    expect(out[5]).toEqual({ ok: true, value: 60 });
  });
});
