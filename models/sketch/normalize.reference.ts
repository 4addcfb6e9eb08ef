/**
 * The sketch normaliser as it was before normalize.ts was rewritten for speed, kept as the
 * oracle that normalize.test.ts compares the fast one with (their output must be bit-identical,
 * so features cached before the rewrite stay valid). The steps the rewrite left alone come from
 * canvas.ts. Imported only by tests; do not use it.
 */
import { RosettaError } from '../errors.ts';
import type { RawPixels, RgbImage } from '../image/index.ts';
import type { MediaInput } from '../types.ts';
import { checkOptions, inkThreshold, loadPixels, minContrast, minSpeck, nameOf, squareMask, type SketchOptions } from './canvas.ts';
import type { Mask } from './mask.ts';
import { boundingBox, maskToRgb, removeSmallComponents, stamp, strokeWidth } from './mask.reference.ts';

/**
 * Luminance, with transparency composited onto a background that contrasts with the strokes:
 * dark strokes on a transparent canvas go onto white, light strokes onto black (and are then
 * inverted like any white-on-black drawing).
 */
function toLuminance(px: RawPixels): Uint8Array {
  const n = px.width * px.height;
  const c = px.channels;
  const lum = new Uint8Array(n);
  for (let p = 0, i = 0; p < n; p++, i += c) {
    lum[p] = (px.data[i] * 299 + px.data[i + 1] * 587 + px.data[i + 2] * 114 + 500) / 1000;
  }
  if (c !== 4) return lum;
  let opaqueLum = 0;
  let opaque = 0;
  let transparent = 0;
  for (let p = 0; p < n; p++) {
    const a = px.data[p * 4 + 3];
    if (a > 128) {
      opaqueLum += lum[p];
      opaque++;
    }
    if (a < 250) transparent++;
  }
  if (transparent === 0) return lum;
  const background = opaque > 0 && opaqueLum / opaque > 160 ? 0 : 255;
  for (let p = 0; p < n; p++) {
    const a = px.data[p * 4 + 3] / 255;
    lum[p] = Math.round(lum[p] * a + background * (1 - a));
  }
  return lum;
}

/**
 * Ink per pixel (0 paper .. 255 full ink) whatever the polarity. Paper is the most common
 * grey level (robust to a frame drawn along the border); if it is dark the drawing is
 * white-on-black and is inverted. Levels are stretched between paper and the darkest ink.
 */
function inkMap(lum: Uint8Array, name: string): Uint8Array {
  const bins = new Uint32Array(16);
  for (const v of lum) bins[v >> 4]++;
  const modal = bins.indexOf(Math.max(...bins));
  const inModal: number[] = [];
  for (const v of lum) if (v >> 4 === modal) inModal.push(v);
  inModal.sort((a, b) => a - b);
  const paperLum = inModal[inModal.length >> 1];
  const invert = paperLum < 128;
  const paper = invert ? 255 - paperLum : paperLum;
  // Darkest ink, ignoring a few extreme pixels per megapixel (sensor or scan defects); no
  // more, since a small drawing on a large canvas may have only a few hundred ink pixels.
  const hist = new Uint32Array(256);
  for (const v of lum) hist[invert ? 255 - v : v]++;
  let dark = 0;
  for (let seen = 0, skip = Math.floor(lum.length * 0.00001); dark < 255; dark++) {
    seen += hist[dark];
    if (seen > skip) break;
  }
  if (paper - dark < minContrast) {
    throw new RosettaError('EMPTY_INPUT', `Sketch "${name}" has no strokes: the canvas is blank (paper and darkest ink differ by ${paper - dark} of 255).`);
  }
  const ink = new Uint8Array(lum.length);
  const gain = 255 / (paper - dark);
  for (let p = 0; p < lum.length; p++) {
    const v = invert ? 255 - lum[p] : lum[p];
    ink[p] = Math.max(0, Math.min(255, Math.round((paper - v) * gain)));
  }
  return ink;
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
  const ink = inkMap(toLuminance(px), name);
  const threshold = Math.round(inkThreshold * 255);
  // Specks of dust or noise must not stretch the crop.
  const strokes = removeSmallComponents({ width: px.width, height: px.height, data: ink.map((v) => (v >= threshold ? 1 : 0)) }, minSpeck);
  const bbox = boundingBox(strokes);
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
