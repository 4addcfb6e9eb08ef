/**
 * Sketch normalisation and the pseudo-sketch generator on real files (fixtures from
 * data/fixtures/make-image-fixtures.ts, and an OpenMoji SVG from node_modules).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { isRosettaError, type ErrorCode } from '../models/errors.ts';
import { decodeImage, type ImageRecipe, type RgbImage } from '../models/image/index.ts';
import { normalizeSketch, pseudoSketch, sketchToTensor } from '../models/sketch/index.ts';
import { boundingBox, strokeWidth, type Mask } from '../models/sketch/mask.ts';
import type { MediaInput } from '../models/types.ts';

const fixture = (name: string): MediaInput => ({ name, data: readFileSync(join(import.meta.dirname, 'fixtures', 'images', name)) });
const emoji = (): MediaInput => ({
  name: '1F600.svg',
  data: readFileSync(join(import.meta.dirname, '..', 'node_modules', 'openmoji', 'color', 'svg', '1F600.svg')),
});

const inkOf = (img: RgbImage): Mask => {
  const data = new Uint8Array(img.width * img.height);
  for (let p = 0; p < data.length; p++) data[p] = img.data[p * 3] < 128 ? 1 : 0;
  return { width: img.width, height: img.height, data };
};

/** Share of A's ink pixels that have ink of B within `radius` px (a tolerant overlap). */
function coverage(a: Mask, b: Mask, radius = 2): number {
  let hit = 0;
  let total = 0;
  for (let y = 0; y < a.height; y++) {
    for (let x = 0; x < a.width; x++) {
      if (!a.data[y * a.width + x]) continue;
      total++;
      search: for (let dy = -radius; dy <= radius; dy++) {
        for (let dx = -radius; dx <= radius; dx++) {
          const nx = x + dx;
          const ny = y + dy;
          if (nx >= 0 && ny >= 0 && nx < b.width && ny < b.height && b.data[ny * b.width + nx]) {
            hit++;
            break search;
          }
        }
      }
    }
  }
  return total === 0 ? 0 : hit / total;
}

async function failure(p: Promise<unknown>): Promise<{ code: ErrorCode | 'none'; message: string }> {
  const err = await p.then(() => null, (e: unknown) => e);
  if (err === null) return { code: 'none', message: 'resolved' };
  if (!isRosettaError(err)) throw err;
  return { code: err.code, message: err.message };
}

async function pngMask(png: Buffer): Promise<Mask> {
  const { data, info } = await sharp(png).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: Uint8Array.from(data, (v) => (v < 128 ? 1 : 0)) };
}

describe('normalizeSketch', () => {
  it('returns a 256x256 black-on-white RGB image cropped to the strokes with a 6% margin', async () => {
    const img = await normalizeSketch(fixture('sketch-strokes.png'));
    expect([img.width, img.height, img.data.length]).toEqual([256, 256, 256 * 256 * 3]);
    expect(new Set(img.data)).toEqual(new Set([0, 255]));
    const box = boundingBox(inkOf(img))!;
    // The drawing is wider than tall: its width fills 256 / 1.12 px, centred both ways.
    expect(Math.abs(box.width - 256 / 1.12)).toBeLessThanOrEqual(4);
    expect(Math.abs(box.left + box.width / 2 - 128)).toBeLessThanOrEqual(2);
    expect(Math.abs(box.top + box.height / 2 - 128)).toBeLessThanOrEqual(2);
    expect(box.height).toBeLessThan(box.width);
  });

  it('enlarges a small drawing in a big canvas to fill the frame', async () => {
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="900"><rect width="1200" height="900" fill="#fff"/>
      <circle cx="900" cy="200" r="20" fill="none" stroke="#000" stroke-width="2"/></svg>`;
    const png = await sharp(Buffer.from(svg)).png().toBuffer();
    const box = boundingBox(inkOf(await normalizeSketch({ name: 'ring.png', data: png })))!;
    // Enlarged ~6x the stroke is ~10 px thick when the crop is measured; redrawn at 3 px it
    // loses ~3.5 px on each side, so the ring ends a little inside the 6% margin.
    for (const side of [box.width, box.height]) {
      expect(side).toBeGreaterThan(256 / 1.12 - 10);
      expect(side).toBeLessThanOrEqual(256 / 1.12 + 2);
    }
    expect(Math.abs(box.left + box.width / 2 - 128)).toBeLessThanOrEqual(2);
  });

  it.each(['sketch-inverted.png', 'sketch-canvas.png'])('gives %s the same ink as the black-on-white drawing', async (name) => {
    const reference = inkOf(await normalizeSketch(fixture('sketch-strokes.png')));
    const other = inkOf(await normalizeSketch(fixture(name)));
    expect(coverage(other, reference)).toBeGreaterThan(0.97);
    expect(coverage(reference, other)).toBeGreaterThan(0.97);
  });

  it('handles white strokes on a transparent canvas (composited onto black, then inverted)', async () => {
    const svg = readFileSync(join(import.meta.dirname, 'fixtures', 'images', 'sketch-canvas.png'));
    const { data, info } = await sharp(svg).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    for (let p = 0; p < info.width * info.height; p++) data.fill(255, p * 4, p * 4 + 3); // recolour ink white
    const png = await sharp(data, { raw: { width: info.width, height: info.height, channels: 4 } }).png().toBuffer();
    const reference = inkOf(await normalizeSketch(fixture('sketch-strokes.png')));
    const white = inkOf(await normalizeSketch({ name: 'white-ink.png', data: png }));
    expect(coverage(white, reference)).toBeGreaterThan(0.97);
    expect(coverage(reference, white)).toBeGreaterThan(0.97);
  });

  it('brings 3-px and 14-px strokes of the same drawing to the same ~3 px width', async () => {
    const thin = inkOf(await normalizeSketch(fixture('sketch-strokes.png')));
    const thick = inkOf(await normalizeSketch(fixture('sketch-thick.png')));
    for (const m of [thin, thick]) {
      const w = strokeWidth(m).width;
      expect(w).toBeGreaterThan(2);
      expect(w).toBeLessThan(4.5);
    }
    expect(coverage(thick, thin, 4)).toBeGreaterThan(0.9);
  });

  it('leaves thick strokes alone with normalizeStrokes: false', async () => {
    const thick = inkOf(await normalizeSketch(fixture('sketch-thick.png'), { normalizeStrokes: false }));
    expect(strokeWidth(thick).width).toBeGreaterThan(8);
  });

  it('accepts a decoded RgbImage as well as a file', async () => {
    const fromFile = inkOf(await normalizeSketch(fixture('sketch-strokes.png')));
    const fromRgb = inkOf(await normalizeSketch(await decodeImage(fixture('sketch-strokes.png'))));
    expect(fromRgb.data).toEqual(fromFile.data);
  });

  it('honours size and strokeWidth', async () => {
    const img = await normalizeSketch(fixture('sketch-strokes.png'), { size: 128, strokeWidth: 5 / 128 });
    expect([img.width, img.height]).toEqual([128, 128]);
    const w = strokeWidth(inkOf(img)).width;
    expect(w).toBeGreaterThan(4);
    expect(w).toBeLessThan(6.5);
  });

  it('rejects a blank white canvas with EMPTY_INPUT naming the file', async () => {
    const f = await failure(normalizeSketch(fixture('sketch-blank.png')));
    expect(f.code).toBe('EMPTY_INPUT');
    expect(f.message).toContain('sketch-blank.png');
  });

  it('rejects a blank canvas with one speck of dust with EMPTY_INPUT (specks are not strokes)', async () => {
    const raw = Buffer.alloc(200 * 150, 255);
    raw[70 * 200 + 120] = 0;
    const data = await sharp(raw, { raw: { width: 200, height: 150, channels: 1 } }).png().toBuffer();
    expect((await failure(normalizeSketch({ name: 'speck.png', data }))).code).toBe('EMPTY_INPUT');
  });

  it.each([
    ['fully transparent', { r: 0, g: 0, b: 0, alpha: 0 }, 4],
    ['all black', { r: 0, g: 0, b: 0 }, 3],
  ] as const)('rejects a %s canvas with EMPTY_INPUT', async (_, background, channels) => {
    const data = await sharp({ create: { width: 64, height: 48, channels, background } }).png().toBuffer();
    expect((await failure(normalizeSketch({ name: 'blank.png', data }))).code).toBe('EMPTY_INPUT');
  });

  it('passes decoding errors through: a text file is UNSUPPORTED_MEDIA', async () => {
    expect((await failure(normalizeSketch(fixture('not-an-image.jpg')))).code).toBe('UNSUPPORTED_MEDIA');
  });

  it('rejects a size of 0 with INVALID_ARGUMENT', async () => {
    expect((await failure(normalizeSketch(fixture('sketch-strokes.png'), { size: 0 }))).code).toBe('INVALID_ARGUMENT');
  });
});

describe('sketchToTensor', () => {
  it('resizes the normalised sketch to the recipe and maps paper to (scale - mean)/std', async () => {
    const recipe: ImageRecipe = { size: 224, resize: 'pad', kernel: 'lanczos3', layout: 'NCHW', scale: 1, mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.3] };
    const t = await sketchToTensor(fixture('sketch-canvas.png'), recipe);
    expect(t).toHaveLength(3 * 224 * 224);
    const n = 224 * 224;
    for (let c = 0; c < 3; c++) expect(Math.abs(t[c * n] - (1 - recipe.mean[c]) / recipe.std[c])).toBeLessThan(1e-5);
    const inkValue = (0 - recipe.mean[0]) / recipe.std[0];
    expect(t.subarray(0, n).some((v) => v < inkValue + 0.5)).toBe(true);
  });
});

describe('pseudoSketch', () => {
  it('draws the boundaries of the quadrants picture as a cross of black lines on white', async () => {
    const png = await pseudoSketch(fixture('quadrants.webp'));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    const m = await pngMask(png);
    expect([m.width, m.height]).toEqual([256, 171]);
    const cx = 128;
    const cy = 171 / 2;
    let stray = 0;
    let ink = 0;
    for (let y = 0; y < m.height; y++) for (let x = 0; x < m.width; x++) {
      if (!m.data[y * m.width + x]) continue;
      ink++;
      if (Math.abs(x - cx) > 6 && Math.abs(y - cy) > 6) stray++;
    }
    expect(stray / ink).toBeLessThan(0.02);
    // Both arms of the cross are drawn along most of their length.
    let rowsHit = 0;
    for (let y = 10; y < m.height - 10; y++) if ([...m.data.subarray(y * m.width + cx - 6, y * m.width + cx + 7)].some(Boolean)) rowsHit++;
    let colsHit = 0;
    for (let x = 10; x < m.width - 10; x++) if ([-6, -4, -2, 0, 2, 4, 6].some((d) => m.data[(Math.round(cy) + d) * m.width + x])) colsHit++;
    expect(rowsHit / (m.height - 20)).toBeGreaterThan(0.8);
    expect(colsHit / (m.width - 20)).toBeGreaterThan(0.8);
  });

  it('draws nothing for a flat colour', async () => {
    const data = await sharp({ create: { width: 100, height: 100, channels: 3, background: '#3366aa' } }).png().toBuffer();
    const m = await pngMask(await pseudoSketch({ name: 'flat.png', data }));
    expect(m.data.every((v) => v === 0)).toBe(true);
  });

  it('outlines the OpenMoji grinning face with a circle of one line, not a filled or doubled one', async () => {
    const m = await pngMask(await pseudoSketch(emoji()));
    expect([m.width, m.height]).toEqual([256, 256]);
    const share = m.data.reduce((s, v) => s + v, 0) / m.data.length;
    expect(share).toBeGreaterThan(0.02);
    expect(share).toBeLessThan(0.15);
    // The face is a circle of radius 23..25 (of 72) around the centre: ~82-85 px at 256.
    let rays = 0;
    for (let k = 0; k < 36; k++) {
      const a = (k / 36) * 2 * Math.PI;
      let crossings = 0;
      let inside = false;
      for (let r = 72; r <= 96; r += 0.5) {
        const on = m.data[Math.round(128 + r * Math.sin(a)) * 256 + Math.round(128 + r * Math.cos(a))] === 1;
        if (on && !inside) crossings++;
        inside = on;
      }
      if (crossings === 1) rays++;
    }
    expect(rays).toBeGreaterThanOrEqual(32);
  });

  it('turns a photo-like scene into line art that normalizeSketch accepts', async () => {
    const png = await pseudoSketch(fixture('scene.jpg'));
    const m = await pngMask(png);
    expect([m.width, m.height]).toEqual([256, 192]);
    const share = m.data.reduce((s, v) => s + v, 0) / m.data.length;
    expect(share).toBeGreaterThan(0.01);
    expect(share).toBeLessThan(0.12);
    const w = strokeWidth(m).width;
    expect(w).toBeGreaterThan(2);
    expect(w).toBeLessThan(4);
    const sketch = await normalizeSketch({ name: 'scene-lines.png', data: png });
    expect(sketch.width).toBe(256);
  });

  it('gives the same drawing for a file and its decoded pixels, every time', async () => {
    const input = fixture('scene.jpg');
    const a = await pseudoSketch(input);
    const b = await pseudoSketch(await decodeImage(input));
    expect(b.equals(a)).toBe(true);
    expect((await pseudoSketch(input)).equals(a)).toBe(true);
  });
});
