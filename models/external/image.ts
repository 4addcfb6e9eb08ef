// Image and sketch recipes: the manifest carries an ImageRecipe, and the same function that
// the built-in encoders use turns each file into a tensor.
import { z } from 'zod';
import { imageToTensor } from '../image/index.ts';
import type { ImageRecipe } from '../image/recipe.ts';
import { sketchToTensor } from '../sketch/index.ts';
import type { MediaKind } from './pipeline.ts';

const rgb = (item: z.ZodNumber) => z.tuple([item, item, item]);

export const imageRecipeSchema = z.strictObject({
  kind: z.literal('image'),
  size: z.int().min(8).max(4096),
  resize: z.enum(['shortest-side-crop', 'pad', 'squash']),
  kernel: z.enum(['nearest', 'linear', 'cubic', 'lanczos3']),
  layout: z.enum(['NHWC', 'NCHW']),
  scale: z.number().positive(),
  mean: rgb(z.number()),
  std: rgb(z.number().positive()),
});

export type ImageKindRecipe = z.infer<typeof imageRecipeSchema>;
// The schema must describe exactly an ImageRecipe (plus `kind`); this fails to compile if they drift.
const _sameShape: ImageRecipe = {} as Omit<ImageKindRecipe, 'kind'>;
void _sameShape;

/** `{modality: 'image' | 'sketch', preprocess: {kind: 'image', ...ImageRecipe}}`. */
export const imageKind: MediaKind<ImageKindRecipe> = {
  input: 'media',
  schema: imageRecipeSchema,
  required: 'image',
  optional: [],
  files: () => [],
  async create(recipe, { modality }) {
    const { kind: _kind, ...imageRecipe } = recipe;
    const toTensor = modality === 'sketch' ? sketchToTensor : imageToTensor;
    const { size, layout } = imageRecipe;
    return {
      prepare: (input) => toTensor(input, imageRecipe),
      dummy: async () => new Float32Array(3 * size * size),
      dims: (n) => (layout === 'NCHW' ? [n, 3, size, size] : [n, size, size, 3]),
    };
  },
};
