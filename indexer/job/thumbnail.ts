import sharp from 'sharp';
import { decodePixels } from '../../models/image/index.ts';
import { RosettaError } from '../../models/errors.ts';
import type { MediaInput } from '../../models/types.ts';

export const THUMBNAIL_SIDE = 256;

export interface ImageExtras {
  /** Displayed size: after EXIF orientation; an SVG's own size. */
  width: number;
  height: number;
  /** WebP, long side at most THUMBNAIL_SIDE. */
  thumbnail: Buffer;
}

/**
 * Size and WebP thumbnail of an image the encoder already accepted. Pixels come from the
 * models' one decode pipeline (orientation, first frame, pixel limits, SVG density) so a
 * thumbnail shows exactly what was encoded; transparency is kept.
 *
 * @example
 * await imageExtras({ name: 'cat.jpg', data }) // { width: 4032, height: 3024, thumbnail: <Buffer 52 49 46 46 ...> }
 */
export async function imageExtras(input: MediaInput): Promise<ImageExtras> {
  try {
    return await extras(input);
  } catch (err) {
    if (err instanceof RosettaError) throw err;
    throw new RosettaError('CORRUPT_MEDIA', `${input.name}: no thumbnail could be made (${(err as Error).message})`, { cause: err });
  }
}

async function extras(input: MediaInput): Promise<ImageExtras> {
  // Header only; EXIF orientation 5-8 swaps the sides as displayed.
  const meta = await sharp(input.data, { limitInputPixels: false }).metadata();
  const width = meta.autoOrient?.width ?? meta.width;
  const height = meta.autoOrient?.height ?? meta.height;
  const pixels = await decodePixels(input, {
    resize: { width: THUMBNAIL_SIDE, height: THUMBNAIL_SIDE, fit: 'inside', withoutEnlargement: true },
    svg: { side: THUMBNAIL_SIDE, fit: 'long' },
    keepAlpha: true,
  });
  const thumbnail = await sharp(pixels.data, { raw: { width: pixels.width, height: pixels.height, channels: pixels.channels } })
    .webp({ quality: 75, effort: 2 })
    .toBuffer();
  return { width, height, thumbnail };
}
