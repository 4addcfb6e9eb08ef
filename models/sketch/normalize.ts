import { RosettaError } from '../errors.ts';
import { rgbToPixels, rgbToTensor, type ImageRecipe, type RawPixels, type RgbImage } from '../image/index.ts';
import type { MediaInput } from '../types.ts';
import { checkOptions, inkThreshold, loadPixels, minContrast, minSpeck, nameOf, squareMask, type SketchOptions } from './canvas.ts';
import { boundingBox, maskToRgb, removeSmallComponents, stamp, strokeWidth, type Mask } from './mask.ts';

export { isRgbImage, type SketchOptions } from './canvas.ts';

/**
 * Luminance, with transparency composited onto a background that contrasts with the strokes:
 * dark strokes on a transparent canvas go onto white, light strokes onto black (and are then
 * inverted like any white-on-black drawing).
 */
function toLuminance(px: RawPixels): Uint8Array {
  const n = px.width * px.height;
  const c = px.channels;
  const data = px.data;
  const lum = new Uint8Array(n);
  for (let p = 0, i = 0; p < n; p++, i += c) {
    lum[p] = (data[i] * 299 + data[i + 1] * 587 + data[i + 2] * 114 + 500) / 1000;
  }
  if (c !== 4) return lum;
  let opaqueLum = 0;
  let opaque = 0;
  let transparent = 0;
  for (let p = 0, i = 3; p < n; p++, i += 4) {
    const a = data[i];
    if (a > 128) {
      opaqueLum += lum[p];
      opaque++;
    }
    if (a < 250) transparent++;
  }
  if (transparent === 0) return lum;
  const background = opaque > 0 && opaqueLum / opaque > 160 ? 0 : 255;
  for (let p = 0, i = 3; p < n; p++, i += 4) {
    const a = data[i] / 255;
    lum[p] = Math.round(lum[p] * a + background * (1 - a));
  }
  return lum;
}

/**
 * Ink per pixel (0 paper .. 255 full ink) whatever the polarity. Paper is the most common
 * grey level (robust to a frame drawn along the border); if it is dark the drawing is
 * white-on-black and is inverted. Levels are stretched between paper and the darkest ink.
 * Also gives the strokes: 1 where the ink reaches `threshold`.
 */
function inkMap(lum: Uint8Array, name: string, threshold: number): { ink: Uint8Array; strokes: Uint8Array } {
  // Everything below depends on a pixel only through its grey level, so it works on the
  // histogram and a 256-entry table instead of per pixel.
  const levels = new Uint32Array(256);
  for (let p = 0; p < lum.length; p++) levels[lum[p]]++;
  const bins = new Uint32Array(16);
  for (let v = 0; v < 256; v++) bins[v >> 4] += levels[v];
  const modal = bins.indexOf(Math.max(...bins));
  // Median grey level within the modal bin (the middle one of its levels, sorted).
  let paperLum = modal << 4;
  for (let seen = 0, middle = bins[modal] >> 1; ; paperLum++) {
    seen += levels[paperLum];
    if (seen > middle) break;
  }
  const invert = paperLum < 128;
  const paper = invert ? 255 - paperLum : paperLum;
  // Darkest ink, ignoring a few extreme pixels per megapixel (sensor or scan defects); no
  // more, since a small drawing on a large canvas may have only a few hundred ink pixels.
  const hist = new Uint32Array(256);
  for (let v = 0; v < 256; v++) hist[invert ? 255 - v : v] += levels[v];
  let dark = 0;
  for (let seen = 0, skip = Math.floor(lum.length * 0.00001); dark < 255; dark++) {
    seen += hist[dark];
    if (seen > skip) break;
  }
  if (paper - dark < minContrast) {
    throw new RosettaError('EMPTY_INPUT', `Sketch "${name}" has no strokes: the canvas is blank (paper and darkest ink differ by ${paper - dark} of 255).`);
  }
  const gain = 255 / (paper - dark);
  const inkOf = new Uint8Array(256);
  for (let l = 0; l < 256; l++) {
    const v = invert ? 255 - l : l;
    inkOf[l] = Math.max(0, Math.min(255, Math.round((paper - v) * gain)));
  }
  const strokeOf = inkOf.map((v) => (v >= threshold ? 1 : 0));
  const ink = new Uint8Array(lum.length);
  const strokes = new Uint8Array(lum.length);
  for (let p = 0; p < lum.length; p++) {
    ink[p] = inkOf[lum[p]];
    strokes[p] = strokeOf[lum[p]];
  }
  return { ink, strokes };
}

/**
 * A sketch as black strokes on white, cropped to its strokes with a small margin, padded to a
 * square of `size`, with strokes thinned or thickened to one width. Works on black-on-white,
 * white-on-black and transparent-canvas drawings alike.
 *
 * @example
 * await normalizeSketch({ name: 'cat.png', data }) // { width: 256, height: 256, data: <Buffer 256*256*3> }
 */
export async function normalizeSketch(input: MediaInput | RgbImage, options: SketchOptions = {}): Promise<RgbImage> {
  const o = checkOptions(options);
  const name = nameOf(input);
  const px = await loadPixels(input);
  const threshold = Math.round(inkThreshold * 255);
  const { ink, strokes } = inkMap(toLuminance(px), name, threshold);
  // Specks of dust or noise must not stretch the crop.
  const bbox = boundingBox(removeSmallComponents({ width: px.width, height: px.height, data: strokes }, minSpeck));
  if (!bbox) throw new RosettaError('EMPTY_INPUT', `Sketch "${name}" has no strokes.`);

  let mask = await squareMask(ink, px, bbox, o, threshold);
  if (o.normalizeStrokes) mask = normalizeWidth(mask, Math.max(1, o.strokeWidth * o.size));
  return { width: o.size, height: o.size, data: maskToRgb(mask) };
}

/**
 * Brings strokes to about `target` px by thinning them to a skeleton and redrawing it with a
 * round pen. Redrawing rather than eroding: erosion deletes every stroke thinner than the mean.
 * Strokes already within a pixel of the target are left as drawn.
 */
export function normalizeWidth(mask: Mask, target: number): Mask {
  const { width, skeleton } = strokeWidth(mask);
  if (width === 0 || Math.abs(width - target) <= 1) return mask;
  return stamp(skeleton, target);
}

/**
 * A sketch file to a model input tensor: `normalizeSketch`, then the recipe's resize and
 * scale/mean/std (so indexing and querying share one path).
 *
 * @example
 * await sketchToTensor({ name: 'query.png', data }, sketchRecipe) // Float32Array(3*224*224)
 */
export async function sketchToTensor(input: MediaInput, recipe: ImageRecipe, options?: SketchOptions): Promise<Float32Array> {
  return rgbToTensor(await normalizeSketch(input, options), recipe);
}

/**
 * A sketch file to size x size RGB bytes (NHWC): `normalizeSketch`, then the recipe's resize.
 * For a model that scales its pixels itself (the built-in CNN).
 *
 * @example
 * await sketchToPixels({ name: 'query.png', data }, sketchRecipe) // Buffer(224 * 224 * 3)
 */
export async function sketchToPixels(input: MediaInput, recipe: ImageRecipe, options?: SketchOptions): Promise<Buffer> {
  return rgbToPixels(await normalizeSketch(input, options), recipe);
}
