import sharp from 'sharp';
import type { ResizeOptions } from 'sharp';
import { RosettaError } from '../errors.ts';
import type { MediaInput } from '../types.ts';
import { decodePixels, white, type PixelRequest, type RgbImage } from './decode.ts';
import type { DecodeLimits, ImageRecipe } from './recipe.ts';

const fits = { 'shortest-side-crop': 'cover', pad: 'contain', squash: 'fill' } as const;

function checkRecipe(recipe: ImageRecipe): void {
  const bad = (what: string) => new RosettaError('INVALID_ARGUMENT', `recipe.${what}`);
  if (!Number.isInteger(recipe.size) || recipe.size < 1 || recipe.size > 4096) {
    throw bad(`size must be an integer in 1..4096, got ${recipe.size}`);
  }
  if (!(recipe.resize in fits)) throw bad(`resize must be one of ${Object.keys(fits).join(', ')}, got ${recipe.resize}`);
  if (recipe.layout !== 'NHWC' && recipe.layout !== 'NCHW') throw bad(`layout must be NHWC or NCHW, got ${recipe.layout}`);
  if (!(recipe.scale > 0)) throw bad(`scale must be > 0, got ${recipe.scale}`);
  if (recipe.mean?.length !== 3) throw bad(`mean must have 3 entries`);
  if (recipe.std?.length !== 3 || recipe.std.some((s) => !(s > 0))) {
    throw bad(`std must have 3 entries, each > 0; got [${recipe.std}]`);
  }
}

/** sharp resize options that implement `recipe.resize` at `recipe.size`. */
export function recipeResize(recipe: ImageRecipe): ResizeOptions & { width: number; height: number } {
  return {
    width: recipe.size,
    height: recipe.size,
    fit: fits[recipe.resize],
    position: 'centre',
    kernel: recipe.kernel,
    background: white,
  };
}

/** The decode request for a recipe: resize in the decode pipeline, SVG rendered to cover the crop. */
export function recipeRequest(recipe: ImageRecipe): PixelRequest {
  return {
    resize: recipeResize(recipe),
    // Crop and squash need the short side to reach `size`; pad needs the long side to.
    svg: { side: recipe.size, fit: recipe.resize === 'pad' ? 'long' : 'short' },
  };
}

/**
 * size x size RGB bytes to the model's float layout. A 256-entry table per channel holds
 * (v / 255 * scale - mean) / std, so the per-pixel work is a lookup.
 */
export function pixelsToTensor(rgb: Buffer, recipe: ImageRecipe): Float32Array {
  const n = recipe.size * recipe.size;
  if (rgb.length !== n * 3) {
    throw new RosettaError('INTERNAL', `expected ${n * 3} RGB bytes for size ${recipe.size}, got ${rgb.length}`);
  }
  const tables = [0, 1, 2].map((c) => {
    const t = new Float32Array(256);
    for (let v = 0; v < 256; v++) t[v] = ((v / 255) * recipe.scale - recipe.mean[c]) / recipe.std[c];
    return t;
  });
  const [t0, t1, t2] = tables;
  const out = new Float32Array(n * 3);
  if (recipe.layout === 'NHWC') {
    for (let i = 0; i < n * 3; i += 3) {
      out[i] = t0[rgb[i]];
      out[i + 1] = t1[rgb[i + 1]];
      out[i + 2] = t2[rgb[i + 2]];
    }
  } else {
    for (let p = 0, i = 0; p < n; p++, i += 3) {
      out[p] = t0[rgb[i]];
      out[n + p] = t1[rgb[i + 1]];
      out[2 * n + p] = t2[rgb[i + 2]];
    }
  }
  return out;
}

/**
 * An already decoded image resized by the recipe: size x size RGB bytes, row-major (NHWC).
 *
 * @example
 * await rgbToPixels({ width: 640, height: 480, data }, recipe) // Buffer(224 * 224 * 3)
 */
export async function rgbToPixels(image: RgbImage, recipe: ImageRecipe): Promise<Buffer> {
  checkRecipe(recipe);
  const { width, height, data } = image;
  if (!(width > 0 && height > 0) || data.length !== width * height * 3) {
    throw new RosettaError(
      'INVALID_ARGUMENT',
      `image must hold width*height*3 bytes of RGB; got ${width}x${height} and ${data.length} bytes`,
    );
  }
  if (width === recipe.size && height === recipe.size) return data;
  return sharp(data, { raw: { width, height, channels: 3 } })
    .resize(recipeResize(recipe))
    .raw()
    .toBuffer();
}

/**
 * An already decoded image to a model input tensor (length 3*size*size, in `recipe.layout`).
 *
 * @example
 * await rgbToTensor({ width: 640, height: 480, data }, clipRecipe) // Float32Array(150528)
 */
export async function rgbToTensor(image: RgbImage, recipe: ImageRecipe): Promise<Float32Array> {
  return pixelsToTensor(await rgbToPixels(image, recipe), recipe);
}

/**
 * An image file to size x size RGB bytes (NHWC) in one sharp pipeline: decode, orient,
 * flatten, resize. For a model that scales its pixels itself (the built-in CNN).
 *
 * @example
 * await imageToPixels({ name: 'cat.jpg', data }, { size: 224, resize: 'squash', ... }) // Buffer(150528)
 */
export async function imageToPixels(input: MediaInput, recipe: ImageRecipe, limits?: Partial<DecodeLimits>): Promise<Buffer> {
  checkRecipe(recipe);
  const { data, width, height } = await decodePixels(input, recipeRequest(recipe), limits);
  if (width !== recipe.size || height !== recipe.size) {
    throw new RosettaError('INTERNAL', `"${input.name}" decoded to ${width}x${height}, not the recipe's ${recipe.size}x${recipe.size}`);
  }
  return data;
}

/**
 * An image file to a model input tensor: `imageToPixels`, then scale/mean/std per channel.
 *
 * @example
 * await imageToTensor({ name: 'cat.jpg', data }, { size: 224, resize: 'shortest-side-crop', ... })
 * // Float32Array(150528), NCHW: all R, then all G, then all B
 */
export async function imageToTensor(
  input: MediaInput,
  recipe: ImageRecipe,
  limits?: Partial<DecodeLimits>,
): Promise<Float32Array> {
  return pixelsToTensor(await imageToPixels(input, recipe, limits), recipe);
}
