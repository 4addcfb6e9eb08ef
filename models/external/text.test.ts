import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isRosettaError } from '../errors.ts';
import { createTextPipeline, fitTokens, textRecipeSchema, tokenizerKind } from './text.ts';

const fixtures = fileURLToPath(new URL('../../test/fixtures/external/', import.meta.url));
const recipe = (over: object = {}) =>
  textRecipeSchema.parse({ kind: 'tokenizer', tokenizer: 'tokenizer.json', maxLength: 8, pad: '<|endoftext|>', ...over });

describe('fitTokens', () => {
  it('keeps short sequences as they are', () => {
    expect(fitTokens([1, 2, 3], 5, 'keep-last')).toEqual([1, 2, 3]);
  });
  it("truncates keeping the end marker with 'keep-last'", () => {
    expect(fitTokens([32, 1, 2, 3, 4, 33], 4, 'keep-last')).toEqual([32, 1, 2, 33]);
  });
  it("drops the tail with 'cut'", () => {
    expect(fitTokens([32, 1, 2, 3, 4, 33], 4, 'cut')).toEqual([32, 1, 2, 3]);
  });
});

describe('tokenizer recipe', () => {
  it('fills padding, truncation and dtype defaults', () => {
    expect(recipe()).toMatchObject({ padding: 'max-length', truncation: 'keep-last', dtype: 'int64' });
  });

  it('tokenizes "A photo of a cat." with the fixture tokenizer to the expected CLIP-style ids', async () => {
    const pipeline = await tokenizerKind.create(recipe({ maxLength: 10 }), { baseDir: fixtures, modality: 'text' });
    const batch = pipeline.tokenize(['A photo of a cat.']);
    expect(batch.dims).toEqual([1, 10]);
    // <|startoftext|> a</w> photo</w> of</w> a</w> cat</w> .</w> <|endoftext|>, then <|endoftext|> padding
    expect(Array.from(batch.ids, Number)).toEqual([32, 0, 9, 11, 0, 19, 31, 33, 33, 33]);
    expect(Array.from(batch.mask, Number)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 0, 0]);
    expect(batch.ids).toBeInstanceOf(BigInt64Array);
  });

  it('truncates text longer than maxLength and keeps the end token', async () => {
    const pipeline = await tokenizerKind.create(recipe({ maxLength: 5 }), { baseDir: fixtures, modality: 'text' });
    expect(Array.from(pipeline.tokenize(['the dog the cat the bird']).ids, Number)).toEqual([32, 14, 23, 14, 33]);
  });

  it("pads to the longest row with 'longest' and int32 ids", () => {
    const p = createTextPipeline((t) => t.split(' ').map(Number), {
      maxLength: 77,
      padding: 'longest',
      truncation: 'keep-last',
      dtype: 'int32',
      padId: 0,
    });
    const batch = p.tokenize(['5 6 7', '8']);
    expect(batch.dims).toEqual([2, 3]);
    expect(batch.ids).toEqual(Int32Array.from([5, 6, 7, 8, 0, 0]));
    expect(batch.mask).toEqual(Int32Array.from([1, 1, 1, 1, 0, 0]));
  });

  it('rejects empty and blank text with EMPTY_INPUT naming its position', async () => {
    const pipeline = await tokenizerKind.create(recipe(), { baseDir: fixtures, modality: 'text' });
    for (const text of ['', '  \n\t']) {
      try {
        pipeline.tokenize(['a cat', text]);
        expect.unreachable();
      } catch (err) {
        expect(isRosettaError(err, 'EMPTY_INPUT')).toBe(true);
        expect((err as Error).message).toContain('text 1');
      }
    }
  });

  it('rejects a pad token missing from the vocabulary with MODEL_INVALID', async () => {
    await expect(
      tokenizerKind.create(recipe({ pad: '<pad>' }), { baseDir: fixtures, modality: 'text' }),
    ).rejects.toMatchObject({ code: 'MODEL_INVALID', message: expect.stringContaining("'<pad>'") });
  });

  it('rejects a missing tokenizer file with MODEL_NOT_READY', async () => {
    await expect(
      tokenizerKind.create(recipe({ tokenizer: 'nope.json' }), { baseDir: fixtures, modality: 'text' }),
    ).rejects.toMatchObject({ code: 'MODEL_NOT_READY', message: expect.stringContaining('nope.json') });
  });
});
