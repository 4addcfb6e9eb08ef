import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isRosettaError, type ErrorCode } from '../errors.ts';
import { identityKey } from '../types.ts';
import { createTextEncoder, defaultParams } from './index.ts';

// Bad input is refused before WordNet is needed, so these tests never load it.
function rejects(fn: () => unknown, code: ErrorCode, message: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(isRosettaError(err, code), `expected RosettaError ${code}, got ${String(err)}`).toBe(true);
  expect((err as Error).message).toMatch(message);
}

async function rejectsAsync(p: Promise<unknown>, code: ErrorCode, message: RegExp): Promise<void> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(isRosettaError(err, code), `expected RosettaError ${code}, got ${String(err)}`).toBe(true);
  expect((err as Error).message).toMatch(message);
}

describe('createTextEncoder', () => {
  it('is a sparse text encoder over the id space', () => {
    const enc = createTextEncoder();
    expect(enc.modality).toBe('text');
    expect(enc.kind).toBe('sparse');
    expect(enc.dim).toBe(2 ** 18);
    expect(enc.params).toEqual(defaultParams);
    expect(enc.identity.name).toBe('lexical-text');
    expect(enc.identity.version).toBe('1');
    expect(enc.identity.weightsHash).toMatch(/^[0-9a-f]{64}$/);
    expect(identityKey(enc.identity)).toMatch(/^lexical-text@1#[0-9a-f]{12}$/);
  });

  it('has an identity that depends on the parameters, not on how they were spelled', () => {
    const base = createTextEncoder().identity.weightsHash;
    expect(createTextEncoder().identity.weightsHash).toBe(base);
    expect(createTextEncoder({ weights: { word: 1 }, charNgrams: [3, 5] }).identity.weightsHash).toBe(base);
    expect(createTextEncoder({ maxChars: 50 }).identity.weightsHash).toBe(base); // a limit, not a feature
    expect(createTextEncoder({ dim: 2 ** 16 }).identity.weightsHash).not.toBe(base);
    expect(createTextEncoder({ weights: { gloss: 0 } }).identity.weightsHash).not.toBe(base);
    expect(createTextEncoder({ charNgrams: [3, 6] }).identity.weightsHash).not.toBe(base);
    expect(createTextEncoder({ senses: { n: 1 } }).identity.weightsHash).not.toBe(base);
  });

  it.each([
    [{ dim: 0 }, /dim must be an integer/],
    [{ dim: 1.5 }, /dim must be an integer/],
    [{ dim: 2 ** 31 }, /dim must be an integer/],
    [{ charNgrams: [5, 3] as const }, /charNgrams\[1\]/],
    [{ charNgrams: [0, 3] as const }, /charNgrams\[0\]/],
    [{ hypernymDepth: -1 }, /hypernymDepth/],
    [{ weights: { word: 0 } }, /weights\.word must be greater than 0/],
    [{ weights: { char: -1 } }, /weights\.char/],
    [{ weights: { pos: { n: Number.NaN } } }, /weights\.pos\.n/],
    [{ senses: { v: 100 } }, /senses\.v/],
    [{ maxChars: 0 }, /maxChars/],
  ])('rejects the option %j with INVALID_ARGUMENT naming it', (options, message) => {
    rejects(() => createTextEncoder(options), 'INVALID_ARGUMENT', message);
  });
});

describe('bad input', () => {
  const enc = createTextEncoder({ maxChars: 100 });

  it('rejects an empty text with EMPTY_INPUT', () => {
    rejects(() => enc.featurize(''), 'EMPTY_INPUT', /text is empty/);
  });

  it('rejects a whitespace-only text with EMPTY_INPUT', () => {
    rejects(() => enc.featurize(' \t\n\u00a0 '), 'EMPTY_INPUT', /text is empty/);
  });

  it('rejects punctuation, symbols or emoji alone with EMPTY_INPUT', () => {
    rejects(() => enc.featurize('?!... -- 🐶'), 'EMPTY_INPUT', /no words or numbers/);
    rejects(() => enc.explain('***'), 'EMPTY_INPUT', /no words or numbers/);
  });

  it('rejects a non-string with INVALID_ARGUMENT', () => {
    for (const v of [42, null, undefined, { text: 'dog' }, ['dog']]) {
      rejects(() => enc.featurize(v as unknown as string), 'INVALID_ARGUMENT', /text must be a string/);
    }
  });

  it('rejects a text over the length limit with INPUT_TOO_LARGE', () => {
    rejects(() => enc.featurize('a'.repeat(101)), 'INPUT_TOO_LARGE', /101 characters; the limit is 100/);
  });

  it('rejects a text over the default 10,000-character limit with INPUT_TOO_LARGE', () => {
    rejects(() => createTextEncoder().featurize('dog '.repeat(2501)), 'INPUT_TOO_LARGE', /limit is 10000/);
  });

  it('rejects a whole batch naming the first bad text', async () => {
    await rejectsAsync(enc.encode(['a dog', '  ', 7 as unknown as string]), 'EMPTY_INPUT', /^text\[1\] is empty/);
    await rejectsAsync(enc.encode(['a dog', 7 as unknown as string]), 'INVALID_ARGUMENT', /^text\[1\] must be a string; got number/);
  });

  it('rejects a batch that is not an array with INVALID_ARGUMENT', async () => {
    await rejectsAsync(enc.encode('a dog' as unknown as string[]), 'INVALID_ARGUMENT', /batch must be an array/);
  });

  it('returns no rows for an empty batch', async () => {
    expect(await enc.encode([])).toEqual([]);
  });

  it('refuses bad input without loading or building WordNet', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rosetta-text-'));
    try {
      const cold = createTextEncoder({ cacheDir: dir, maxChars: 10 });
      const t0 = performance.now();
      for (const bad of ['', '  ', '!!', 'x'.repeat(11), 3 as unknown as string]) {
        expect(() => cold.featurize(bad)).toThrow();
        await expect(cold.encode([bad])).rejects.toThrow();
      }
      expect(await cold.encode([])).toEqual([]);
      expect(performance.now() - t0).toBeLessThan(1000); // a build takes seconds
      expect(existsSync(dir) && readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
