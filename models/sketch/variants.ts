/**
 * Drawn variants of a sketch: the same drawing tilted, stretched, sheared, and with a thinner or
 * thicker pen, as different people would draw it. Stage 2 of a space trains the sketch head on
 * them (models/space/train.ts) instead of on the sketch-photo pairs alone: Stage 1 already fits
 * those (sketch InfoNCE 0.05 at T 0.07 on the demo), so a sketch head trained on them again only
 * overfits, while the variants teach it what a drawing may change without changing what it shows.
 * Position and size are left alone: normalizeSketch crops every drawing to its strokes.
 */
import sharp from 'sharp';
import { RosettaError } from '../errors.ts';
import { hash32, mulberry32 } from '../random.ts';

/** Ranges of the draws (degrees; scale and shear factors; pen changes by 1 px). */
export const variantRanges = { tiltDegrees: 15, stretch: 0.15, shear: 0.12 } as const;

export type PenChange = 'as drawn' | 'thinner' | 'thicker';

export interface VariantDraw {
  tiltDegrees: number;
  scaleX: number;
  scaleY: number;
  shear: number;
  pen: PenChange;
}

/**
 * The draws of variant `index` of the drawing named `key`: the same for the same pair, so a
 * variant's features can be cached by its bytes and a training run repeated.
 *
 * @example drawVariant('sketches/1F600.png', 0) // { tiltDegrees: -7.3, scaleX: 1.04, scaleY: 0.91, shear: 0.05, pen: 'thicker' }
 */
export function drawVariant(key: string, index: number): VariantDraw {
  const uniform = mulberry32(hash32(`${key}#variant${index}`));
  const between = (limit: number, centre = 0) => centre + limit * (2 * uniform() - 1);
  const pens: PenChange[] = ['as drawn', 'thinner', 'thicker'];
  return {
    tiltDegrees: between(variantRanges.tiltDegrees),
    scaleX: between(variantRanges.stretch, 1),
    scaleY: between(variantRanges.stretch, 1),
    shear: between(variantRanges.shear),
    pen: pens[Math.floor(uniform() * pens.length)],
  };
}

/**
 * Renders one variant of a drawing (dark strokes on a light ground, any format sharp reads) as a
 * greyscale PNG on white. Unreadable bytes are CORRUPT_MEDIA.
 *
 * @example await sketchVariant(await readFile('sketches/1F600.png'), drawVariant('sketches/1F600.png', 0)) // <Buffer 89 50 4e 47 ...>
 */
export async function sketchVariant(drawing: Buffer, draw: VariantDraw): Promise<Buffer> {
  try {
    // Strokes become the bright foreground, which sharp's dilate and erode grow and shrink, and
    // the ground becomes black, which is what the tilt and stretch fill the corners with.
    let strokes = sharp(drawing).flatten({ background: '#ffffff' }).greyscale().negate({ alpha: false });
    if (draw.pen === 'thicker') strokes = strokes.dilate(1);
    if (draw.pen === 'thinner') strokes = strokes.erode(1);
    const { data, info } = await strokes.raw().toBuffer({ resolveWithObject: true });
    // A second pipeline: sharp orders the operations of one pipeline itself, and the pen must
    // change before the drawing is warped.
    return await sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } })
      .affine([
        [draw.scaleX, draw.shear],
        [0, draw.scaleY],
      ], { background: '#000000' })
      .rotate(draw.tiltDegrees, { background: '#000000' })
      .negate({ alpha: false })
      .toColourspace('b-w')
      .png()
      .toBuffer();
  } catch (err) {
    throw new RosettaError('CORRUPT_MEDIA', `could not draw a variant of the sketch: ${(err as Error).message}`, { cause: err });
  }
}
