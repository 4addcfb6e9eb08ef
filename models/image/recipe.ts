/**
 * How an image becomes a model input. Preprocessing is data: the built-in CNN and every
 * external encoder declare one of these, and indexing and querying both go through it.
 */
export interface ImageRecipe {
  /** Output side in pixels (square). */
  size: number;
  /**
   * 'shortest-side-crop': scale the shortest side to `size`, centre-crop (CLIP's recipe).
   * 'pad': fit the whole image inside `size` x `size` and pad with white (sketches, icons).
   * 'squash': resize to `size` x `size` ignoring aspect ratio.
   */
  resize: 'shortest-side-crop' | 'pad' | 'squash';
  kernel: 'nearest' | 'linear' | 'cubic' | 'lanczos3';
  layout: 'NHWC' | 'NCHW';
  /** Pixels are first scaled from 0..255 to 0..`scale` (1 or 255), then (x - mean) / std per channel. */
  scale: number;
  mean: [number, number, number];
  std: [number, number, number];
}

/** Limits applied while decoding, before any pixel buffer is allocated. */
export interface DecodeLimits {
  /** Refuse images whose width x height exceeds this (decompression bombs). */
  maxPixels: number;
  /** Refuse files larger than this many bytes. */
  maxBytes: number;
}

export const defaultDecodeLimits: DecodeLimits = { maxPixels: 64_000_000, maxBytes: 50 * 1024 * 1024 };
