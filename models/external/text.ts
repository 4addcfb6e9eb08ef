// Text recipe: a Hugging Face tokenizer.json (read by @huggingface/tokenizers), then truncation
// and padding to the fixed layout a CLIP-style text tower expects.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { z } from 'zod';
import { RosettaError } from '../errors.ts';
import type { IdArray, TextKind, TextPipeline, TokenBatch } from './pipeline.ts';

export const textRecipeSchema = z.strictObject({
  kind: z.literal('tokenizer'),
  /** Path to a Hugging Face tokenizer.json, relative to the manifest. */
  tokenizer: z.string().min(1),
  /** Optional tokenizer_config.json beside it (special-token names some tokenizers need). */
  tokenizerConfig: z.string().min(1).optional(),
  /** Sequence length the model takes (CLIP: 77), special tokens included. */
  maxLength: z.int().min(2).max(65_536),
  /** 'max-length' pads every row to maxLength; 'longest' to the longest row of the batch. */
  padding: z.enum(['max-length', 'longest']).default('max-length'),
  /** Padding token, by its text ('<|endoftext|>') or its id. */
  pad: z.union([z.string().min(1), z.int().nonnegative()]),
  /**
   * Text longer than maxLength is truncated. 'keep-last' keeps the final token (the end marker
   * CLIP's tokenizer appends, which CLIP's text tower pools at); 'cut' just drops the tail.
   */
  truncation: z.enum(['keep-last', 'cut']).default('keep-last'),
  /** Element type of input_ids and attention_mask. */
  dtype: z.enum(['int64', 'int32']).default('int64'),
});

export type TextRecipe = z.infer<typeof textRecipeSchema>;

/** `{modality: 'text', preprocess: {kind: 'tokenizer', tokenizer: 'tokenizer.json', ...}}`. */
export const tokenizerKind: TextKind<TextRecipe> = {
  input: 'text',
  schema: textRecipeSchema,
  required: 'tokens',
  optional: ['mask', 'token-types'],
  files: (r) => [r.tokenizer, ...(r.tokenizerConfig ? [r.tokenizerConfig] : [])],
  async create(recipe, { baseDir }) {
    // Messages name the manifest key to fix; the encoder prefixes the manifest's path.
    const path = resolve(baseDir, recipe.tokenizer);
    const json = await readJson(path, 'preprocess.tokenizer');
    const config = recipe.tokenizerConfig
      ? await readJson(resolve(baseDir, recipe.tokenizerConfig), 'preprocess.tokenizerConfig')
      : {};
    let tokenizer: Tokenizer;
    try {
      tokenizer = new Tokenizer(json, config);
      // Some broken files only fail on first use, so that is part of the check.
      tokenizer.encode('a');
    } catch (err) {
      throw new RosettaError(
        'MODEL_INVALID',
        `preprocess.tokenizer: ${path} is not a usable Hugging Face tokenizer.json: ${(err as Error).message}`,
        { cause: err },
      );
    }
    const padId = typeof recipe.pad === 'number' ? recipe.pad : tokenizer.token_to_id(recipe.pad);
    if (padId === undefined || tokenizer.id_to_token(padId) === undefined) {
      const what = typeof recipe.pad === 'number' ? `id ${recipe.pad}` : `token '${recipe.pad}'`;
      throw new RosettaError('MODEL_INVALID', `preprocess.pad: ${what} is not in the vocabulary of ${path}`);
    }
    return createTextPipeline((text) => tokenizer.encode(text).ids, { ...recipe, padId });
  },
};

/** Tokenizes, truncates and pads a batch; split from the tokenizer so it can be tested alone. */
export function createTextPipeline(
  encode: (text: string) => number[],
  recipe: Pick<TextRecipe, 'maxLength' | 'padding' | 'truncation' | 'dtype'> & { padId: number },
): TextPipeline {
  return {
    tokenize(texts: string[]): TokenBatch {
      const rows = texts.map((text, i) => {
        if (typeof text !== 'string') {
          throw new RosettaError('INVALID_ARGUMENT', `text ${i} must be a string; got ${typeof text}`);
        }
        if (text.trim() === '') throw new RosettaError('EMPTY_INPUT', `text ${i} is empty`);
        return fitTokens(encode(text), recipe.maxLength, recipe.truncation);
      });
      const length =
        recipe.padding === 'max-length' ? recipe.maxLength : Math.max(1, ...rows.map((r) => r.length));
      const make = (n: number): IdArray => (recipe.dtype === 'int64' ? new BigInt64Array(n) : new Int32Array(n));
      const ids = make(rows.length * length);
      const mask = make(rows.length * length);
      const set = (a: IdArray, at: number, v: number) => {
        if (a instanceof BigInt64Array) a[at] = BigInt(v);
        else a[at] = v;
      };
      rows.forEach((row, r) => {
        for (let j = 0; j < length; j++) {
          set(ids, r * length + j, j < row.length ? row[j] : recipe.padId);
          set(mask, r * length + j, j < row.length ? 1 : 0);
        }
      });
      return { ids, mask, types: make(rows.length * length), dims: [rows.length, length] };
    },
  };
}

/**
 * Truncates token ids to `maxLength`.
 *
 * @example
 * fitTokens([49406, 1, 2, 3, 49407], 4, 'keep-last') // [49406, 1, 2, 49407]
 */
export function fitTokens(ids: readonly number[], maxLength: number, truncation: TextRecipe['truncation']): number[] {
  if (ids.length <= maxLength) return [...ids];
  if (truncation === 'cut') return ids.slice(0, maxLength);
  return [...ids.slice(0, maxLength - 1), ids[ids.length - 1]];
}

async function readJson(path: string, key: string): Promise<object> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new RosettaError('MODEL_NOT_READY', `${key}: cannot read tokenizer file ${path}`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new RosettaError('MODEL_INVALID', `${key}: tokenizer file ${path} is not valid JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new RosettaError('MODEL_INVALID', `${key}: tokenizer file ${path} must hold a JSON object`);
  }
  return json;
}
