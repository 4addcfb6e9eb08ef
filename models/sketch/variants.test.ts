import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { drawVariant, sketchVariant, variantRanges, type VariantDraw } from './variants.ts';

/** A face drawn with a 6-px pen on 200 x 200 white, as the demo's sketches are drawn. */
async function face(): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="200"><rect width="200" height="200" fill="white"/>
    <g fill="none" stroke="black" stroke-width="6"><circle cx="100" cy="100" r="70"/><path d="M65 120 Q100 150 135 120"/></g>
    <circle cx="75" cy="80" r="8"/><circle cx="125" cy="80" r="8"/></svg>`;
  return sharp(Buffer.from(svg)).greyscale().png().toBuffer();
}

/** Share of dark pixels, and the corner pixels' values. */
async function ink(png: Buffer): Promise<{ dark: number; corners: number[]; channels: number | undefined; width: number; height: number }> {
  const { channels } = await sharp(png).metadata();
  const { data, info } = await sharp(png).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  let dark = 0;
  for (let i = 0; i < data.length; i += info.channels) if (data[i] < 128) dark++;
  const at = (x: number, y: number) => data[(y * info.width + x) * info.channels];
  const [w, h] = [info.width - 1, info.height - 1];
  return { dark: dark / (info.width * info.height), corners: [at(0, 0), at(w, 0), at(0, h), at(w, h)], channels, width: info.width, height: info.height };
}

const still: VariantDraw = { tiltDegrees: 0, scaleX: 1, scaleY: 1, shear: 0, pen: 'as drawn' };

describe('drawVariant', () => {
  it('draws the same variant for the same drawing and index, and others otherwise, within the ranges', () => {
    expect(drawVariant('sketches/1F600.png', 0)).toEqual(drawVariant('sketches/1F600.png', 0));
    expect(drawVariant('sketches/1F600.png', 1)).not.toEqual(drawVariant('sketches/1F600.png', 0));
    expect(drawVariant('sketches/1F601.png', 0)).not.toEqual(drawVariant('sketches/1F600.png', 0));
    const draws = Array.from({ length: 300 }, (_, i) => drawVariant(`sketches/${i}.png`, i % 4));
    for (const d of draws) {
      expect(Math.abs(d.tiltDegrees)).toBeLessThanOrEqual(variantRanges.tiltDegrees);
      expect(Math.abs(d.scaleX - 1)).toBeLessThanOrEqual(variantRanges.stretch);
      expect(Math.abs(d.scaleY - 1)).toBeLessThanOrEqual(variantRanges.stretch);
      expect(Math.abs(d.shear)).toBeLessThanOrEqual(variantRanges.shear);
    }
    // Every pen change comes up, and the tilts spread both ways.
    expect(new Set(draws.map((d) => d.pen))).toEqual(new Set(['as drawn', 'thinner', 'thicker']));
    expect(Math.min(...draws.map((d) => d.tiltDegrees))).toBeLessThan(-10);
    expect(Math.max(...draws.map((d) => d.tiltDegrees))).toBeGreaterThan(10);
  });
});

describe('sketchVariant', () => {
  it('keeps dark strokes on a white ground, in one grey channel, whatever the tilt', async () => {
    const drawing = await face();
    const before = await ink(drawing);
    const tilted = await ink(await sketchVariant(drawing, { ...still, tiltDegrees: 14, scaleX: 0.86, shear: 0.1 }));
    expect(tilted.channels).toBe(1);
    // The corners the tilt uncovered are ground, not ink.
    expect(Math.min(...tilted.corners)).toBeGreaterThan(250);
    expect(tilted.width).toBeGreaterThan(before.width);
    // The same strokes, moved: about as much ink as the drawing (scaled by the stretch).
    expect(tilted.dark * tilted.width * tilted.height).toBeGreaterThan(0.6 * before.dark * before.width * before.height);
    expect(tilted.dark * tilted.width * tilted.height).toBeLessThan(1.2 * before.dark * before.width * before.height);
  });

  it('draws with a thicker or thinner pen', async () => {
    const drawing = await face();
    const asDrawn = await ink(await sketchVariant(drawing, still));
    const thicker = await ink(await sketchVariant(drawing, { ...still, pen: 'thicker' }));
    const thinner = await ink(await sketchVariant(drawing, { ...still, pen: 'thinner' }));
    expect(asDrawn.dark).toBeCloseTo((await ink(drawing)).dark, 3);
    expect(thicker.dark).toBeGreaterThan(1.2 * asDrawn.dark);
    expect(thinner.dark).toBeLessThan(0.8 * asDrawn.dark);
    expect(thinner.dark).toBeGreaterThan(0.2 * asDrawn.dark);
  });

  it('rejects bytes that are not an image with CORRUPT_MEDIA', async () => {
    await expect(sketchVariant(Buffer.from('not a png'), still)).rejects.toMatchObject({ code: 'CORRUPT_MEDIA', message: expect.stringContaining('variant') });
  });
});
