/**
 * SVG to PNG with sharp: colour emoji as RGB on white, line art as greyscale on white.
 */
import { rename } from 'node:fs/promises';
import sharp, { type Sharp } from 'sharp';

export const IMAGE_SIZE = 256;
// zlib level 3 instead of sharp's 6: a third less CPU for files about 7% larger, which is what
// keeps the full build (about 9,000 SVGs) inside its time budget on two cores.
const PNG_OPTIONS = { compressionLevel: 3 } as const;

/**
 * Renders an SVG at IMAGE_SIZE x IMAGE_SIZE on white (greyscale for sketches) and writes it
 * atomically; returns the file's size in bytes.
 * @example await rasterizeSvg('node_modules/openmoji/color/svg/1F600.svg', 'images/1F600.png', 'colour') // 7012
 */
export async function rasterizeSvg(svgPath: string, pngPath: string, kind: 'colour' | 'sketch'): Promise<number> {
  const tmp = `${pngPath}.tmp`;
  let info = await render(svgPath, kind, false).toFile(tmp);
  // A resize on every file costs ~15% of the render; only an SVG whose box is not OpenMoji's
  // 72 units comes out at another size and needs it.
  if (info.width !== IMAGE_SIZE || info.height !== IMAGE_SIZE) info = await render(svgPath, kind, true).toFile(tmp);
  await rename(tmp, pngPath);
  return info.size;
}

function render(svgPath: string, kind: 'colour' | 'sketch', fit: boolean): Sharp {
  // librsvg draws one viewBox unit per pixel at 72 dpi, so density IMAGE_SIZE draws OpenMoji's
  // 72-unit box at IMAGE_SIZE px, sharp from the vector rather than upsampled.
  let pipeline = sharp(svgPath, { density: IMAGE_SIZE });
  if (fit) pipeline = pipeline.resize(IMAGE_SIZE, IMAGE_SIZE, { fit: 'contain', background: '#ffffff' });
  pipeline = pipeline.flatten({ background: '#ffffff' });
  if (kind === 'sketch') pipeline = pipeline.toColourspace('b-w');
  return pipeline.png(PNG_OPTIONS);
}

/**
 * Runs `task` over `items` with at most `limit` in flight, collecting each outcome instead of
 * stopping at the first failure.
 * @example await mapLimit([1, 2, 3], 2, async (n) => n * 2) // [{ok: true, value: 2}, ...]
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<Array<{ ok: true; value: R } | { ok: false; reason: string }>> {
  const out: Array<{ ok: true; value: R } | { ok: false; reason: string }> = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      try {
        out[i] = { ok: true, value: await task(items[i], i) };
      } catch (err) {
        out[i] = { ok: false, reason: err instanceof Error ? err.message : String(err) };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}
