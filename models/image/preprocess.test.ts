import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { isRosettaError } from '../errors.ts';
import type { RgbImage } from './decode.ts';
import { imageToPixels, imageToTensor, pixelsToTensor, rgbToPixels, rgbToTensor } from './preprocess.ts';
import type { ImageRecipe } from './recipe.ts';

const clip: ImageRecipe = {
  size: 8,
  resize: 'shortest-side-crop',
  kernel: 'nearest',
  layout: 'NCHW',
  scale: 1,
  mean: [0.48145466, 0.4578275, 0.40821073],
  std: [0.26862954, 0.26130258, 0.27577711],
};

const expected = (v: number, c: number, r: ImageRecipe) => ((v / 255) * r.scale - r.mean[c]) / r.std[c];

function solidImage(width: number, height: number, rgb: [number, number, number]): RgbImage {
  const data = Buffer.alloc(width * height * 3);
  for (let p = 0; p < width * height; p++) data.set(rgb, p * 3);
  return { width, height, data };
}

/** Three vertical bands, red | green | blue, each a third of the width. */
function bands(width: number, height: number): RgbImage {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const band = Math.floor((3 * x) / width);
      data[(y * width + x) * 3 + band] = 255;
    }
  }
  return { width, height, data };
}

/** RGB at (x, y) read back from a tensor, undoing mean/std/scale. */
function pixelAt(t: Float32Array, r: ImageRecipe, x: number, y: number): number[] {
  const n = r.size * r.size;
  const p = y * r.size + x;
  return [0, 1, 2].map((c) => {
    const v = r.layout === 'NCHW' ? t[c * n + p] : t[p * 3 + c];
    return Math.round(((v * r.std[c] + r.mean[c]) / r.scale) * 255) || 0; // no -0
  });
}

describe('pixelsToTensor', () => {
  it.each([1, 255])('maps a solid colour to (v/255*scale - mean)/std within 1e-5 (scale %d)', (scale) => {
    const r: ImageRecipe = { ...clip, scale, mean: scale === 1 ? clip.mean : [123.7, 116.3, 103.5], std: scale === 1 ? clip.std : [58.4, 57.1, 57.4] };
    const t = pixelsToTensor(solidImage(8, 8, [200, 17, 99]).data, r);
    expect(t).toHaveLength(3 * 64);
    [200, 17, 99].forEach((v, c) => {
      for (let p = 0; p < 64; p++) expect(Math.abs(t[c * 64 + p] - expected(v, c, r))).toBeLessThan(1e-5);
    });
  });

  it('puts channels last in NHWC and first in NCHW, with the same values', () => {
    const img = bands(8, 8);
    img.data[(3 * 8 + 5) * 3 + 1] = 77; // one odd pixel at (5, 3)
    const nchw = pixelsToTensor(img.data, clip);
    const nhwc = pixelsToTensor(img.data, { ...clip, layout: 'NHWC' });
    for (let p = 0; p < 64; p++) for (let c = 0; c < 3; c++) expect(nhwc[p * 3 + c]).toBe(nchw[c * 64 + p]);
    expect(nhwc[(3 * 8 + 5) * 3 + 1]).toBeCloseTo(expected(77, 1, clip), 5);
    expect(nchw[64 + 3 * 8 + 5]).toBeCloseTo(expected(77, 1, clip), 5);
  });
});

describe('rgbToTensor', () => {
  it('shortest-side-crop scales the short side to size and keeps the centre (the green band)', async () => {
    const r = { ...clip, size: 30 };
    const t = await rgbToTensor(bands(90, 30), r);
    expect(t).toHaveLength(3 * 30 * 30);
    for (const [x, y] of [[0, 0], [15, 15], [29, 29]]) expect(pixelAt(t, r, x, y)).toEqual([0, 255, 0]);
  });

  it('pad fits the whole image inside and pads with white', async () => {
    const r: ImageRecipe = { ...clip, size: 60, resize: 'pad', layout: 'NHWC' };
    const t = await rgbToTensor(bands(90, 30), r); // -> 60x20 content, 20 px of white above and below
    expect(pixelAt(t, r, 30, 5)).toEqual([255, 255, 255]);
    expect(pixelAt(t, r, 30, 55)).toEqual([255, 255, 255]);
    expect(pixelAt(t, r, 5, 30)).toEqual([255, 0, 0]);
    expect(pixelAt(t, r, 30, 30)).toEqual([0, 255, 0]);
    expect(pixelAt(t, r, 55, 30)).toEqual([0, 0, 255]);
  });

  it('squash stretches to size x size, keeping all three bands', async () => {
    const r: ImageRecipe = { ...clip, size: 30, resize: 'squash' };
    const t = await rgbToTensor(bands(90, 30), r);
    expect(pixelAt(t, r, 3, 3)).toEqual([255, 0, 0]);
    expect(pixelAt(t, r, 15, 26)).toEqual([0, 255, 0]);
    expect(pixelAt(t, r, 27, 15)).toEqual([0, 0, 255]);
  });

  it('returns the pixels unchanged when the image already has the recipe size', async () => {
    const img = bands(8, 8);
    expect(await rgbToTensor(img, clip)).toEqual(pixelsToTensor(img.data, clip));
  });

  it('rejects an image whose buffer does not match its size with INVALID_ARGUMENT', async () => {
    const err = await rgbToTensor({ width: 4, height: 4, data: Buffer.alloc(10) }, clip).catch((e: unknown) => e);
    expect(isRosettaError(err, 'INVALID_ARGUMENT')).toBe(true);
  });

  it.each([
    ['size 0', { size: 0 }],
    ['a zero std', { std: [1, 0, 1] as [number, number, number] }],
    ['an unknown resize mode', { resize: 'stretch' as ImageRecipe['resize'] }],
  ])('rejects a recipe with %s with INVALID_ARGUMENT naming the field', async (_, patch) => {
    const err = await rgbToTensor(bands(8, 8), { ...clip, ...patch }).catch((e: unknown) => e);
    expect(isRosettaError(err, 'INVALID_ARGUMENT')).toBe(true);
    expect((err as Error).message).toMatch(/recipe\.(size|std|resize)/);
  });
});

describe('imageToTensor', () => {
  it('gives the same tensor as decode-then-rgbToTensor for a lossless PNG', async () => {
    const img = bands(90, 30);
    const png = await sharp(img.data, { raw: { width: 90, height: 30, channels: 3 } }).png().toBuffer();
    const r = { ...clip, size: 30 };
    const direct = await imageToTensor({ name: 'bands.png', data: png }, r);
    const viaRgb = await rgbToTensor(img, r);
    expect(direct).toEqual(viaRgb);
  });
});

describe('imageToPixels', () => {
  it('gives the recipe-sized RGB bytes that imageToTensor scales, and rgbToPixels the same for decoded pixels', async () => {
    const img = bands(90, 30);
    const png = await sharp(img.data, { raw: { width: 90, height: 30, channels: 3 } }).png().toBuffer();
    const r = { ...clip, size: 30 };
    const pixels = await imageToPixels({ name: 'bands.png', data: png }, r);
    expect(pixels.length).toBe(30 * 30 * 3);
    expect(pixelsToTensor(pixels, r)).toEqual(await imageToTensor({ name: 'bands.png', data: png }, r));
    expect(await rgbToPixels(img, r)).toEqual(pixels);
  });
});
