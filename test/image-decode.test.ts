/**
 * Decoding and preprocessing of real files in every supported format, and the spec of what
 * the engine refuses. Fixtures come from data/fixtures/make-image-fixtures.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { isRosettaError, type ErrorCode } from '../models/errors.ts';
import { decodeImage, imageToTensor, sniffImageType, type ImageRecipe, type RgbImage } from '../models/image/index.ts';
import type { MediaInput } from '../models/types.ts';

const fixtureDir = join(import.meta.dirname, 'fixtures', 'images');
const fixture = (name: string): MediaInput => ({ name, data: readFileSync(join(fixtureDir, name)) });

const red = [255, 0, 0];
const green = [0, 255, 0];
const blue = [0, 0, 255];
const yellow = [255, 255, 0];
const white = [255, 255, 255];

const at = (img: RgbImage, fx: number, fy: number): number[] => {
  const x = Math.min(img.width - 1, Math.floor(fx * img.width));
  const y = Math.min(img.height - 1, Math.floor(fy * img.height));
  const i = (y * img.width + x) * 3;
  return [...img.data.subarray(i, i + 3)];
};

function expectColour(actual: number[], wanted: number[], tolerance = 12): void {
  actual.forEach((v, c) => expect(Math.abs(v - wanted[c]), `channel ${c} of [${actual}] vs [${wanted}]`).toBeLessThanOrEqual(tolerance));
}

/** Samples the centres of the four quadrants: TL, TR, BL, BR. */
const quadrants = (img: RgbImage) => [at(img, 0.25, 0.25), at(img, 0.75, 0.25), at(img, 0.25, 0.75), at(img, 0.75, 0.75)];

async function failure(p: Promise<unknown>): Promise<{ code: ErrorCode | 'none'; message: string }> {
  const err = await p.then(() => null, (e: unknown) => e);
  if (err === null) return { code: 'none', message: 'resolved' };
  if (!isRosettaError(err)) throw err;
  return { code: err.code, message: err.message };
}

describe('decodeImage: supported formats', () => {
  it.each([
    ['quadrants.jpg', 'jpeg'],
    ['quadrants.webp', 'webp'],
    ['quadrants.tiff', 'tiff'],
    ['quadrants.avif', 'avif'],
    ['quadrants-16bit.png', 'png'],
  ])('decodes %s (%s) to 8-bit RGB with the right colours in the right places', async (name, type) => {
    const input = fixture(name);
    expect(sniffImageType(input.data)).toBe(type);
    const img = await decodeImage(input);
    expect([img.width, img.height, img.data.length]).toEqual([60, 40, 60 * 40 * 3]);
    quadrants(img).forEach((px, i) => expectColour(px, [red, green, blue, yellow][i]));
  });

  it('rasterises an SVG at a useful size (long side ~1024), not its 60x40 nominal size', async () => {
    const img = await decodeImage(fixture('quadrants.svg'));
    expect(img.width).toBe(1024);
    expect(img.height).toBeCloseTo(683, -1);
    quadrants(img).forEach((px, i) => expectColour(px, [red, green, blue, yellow][i], 0));
  });

  it('applies EXIF orientation 6: a stored 60x40 image comes out 40x60, rotated clockwise', async () => {
    const input = fixture('quadrants-exif6.jpg');
    expect((await sharp(input.data).metadata()).orientation).toBe(6);
    const img = await decodeImage(input);
    expect([img.width, img.height]).toEqual([40, 60]);
    // Stored TL red / TR green / BL blue / BR yellow, turned 90° clockwise.
    quadrants(img).forEach((px, i) => expectColour(px, [blue, red, yellow, green][i]));
  });

  it('flattens transparency onto white, not black', async () => {
    const img = await decodeImage(fixture('alpha.png'));
    expectColour(at(img, 0.25, 0.5), red, 0);
    expectColour(at(img, 0.75, 0.5), white, 0);
  });

  it.each(['animated.gif', 'animated.webp'])('takes the first frame of %s at frame size (red, not blue)', async (name) => {
    expect((await sharp(fixture(name).data).metadata()).pages).toBe(2);
    const img = await decodeImage(fixture(name));
    expect([img.width, img.height]).toEqual([20, 10]);
    expectColour(at(img, 0.5, 0.5), red, 0);
  });

  it('expands a 1-channel grayscale PNG to RGB', async () => {
    const img = await decodeImage(fixture('gray.png'));
    expect(img.data.length).toBe(32 * 24 * 3);
    expectColour(at(img, 0.5, 0.5), [128, 128, 128], 0);
  });

  it('converts a 16-bit PNG to 8 bits per channel', async () => {
    expect((await sharp(fixture('quadrants-16bit.png').data).metadata()).depth).toBe('ushort');
    const img = await decodeImage(fixture('quadrants-16bit.png'));
    expect(img.data.length).toBe(60 * 40 * 3);
    expectColour(at(img, 0.75, 0.75), yellow, 0);
  });

  it('converts a CMYK JPEG to sRGB (3 channels, hues preserved)', async () => {
    const input = fixture('quadrants-cmyk.jpg');
    expect((await sharp(input.data).metadata()).space).toBe('cmyk');
    const img = await decodeImage(input);
    expect(img.data.length).toBe(60 * 40 * 3);
    // CMYK round trips through a generic press profile, so only the dominant channels are checked.
    const [tl, tr, bl, br] = quadrants(img);
    expect(tl[0]).toBeGreaterThan(200);
    expect(Math.max(tl[1], tl[2])).toBeLessThan(60);
    expect(tr[1]).toBeGreaterThan(tr[2] + 100);
    expect(bl[2]).toBeGreaterThan(bl[0] + 80);
    expect(Math.min(br[0], br[1])).toBeGreaterThan(200);
  });

  it('tolerates a JPEG with stray bytes between markers (a libjpeg warning, not an error)', async () => {
    const img = await decodeImage(fixture('extraneous-bytes.jpg'));
    expectColour(at(img, 0.25, 0.25), red);
  });
});

describe('decodeImage: refusals', () => {
  it('rejects a zero-byte file with EMPTY_INPUT', async () => {
    const f = await failure(decodeImage(fixture('empty.jpg')));
    expect(f.code).toBe('EMPTY_INPUT');
    expect(f.message).toContain('empty.jpg');
  });

  it('rejects a text file named .jpg with UNSUPPORTED_MEDIA and says it looks like text', async () => {
    const f = await failure(decodeImage(fixture('not-an-image.jpg')));
    expect(f).toEqual({ code: 'UNSUPPORTED_MEDIA', message: expect.stringMatching(/not-an-image\.jpg.*looks like text/) });
  });

  it('rejects a BMP with UNSUPPORTED_MEDIA and says it looks like a BMP', async () => {
    const f = await failure(decodeImage(fixture('tiny.bmp')));
    expect(f).toEqual({ code: 'UNSUPPORTED_MEDIA', message: expect.stringMatching(/tiny\.bmp.*BMP/) });
  });

  it.each([
    ['a PDF', 'doc.pdf', Buffer.from('%PDF-1.4\n%âãÏÓ\n1 0 obj\n'), /PDF/],
    ['a WAV', 'clip.wav', Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WAVEfmt '), Buffer.alloc(32)]), /WAV/],
  ])('rejects %s with UNSUPPORTED_MEDIA and says what it looks like', async (_, name, data, what) => {
    const f = await failure(decodeImage({ name, data }));
    expect(f.code).toBe('UNSUPPORTED_MEDIA');
    expect(f.message).toContain(name);
    expect(f.message).toMatch(what);
  });

  it('rejects a truncated JPEG with CORRUPT_MEDIA (sharp is strict about truncation)', async () => {
    const f = await failure(decodeImage(fixture('truncated.jpg')));
    expect(f.code).toBe('CORRUPT_MEDIA');
    expect(f.message).toMatch(/truncated\.jpg.*truncated/);
  });

  it('rejects a truncated JPEG in the resizing tensor path too', async () => {
    const recipe: ImageRecipe = { size: 32, resize: 'shortest-side-crop', kernel: 'cubic', layout: 'NCHW', scale: 1, mean: [0, 0, 0], std: [1, 1, 1] };
    expect((await failure(imageToTensor(fixture('truncated.jpg'), recipe))).code).toBe('CORRUPT_MEDIA');
  });

  it.each(['quadrants.jpg', 'quadrants-16bit.png', 'quadrants.webp', 'animated.gif', 'quadrants.tiff', 'quadrants.avif', 'scene.jpg'])(
    'rejects %s cut to 60%% of its bytes with CORRUPT_MEDIA',
    async (name) => {
      const { data } = fixture(name);
      const f = await failure(decodeImage({ name: `cut-${name}`, data: data.subarray(0, Math.floor(data.length * 0.6)) }));
      expect(f.code).toBe('CORRUPT_MEDIA');
      expect(f.message).toContain(`cut-${name}`);
    },
  );

  it('rejects a PNG with garbage after its header with CORRUPT_MEDIA', async () => {
    const f = await failure(decodeImage(fixture('corrupt.png')));
    expect(f.code).toBe('CORRUPT_MEDIA');
    expect(f.message).toContain('corrupt.png');
  });

  it('rejects a decompression bomb (a tiny PNG claiming 50000x50000) with INPUT_TOO_LARGE, quickly', async () => {
    const input = fixture('bomb.png');
    expect(input.data.length).toBeLessThan(2000);
    const started = performance.now();
    const f = await failure(decodeImage(input));
    expect(f.code).toBe('INPUT_TOO_LARGE');
    expect(f.message).toMatch(/bomb\.png.*50000x50000/);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('rejects the bomb even when the caller raises maxPixels, via sharp\'s own limitInputPixels', async () => {
    // maxPixels above the claimed size passes our header check; sharp still must not allocate 7.5 GB
    // without failing: the data holds only a few rows, so it fails as corrupt rather than hanging.
    const f = await failure(decodeImage(fixture('bomb.png'), { maxPixels: 3e9 }));
    expect(['INPUT_TOO_LARGE', 'CORRUPT_MEDIA']).toContain(f.code);
  });
});

describe('imageToTensor on files', () => {
  const recipe: ImageRecipe = {
    size: 20,
    resize: 'shortest-side-crop',
    kernel: 'cubic',
    layout: 'NHWC',
    scale: 255,
    mean: [10, 20, 30],
    std: [2, 4, 8],
  };

  it('turns a solid-colour GIF frame into exactly (v*scale/255 - mean)/std everywhere', async () => {
    const t = await imageToTensor(fixture('animated.gif'), recipe);
    expect(t).toHaveLength(3 * 20 * 20);
    const want = [(255 - 10) / 2, (0 - 20) / 4, (0 - 30) / 8];
    for (let p = 0; p < 400; p++) for (let c = 0; c < 3; c++) expect(Math.abs(t[p * 3 + c] - want[c])).toBeLessThan(1e-5);
  });

  it('crops an SVG after rendering it sharp enough for the crop (short side at the recipe size)', async () => {
    const t = await imageToTensor(fixture('quadrants.svg'), { ...recipe, size: 40, scale: 1, mean: [0, 0, 0], std: [1, 1, 1] });
    // A 60x40 picture centre-cropped to 40x40 keeps x in 10..50: TL red at (2, 2) and BR yellow at (37, 37).
    const px = (x: number, y: number) => [0, 1, 2].map((c) => Math.round(t[(y * 40 + x) * 3 + c] * 255));
    expect(px(2, 2)).toEqual(red);
    expect(px(37, 37)).toEqual(yellow);
    expect(px(37, 2)).toEqual(green);
  });

  it('orients before resizing: the EXIF-6 JPEG padded to a square keeps blue top-left', async () => {
    const t = await imageToTensor(fixture('quadrants-exif6.jpg'), { ...recipe, size: 60, resize: 'pad', scale: 1, mean: [0, 0, 0], std: [1, 1, 1] });
    const px = (x: number, y: number) => [0, 1, 2].map((c) => Math.round(t[(y * 60 + x) * 3 + c] * 255));
    expectColour(px(3, 30), white, 0); // 10 px of white padding left and right of the 40x60 picture
    expectColour(px(15, 10), blue);
    expectColour(px(45, 50), green);
  });
});
