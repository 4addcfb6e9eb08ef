import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRosettaError } from '../errors.ts';
import { ensureImageBackbone, imageToPixels, type ImageBackbone, type ImageRecipe } from '../image/index.ts';
import type { MediaInput } from '../types.ts';
import { createCnnEncoder } from './cnn.ts';

const fixture = async (name: string): Promise<MediaInput> => ({
  name,
  data: await readFile(path.join(import.meta.dirname, '../../test/fixtures/images', name)),
});

describe('createCnnEncoder', () => {
  let backbone: ImageBackbone;
  let inputs: MediaInput[];
  beforeAll(async () => {
    backbone = await ensureImageBackbone();
    const names = ['scene.jpg', 'quadrants.jpg', 'quadrants.webp', 'alpha.png', 'gray.png', 'quadrants-exif6.jpg'];
    inputs = await Promise.all(names.map(fixture));
  });

  /** imageToPixels, counting how many run at once. */
  function counted() {
    const seen = { active: 0, most: 0 };
    const preprocess = async (input: MediaInput, recipe: ImageRecipe) => {
      seen.most = Math.max(seen.most, ++seen.active);
      try {
        return await imageToPixels(input, recipe);
      } finally {
        seen.active--;
      }
    };
    return { seen, preprocess };
  }

  const opened: { close(): Promise<void> }[] = [];
  afterAll(async () => {
    await Promise.all(opened.map((e) => e.close()));
  });

  it('decodes at most decodeSlots files at once (Infinity: all), and every file still gets its row', async () => {
    for (const slots of [1, 3, Number.POSITIVE_INFINITY]) {
      const { seen, preprocess } = counted();
      const encoder = await createCnnEncoder('image', backbone, preprocess, { decodeSlots: slots });
      opened.push(encoder);
      const rows = await encoder.encode(inputs);
      expect(seen.most).toBe(Math.min(slots, inputs.length));
      expect(rows).toHaveLength(inputs.length);
      for (const row of rows) expect(Math.hypot(...row)).toBeCloseTo(1, 5);
    }
  });

  it('gives each image the same row alone as in a batch', async () => {
    const encoder = await createCnnEncoder('image', backbone, imageToPixels);
    opened.push(encoder);
    const batch = await encoder.encode(inputs);
    const alone = await encoder.encode([inputs[3]]);
    alone[0].forEach((v, i) => expect(v).toBeCloseTo(batch[3][i], 5));
    expect(batch[0]).not.toEqual(batch[1]);
  });

  it('refuses prepared pixels of the wrong size with INTERNAL naming the size', async () => {
    const encoder = await createCnnEncoder('sketch', backbone, imageToPixels);
    opened.push(encoder);
    const err = await encoder.run([new Uint8Array(12)]).catch((e: unknown) => e);
    expect(isRosettaError(err, 'INTERNAL')).toBe(true);
    expect((err as Error).message).toMatch(/a prepared sketch holds 12 bytes, not 224x224x3/);
  });
});
