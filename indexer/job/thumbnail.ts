import sharp from 'sharp';
import { RosettaError } from '../../models/errors.ts';
import { defaultDecodeLimits } from '../../models/image/index.ts';
import type { MediaInput } from '../../models/types.ts';

export const THUMBNAIL_SIDE = 256;

export interface ImageExtras {
  /** Displayed size: after EXIF orientation; an SVG's own size. */
  width: number;
  height: number;
  /** WebP, long side at most THUMBNAIL_SIDE, transparency kept. */
  thumbnail: Buffer;
}

/**
 * Size and WebP thumbnail of an image the encoder already accepted (so its pixel limits and
 * decodability are checked). One sharp pipeline straight to WebP rather than the models'
 * decodePixels: thumbnails are not model input, and skipping the raw round trip saves a
 * copy per image. Like the encoder it orients by EXIF and takes an animation's first frame.
 *
 * @example
 * await imageExtras({ name: 'cat.jpg', data }) // { width: 4032, height: 3024, thumbnail: <Buffer 52 49 46 46 ...> }
 */
export async function imageExtras(input: MediaInput): Promise<ImageExtras> {
  try {
    const meta = await sharp(input.data, { limitInputPixels: false }).metadata();
    // EXIF orientation 5-8 swaps the sides as displayed.
    const width = meta.autoOrient?.width ?? meta.width;
    const height = meta.autoOrient?.height ?? meta.height;
    // An SVG has no pixel size: render it so that its long side is about the thumbnail's.
    const density = meta.format === 'svg' ? Math.min(100_000, Math.max(1, (72 * THUMBNAIL_SIDE) / Math.max(width, height))) : undefined;
    const thumbnail = await sharp(input.data, {
      failOn: 'error',
      limitInputPixels: defaultDecodeLimits.maxPixels,
      autoOrient: true,
      pages: 1,
      sequentialRead: true,
      ...(density === undefined ? {} : { density }),
    })
      .resize(THUMBNAIL_SIDE, THUMBNAIL_SIDE, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 75, effort: 2 })
      .toBuffer();
    return { width, height, thumbnail };
  } catch (err) {
    throw new RosettaError('CORRUPT_MEDIA', `${input.name}: no thumbnail could be made (${(err as Error).message})`, { cause: err });
  }
}
