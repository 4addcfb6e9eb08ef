import sharp from 'sharp';
import { RosettaError } from '../errors.ts';
import { decodePixels, type RgbImage } from '../image/index.ts';
import type { MediaInput } from '../types.ts';
import { close, removeSmallComponents, stamp, thin, type Mask } from './mask.ts';
import { isRgbImage } from './normalize.ts';

export interface PseudoSketchOptions {
  /** Long side of the drawing in pixels. Default 256. */
  size?: number;
  /** Inner blur of the difference of Gaussians, in pixels at `size`; larger gives fewer, coarser lines. Default 1. */
  sigma?: number;
  /** How dark an edge must be to become a line, in grey levels of the DoG response. Default 2. */
  threshold?: number;
  /** Line width in pixels after thinning (1 keeps the bare skeleton). Default 3. */
  lineWidth?: number;
  /** Line fragments with fewer pixels than this are dropped as texture. Default 16. */
  minFragment?: number;
  /** Parallel responses closer than twice this many pixels become one line. Default 2. */
  mergeRadius?: number;
}

const defaults: Required<PseudoSketchOptions> = { size: 256, sigma: 1, threshold: 2, lineWidth: 3, minFragment: 16, mergeRadius: 2 };

/** Ratio of outer to inner blur; 1.6 approximates a Laplacian of Gaussian (Marr-Hildreth). */
const dogRatio = 1.6;

async function loadRgb(input: MediaInput | RgbImage, size: number): Promise<RgbImage> {
  const resize = { width: size, height: size, fit: 'inside' as const, kernel: 'lanczos3' as const };
  if (isRgbImage(input)) {
    const { data, info } = await sharp(input.data, { raw: { width: input.width, height: input.height, channels: 3 } })
      .resize(resize)
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, data };
  }
  const px = await decodePixels(input, { svg: { side: size, fit: 'long' }, resize });
  return { width: px.width, height: px.height, data: px.data };
}

const blurred = (rgb: Buffer, width: number, height: number, sigma: number): Promise<Buffer> =>
  sharp(rgb, { raw: { width, height, channels: 3 } }).blur(sigma).raw().toBuffer();

/**
 * A line drawing made from any image, for pairing photos with sketch-like inputs in training.
 * A difference of Gaussians per colour channel (two sharp blurs) marks the dark side of each
 * edge and each dark thin structure; specks are dropped, parallel responses are merged by a
 * closing (sharp dilate + erode), and lines are thinned to a skeleton and redrawn at one
 * width. sharp has no Canny or XDoG, hence the small steps here. Black lines on white, PNG,
 * long side `size`.
 *
 * @example
 * await pseudoSketch({ name: 'photo.jpg', data }) // <Buffer 89 50 4e 47 ...> (PNG, 256 x 192)
 */
export async function pseudoSketch(input: MediaInput | RgbImage, options: PseudoSketchOptions = {}): Promise<Buffer> {
  const o = { ...defaults, ...options };
  if (!Number.isInteger(o.size) || o.size < 16 || o.size > 4096) {
    throw new RosettaError('INVALID_ARGUMENT', `options.size must be an integer in 16..4096, got ${o.size}`);
  }
  if (!(o.sigma >= 0.3 && o.sigma <= 20)) throw new RosettaError('INVALID_ARGUMENT', `options.sigma must be in 0.3..20, got ${o.sigma}`);
  if (!(o.threshold >= 0)) throw new RosettaError('INVALID_ARGUMENT', `options.threshold must be >= 0, got ${o.threshold}`);
  if (!(o.lineWidth >= 1)) throw new RosettaError('INVALID_ARGUMENT', `options.lineWidth must be >= 1, got ${o.lineWidth}`);

  const rgb = await loadRgb(input, o.size);
  const { width, height } = rgb;
  const [inner, outer] = await Promise.all([
    blurred(rgb.data, width, height, o.sigma),
    blurred(rgb.data, width, height, o.sigma * dogRatio),
  ]);
  let lines: Mask = { width, height, data: new Uint8Array(width * height) };
  // Negative DoG = darker than the surroundings: the dark side of an edge, or a dark line.
  // Per channel, so that edges between colours of equal brightness are not lost.
  for (let p = 0, i = 0; p < lines.data.length; p++, i += 3) {
    const d = Math.min(inner[i] - outer[i], inner[i + 1] - outer[i + 1], inner[i + 2] - outer[i + 2]);
    lines.data[p] = d < -o.threshold ? 1 : 0;
  }
  lines = removeSmallComponents(lines, o.minFragment);
  // The two sides of a thick dark stroke, or of an edge seen in two channels, give parallel
  // responses; closing merges them so thinning leaves one line instead of two.
  lines = await close(lines, o.mergeRadius);
  lines = stamp(thin(lines), o.lineWidth);

  const out = Buffer.alloc(width * height);
  for (let i = 0; i < out.length; i++) out[i] = lines.data[i] ? 0 : 255;
  return sharp(out, { raw: { width, height, channels: 1 } }).png().toBuffer();
}
