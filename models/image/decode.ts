import sharp from 'sharp';
import type { Metadata, ResizeOptions, SharpOptions } from 'sharp';
import { RosettaError } from '../errors.ts';
import type { MediaInput } from '../types.ts';
import { defaultDecodeLimits, type DecodeLimits } from './recipe.ts';
import { describeContent, sniffImageType, type ImageType } from './sniff.ts';

/** Decoded pixels: 8-bit sRGB, 3 bytes per pixel, row-major, no alpha. */
export interface RgbImage {
  width: number;
  height: number;
  data: Buffer;
}

/** Raw pixels straight out of sharp; 4 channels only when `keepAlpha` was asked for. */
export interface RawPixels {
  width: number;
  height: number;
  channels: 3 | 4;
  data: Buffer;
}

/** What the single decode pipeline should do besides decoding. */
export interface PixelRequest {
  /** Applied inside the decode pipeline, so JPEG and WebP can shrink on load. */
  resize?: ResizeOptions & { width: number; height: number };
  /**
   * SVG has no pixel size of its own: it is rasterised at a density that makes its `fit`
   * side about `side` pixels, so it is neither a 72-dpi thumbnail nor needlessly huge.
   */
  svg: { side: number; fit: 'long' | 'short' };
  /** Keep an alpha channel instead of flattening onto white (sketches pick their own background). */
  keepAlpha?: boolean;
}

export const white = { r: 255, g: 255, b: 255 };

/** Side an SVG is rendered at by `decodeImage`, which has no target size to go by. */
const svgDecodeSide = 1024;

/**
 * 'error' rather than sharp's default 'warning': truncated files and decoder errors still fail,
 * but warnings that real cameras and editors trigger (e.g. "extraneous bytes before marker")
 * do not make a viewable photo unindexable.
 */
const failOn = 'error' as const;

/** Upper bound on one decode; a pathological file must not hold a worker forever. */
const decodeTimeoutSeconds = 30;

const megapixels = (px: number): string => `${(px / 1e6).toFixed(px < 1e7 ? 1 : 0)} Mpx`;

function resolveLimits(limits?: Partial<DecodeLimits>): DecodeLimits {
  return { ...defaultDecodeLimits, ...limits };
}

/** Cheap checks on the bytes alone: empty, too big, not an image type we take. */
export function checkImageBytes(input: MediaInput, limits: DecodeLimits): ImageType {
  const { name, data } = input;
  if (data.length === 0) throw new RosettaError('EMPTY_INPUT', `Image "${name}" is empty (0 bytes).`);
  if (data.length > limits.maxBytes) {
    throw new RosettaError(
      'INPUT_TOO_LARGE',
      `Image "${name}" is ${data.length} bytes, over the limit of ${limits.maxBytes} bytes.`,
    );
  }
  const type = sniffImageType(data);
  if (type === null) {
    throw new RosettaError(
      'UNSUPPORTED_MEDIA',
      `"${name}" is not a supported image: it looks like ${describeContent(data)}. ` +
        'Supported: JPEG, PNG, WebP, GIF, TIFF, AVIF, SVG.',
    );
  }
  return type;
}

/** Turns a sharp/libvips failure into the RosettaError a caller can act on. */
export function mapSharpError(err: unknown, name: string): RosettaError {
  if (err instanceof RosettaError) return err;
  const raw = err instanceof Error ? err.message : String(err);
  // libvips repeats lines and sometimes ends with a bare "header:"; keep it short and readable.
  const lines = [...new Set(raw.split('\n').map((l) => l.trim().replace(/:$/, '')).filter(Boolean))];
  const detail = lines.join('; ').slice(0, 300);
  if (/pixel limit/i.test(raw)) {
    return new RosettaError('INPUT_TOO_LARGE', `Image "${name}" is too large to decode (${detail}).`, { cause: err });
  }
  if (/timeout/i.test(raw)) {
    return new RosettaError(
      'INPUT_TOO_LARGE',
      `Image "${name}" took over ${decodeTimeoutSeconds} s to decode and was abandoned.`,
      { cause: err },
    );
  }
  const truncated = /premature end|unexpected end|truncated|end of file|read error|bad seek/i.test(raw);
  const reason = truncated ? 'the file is truncated or damaged' : 'the data is corrupt';
  return new RosettaError('CORRUPT_MEDIA', `Image "${name}" could not be decoded: ${reason} (${detail}).`, {
    cause: err,
  });
}

/** How every decode opens its input; `density` only for SVG. */
function decodeOptions(limits: DecodeLimits, density?: number): SharpOptions {
  return {
    failOn,
    limitInputPixels: limits.maxPixels,
    autoOrient: true, // EXIF orientation, applied before any resize
    pages: 1, // first frame of an animation, first page of a TIFF
    sequentialRead: true,
    ...(density === undefined ? {} : { density }),
  };
}

/**
 * Reads only the header (no pixels): the size an image will decode to, with the density an
 * SVG is rendered at to make its `fit` side about `side` pixels. Refuses more than
 * `limits.maxPixels` with a message that names the size.
 */
async function readSize(
  input: MediaInput,
  type: ImageType,
  limits: DecodeLimits,
  request: PixelRequest,
): Promise<{ density?: number }> {
  let meta: Metadata;
  try {
    // Header-only; the pixel limit is checked below with a message that names the size.
    meta = await sharp(input.data, { limitInputPixels: false, failOn }).metadata();
  } catch (err) {
    throw mapSharpError(err, input.name);
  }
  let { width = 0, height = 0 } = meta;
  if (width <= 0 || height <= 0) {
    throw new RosettaError('CORRUPT_MEDIA', `Image "${input.name}" could not be decoded: its header has no size.`);
  }
  let density: number | undefined;
  if (type === 'svg') {
    const side = request.svg.fit === 'long' ? Math.max(width, height) : Math.min(width, height);
    density = Math.min(100_000, Math.max(1, (72 * request.svg.side) / side));
    width = Math.max(1, Math.round((width * density) / 72));
    height = Math.max(1, Math.round((height * density) / 72));
  }
  if (width * height > limits.maxPixels) {
    throw new RosettaError(
      'INPUT_TOO_LARGE',
      `Image "${input.name}" is ${width}x${height} (${megapixels(width * height)}), over the limit of ` +
        `${megapixels(limits.maxPixels)}; refusing it as a possible decompression bomb.`,
    );
  }
  return density === undefined ? {} : { density };
}

/**
 * The one decode pipeline: encoded bytes to 8-bit sRGB raw pixels (optionally resized) in a
 * single sharp call. Every image path in the engine goes through here.
 */
export async function decodePixels(
  input: MediaInput,
  request: PixelRequest,
  limits?: Partial<DecodeLimits>,
): Promise<RawPixels> {
  const resolved = resolveLimits(limits);
  const type = checkImageBytes(input, resolved);
  // Only an SVG needs its header before decoding (for its density). Other formats go straight
  // to the decode, whose limitInputPixels refuses a bomb before allocating; its header is read
  // only then, for the message. A header read costs 0.2-0.4 ms of CPU, 5 % of a photo's decode.
  const density = type === 'svg' ? (await readSize(input, type, resolved, request)).density : undefined;
  try {
    let pipeline = sharp(input.data, decodeOptions(resolved, density)).timeout({ seconds: decodeTimeoutSeconds });
    if (!request.keepAlpha) pipeline = pipeline.flatten({ background: white });
    if (request.resize) pipeline = pipeline.resize(request.resize);
    // toColourspace('srgb') turns grayscale, CMYK and 16-bit input into 8-bit sRGB.
    const { data, info } = await pipeline
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels === 4 && !request.keepAlpha) throw new Error(`unexpected alpha channel after flatten`);
    if (info.channels !== 3 && info.channels !== 4) throw new Error(`unexpected ${info.channels} channels`);
    return { width: info.width, height: info.height, channels: info.channels, data };
  } catch (err) {
    const refused = mapSharpError(err, input.name);
    if (refused.code === 'INPUT_TOO_LARGE' && type !== 'svg') await readSize(input, type, resolved, request);
    throw refused;
  }
}

/**
 * Decodes an image file to 8-bit RGB at its own size: EXIF orientation applied, transparency
 * flattened onto white, first frame of an animation, SVG rendered with its long side ~1024 px.
 *
 * @example
 * await decodeImage({ name: 'cat.jpg', data }) // { width: 640, height: 480, data: <Buffer 640*480*3> }
 */
export async function decodeImage(input: MediaInput, limits?: Partial<DecodeLimits>): Promise<RgbImage> {
  const { width, height, data } = await decodePixels(input, { svg: { side: svgDecodeSide, fit: 'long' } }, limits);
  return { width, height, data };
}
