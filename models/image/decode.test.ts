import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { isRosettaError } from '../errors.ts';
import { decodeImage, decodePixels, mapSharpError } from './decode.ts';

const png = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: '#336699' } }).png().toBuffer();

async function codeOf(p: Promise<unknown>): Promise<string> {
  const err = await p.then(() => null, (e: unknown) => e);
  return isRosettaError(err) ? err.code : `not a RosettaError: ${String(err)}`;
}

describe('decodeImage limits', () => {
  it('rejects a file over maxBytes with INPUT_TOO_LARGE before decoding', async () => {
    const data = await png(50, 50);
    const err = await decodeImage({ name: 'big.png', data }, { maxBytes: data.length - 1 }).catch((e: Error) => e);
    expect(isRosettaError(err, 'INPUT_TOO_LARGE')).toBe(true);
    expect((err as Error).message).toContain('big.png');
  });

  it('rejects an image over maxPixels with INPUT_TOO_LARGE, naming its size', async () => {
    const data = await png(120, 100);
    const err = await decodeImage({ name: 'wide.png', data }, { maxPixels: 10_000 }).catch((e: Error) => e);
    expect(isRosettaError(err, 'INPUT_TOO_LARGE')).toBe(true);
    expect((err as Error).message).toMatch(/wide\.png.*120x100/);
  });

  it('accepts an image exactly at maxPixels', async () => {
    const img = await decodeImage({ name: 'ok.png', data: await png(100, 100) }, { maxPixels: 10_000 });
    expect([img.width, img.height, img.data.length]).toEqual([100, 100, 30_000]);
  });

  it('applies maxPixels to the rasterised size of an SVG, not its nominal size', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>');
    // decodeImage renders SVG with its long side ~1024 px: ~1 Mpx, over a 0.5 Mpx limit.
    expect(await codeOf(decodeImage({ name: 'icon.svg', data: svg }, { maxPixels: 500_000 }))).toBe('INPUT_TOO_LARGE');
  });
});

describe('decodePixels', () => {
  it('renders SVG so that the requested side reaches the target, not at 72 dpi', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 30 20"><rect width="30" height="20" fill="red"/></svg>');
    const long = await decodePixels({ name: 'a.svg', data: svg }, { svg: { side: 300, fit: 'long' } });
    expect([long.width, long.height]).toEqual([300, 200]);
    const short = await decodePixels({ name: 'a.svg', data: svg }, { svg: { side: 300, fit: 'short' } });
    expect([short.width, short.height]).toEqual([450, 300]);
  });

  it('keeps the alpha channel only when asked to', async () => {
    const data = await sharp({ create: { width: 4, height: 4, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
      .png()
      .toBuffer();
    const kept = await decodePixels({ name: 'clear.png', data }, { svg: { side: 1, fit: 'long' }, keepAlpha: true });
    expect(kept.channels).toBe(4);
    const flat = await decodePixels({ name: 'clear.png', data }, { svg: { side: 1, fit: 'long' } });
    expect(flat.channels).toBe(3);
    expect([...flat.data.subarray(0, 3)]).toEqual([255, 255, 255]);
  });
});

describe('mapSharpError', () => {
  it.each([
    ['Input image exceeds pixel limit', 'INPUT_TOO_LARGE'],
    ['timeout: 85% complete', 'INPUT_TOO_LARGE'],
    ['VipsJpeg: premature end of JPEG image', 'CORRUPT_MEDIA'],
    ['Input buffer has corrupt header:', 'CORRUPT_MEDIA'],
  ])('maps "%s" to %s and names the input', (message, code) => {
    const err = mapSharpError(new Error(message), 'x.img');
    expect(err.code).toBe(code);
    expect(err.message).toContain('"x.img"');
    expect(err.message).not.toMatch(/:\)/);
  });

  it('says "truncated" when libvips reports an early end of data', () => {
    expect(mapSharpError(new Error('VipsJpeg: premature end of JPEG image'), 'a.jpg').message).toContain('truncated');
  });
});
