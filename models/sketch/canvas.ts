/**
 * The steps of sketch normalisation that the speed rewrite left as they were: options, pixel
 * loading, and the square crop scaled to the output size. normalize.ts and its test oracle
 * (normalize.reference.ts) both run these, so the oracle restates only what was rewritten.
 */
import sharp from 'sharp';
import { RosettaError } from '../errors.ts';
import { decodePixels, type RawPixels, type RgbImage } from '../image/index.ts';
import type { MediaInput } from '../types.ts';
import type { Box, Mask } from './mask.ts';

export interface SketchOptions {
  /** Side of the square output in pixels. Default 256. */
  size?: number;
  /** Target stroke width as a fraction of `size`. Default 3/256 (3 px at 256). */
  strokeWidth?: number;
  /** Paper left around the strokes' bounding box, as a fraction of its long side. Default 0.06. */
  margin?: number;
  /** Thin or thicken strokes to `strokeWidth`. Default true. */
  normalizeStrokes?: boolean;
}

const defaults: Required<SketchOptions> = { size: 256, strokeWidth: 3 / 256, margin: 0.06, normalizeStrokes: true };

/** Large drawings are analysed at most this big; strokes survive, memory and time stay small. */
const analysisSide = 1024;
/** Ink below this share of full contrast is paper texture or compression noise. */
export const inkThreshold = 0.25;
/** Ink components smaller than this (in analysis pixels) are specks, not strokes. */
export const minSpeck = 3;
/** Less contrast than this (of 255) between paper and the darkest ink means a blank page. */
export const minContrast = 40;

export const isRgbImage = (x: MediaInput | RgbImage): x is RgbImage => 'width' in x && 'height' in x;
export const nameOf = (x: MediaInput | RgbImage): string => (isRgbImage(x) ? 'sketch image' : x.name);

export function checkOptions(options: SketchOptions): Required<SketchOptions> {
  const o = { ...defaults, ...options };
  const bad = (what: string) => new RosettaError('INVALID_ARGUMENT', `options.${what}`);
  if (!Number.isInteger(o.size) || o.size < 16 || o.size > 2048) throw bad(`size must be an integer in 16..2048, got ${o.size}`);
  if (!(o.strokeWidth > 0 && o.strokeWidth < 0.25)) throw bad(`strokeWidth must be in (0, 0.25), got ${o.strokeWidth}`);
  if (!(o.margin >= 0 && o.margin <= 1)) throw bad(`margin must be in 0..1, got ${o.margin}`);
  return o;
}

/** Pixels to analyse: decoded (alpha kept) and shrunk to at most `analysisSide`. */
export async function loadPixels(input: MediaInput | RgbImage): Promise<RawPixels> {
  if (isRgbImage(input)) {
    if (input.data.length !== input.width * input.height * 3) {
      throw new RosettaError('INVALID_ARGUMENT', `sketch image must hold width*height*3 bytes of RGB`);
    }
    if (Math.max(input.width, input.height) <= analysisSide) return { ...input, channels: 3 };
    const { data, info } = await sharp(input.data, { raw: { width: input.width, height: input.height, channels: 3 } })
      .resize({ width: analysisSide, height: analysisSide, fit: 'inside' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, channels: 3, data };
  }
  return decodePixels(input, {
    svg: { side: 512, fit: 'long' },
    keepAlpha: true,
    resize: { width: analysisSide, height: analysisSide, fit: 'inside', withoutEnlargement: true },
  });
}

/**
 * The ink in a square centred on the strokes' box (the part outside the picture is paper),
 * scaled to `size` x `size` and cut at `threshold` into strokes.
 */
export async function squareMask(ink: Uint8Array, px: { width: number; height: number }, bbox: Box, o: Required<SketchOptions>, threshold: number): Promise<Mask> {
  const long = Math.max(bbox.width, bbox.height);
  const side = Math.max(1, Math.round(long * (1 + 2 * o.margin)));
  const left = Math.round(bbox.left + bbox.width / 2 - side / 2);
  const top = Math.round(bbox.top + bbox.height / 2 - side / 2);
  const square = Buffer.alloc(side * side);
  for (let y = Math.max(0, top); y < Math.min(px.height, top + side); y++) {
    const x0 = Math.max(0, left);
    const x1 = Math.min(px.width, left + side);
    square.set(ink.subarray(y * px.width + x0, y * px.width + x1), (y - top) * side + (x0 - left));
  }
  const scaled = await sharp(square, { raw: { width: side, height: side, channels: 1 } })
    .resize(o.size, o.size, { kernel: 'lanczos3' })
    .toColourspace('b-w')
    .raw()
    .toBuffer();
  const mask: Mask = { width: o.size, height: o.size, data: new Uint8Array(o.size * o.size) };
  for (let i = 0; i < mask.data.length; i++) mask.data[i] = scaled[i] >= threshold ? 1 : 0;
  return mask;
}
