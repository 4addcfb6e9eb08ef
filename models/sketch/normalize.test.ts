/**
 * normalize.ts and mask.ts were rewritten for speed and must give exactly the RGB of the plain
 * pipeline, kept in normalize.reference.ts as the oracle: sketch features cached before the
 * rewrite must stay valid. Inputs: the sketch fixtures, photos, transparent and large
 * drawings, and the bench's kind of 512-px JPEG (test/bench/encoders.ts makeJpegs).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { isRosettaError } from '../errors.ts';
import type { RgbImage } from '../image/index.ts';
import type { MediaInput } from '../types.ts';
import { normalizeSketch, type SketchOptions } from './normalize.ts';
import * as reference from './normalize.reference.ts';
import { mulberry32 } from '../random.ts';

const fixturesDir = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'images');
const fixture = (name: string): MediaInput => ({ name, data: readFileSync(join(fixturesDir, name)) });


/** A gradient-plus-noise 512-px JPEG like the encoder bench's. */
async function benchJpeg(seed: number): Promise<MediaInput> {
  const rnd = mulberry32(seed);
  const raw = Buffer.alloc(512 * 512 * 3);
  for (let y = 0; y < 512; y++) {
    for (let x = 0; x < 512; x++) {
      const o = (y * 512 + x) * 3;
      raw[o] = (x + seed * 7) & 255;
      raw[o + 1] = (y * 2 + seed * 13) & 255;
      raw[o + 2] = ((x ^ y) + Math.floor(rnd() * 40)) & 255;
    }
  }
  return { name: `bench-${seed}.jpg`, data: await sharp(raw, { raw: { width: 512, height: 512, channels: 3 } }).jpeg({ quality: 85 }).toBuffer() };
}

/** Random pen strokes of random widths and greys, some off the edge, as raw RGB or RGBA PNG. */
function drawing(seed: number, width: number, height: number, channels: 3 | 4): Buffer {
  const rnd = mulberry32(seed);
  const px = Buffer.alloc(width * height * channels, channels === 4 ? 0 : 255);
  for (let k = 0, n = 2 + Math.floor(rnd() * 8); k < n; k++) {
    const [x0, y0, x1, y1] = [rnd() * width * 1.2 - width * 0.1, rnd() * height * 1.2 - height * 0.1, rnd() * width, rnd() * height];
    const r = 0.5 + rnd() * width * 0.02;
    const grey = Math.floor(rnd() * 120);
    const steps = Math.ceil(Math.hypot(x1 - x0, y1 - y0));
    for (let s = 0; s <= steps; s++) {
      const cx = x0 + ((x1 - x0) * s) / steps;
      const cy = y0 + ((y1 - y0) * s) / steps;
      for (let y = Math.max(0, Math.floor(cy - r)); y <= Math.min(height - 1, cy + r); y++) {
        for (let x = Math.max(0, Math.floor(cx - r)); x <= Math.min(width - 1, cx + r); x++) {
          if (Math.hypot(x - cx, y - cy) > r) continue;
          const o = (y * width + x) * channels;
          px.fill(grey, o, o + 3);
          if (channels === 4) px[o + 3] = 255 - Math.floor(rnd() * 60);
        }
      }
    }
  }
  return px;
}

async function expectSameAsReference(input: MediaInput | RgbImage, options?: SketchOptions): Promise<void> {
  const outcome = (p: Promise<RgbImage>) => p.then((img) => img, (e: unknown) => (isRosettaError(e) ? `${e.code}: ${e.message}` : Promise.reject(e)));
  const [fast, slow] = await Promise.all([outcome(normalizeSketch(input, options)), outcome(reference.normalizeSketch(input, options))]);
  if (typeof slow === 'string' || typeof fast === 'string') {
    expect(fast).toEqual(slow);
    return;
  }
  expect([fast.width, fast.height]).toEqual([slow.width, slow.height]);
  let differing = 0;
  for (let i = 0; i < slow.data.length; i++) if (fast.data[i] !== slow.data[i]) differing++;
  expect(differing, 'bytes differing from the reference').toBe(0);
  expect(fast.data.length).toBe(slow.data.length);
}

describe('normalizeSketch matches the reference pipeline byte for byte', () => {
  const files = ['sketch-strokes.png', 'sketch-thick.png', 'sketch-inverted.png', 'sketch-canvas.png', 'sketch-blank.png', 'scene.jpg', 'alpha.png', 'gray.png', 'quadrants.jpg', 'quadrants-16bit.png'];
  const optionSets: SketchOptions[] = [{}, { size: 128, strokeWidth: 5 / 128 }, { size: 64, margin: 0 }, { normalizeStrokes: false }, { size: 300, strokeWidth: 0.2, margin: 1 }];

  it.each(files.flatMap((name) => optionSets.map((o) => [name, JSON.stringify(o)] as const)))('on fixture %s with options %s', async (name, options) => {
    await expectSameAsReference(fixture(name), JSON.parse(options) as SketchOptions);
  });

  it.each([1, 2, 3, 4])('on a bench-like 512-px JPEG (seed %i)', async (seed) => {
    await expectSameAsReference(await benchJpeg(seed));
  });

  it.each([
    [11, 640, 480, 3],
    [12, 1500, 900, 3],
    [13, 300, 1400, 3],
    [14, 400, 400, 4],
    [15, 1200, 700, 4],
  ] as const)('on random strokes (seed %i, %i x %i, %i channels)', async (seed, width, height, channels) => {
    const px = drawing(seed, width, height, channels);
    if (channels === 3) await expectSameAsReference({ width, height, data: px });
    const png = await sharp(px, { raw: { width, height, channels } }).png().toBuffer();
    await expectSameAsReference({ name: `drawing-${seed}.png`, data: png });
    await expectSameAsReference({ name: `drawing-${seed}.png`, data: png }, { size: 96, normalizeStrokes: seed % 2 === 0 });
  });
});
