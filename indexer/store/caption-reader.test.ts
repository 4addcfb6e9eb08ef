import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isRosettaError } from '../../models/errors.ts';
import { openStore, type CollectionStore } from './index.ts';
import { makeItem, testProjector } from './testing.ts';

const CAPTIONS = ['red bird on a branch', 'blue bird', 'red car at night', 'a bird singing', 'night rain on a roof', 'red apple', 'bird song at dawn', 'car horn'];

describe('the caption reader thread (StoreOptions.readThread)', () => {
  let dir: string;
  let store: CollectionStore;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rosetta-caption-reader-'));
    store = await openStore(dir, { projector: testProjector(), readThread: true });
    for (const [i, text] of CAPTIONS.entries()) await store.addItem(makeItem(i, { captions: [{ text, source: 'manifest' }] }));
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('plans keyword queries exactly as the inline path does', async () => {
    for (const text of ['red bird', 'bird', 'night', 'red', 'car horn', 'bir', 'nothing here', 'bird song dawn']) {
      for (const mode of ['fill', 'strict', 'exhaustive'] as const) {
        expect(await store.keywordIdsAsync(text, 5, { mode }), `${text} (${mode})`).toEqual(store.keywordIds(text, 5, { mode }));
      }
    }
  });

  it('fills an exhaustive ranking to its limit with what the filter keeps, on both paths', async () => {
    for (const modality of ['image', 'audio'] as const) {
      const options = { mode: 'exhaustive' as const, modalities: [modality] };
      // Two captions of each medium hold "bird"; the best two overall are not always one medium's.
      for (const hits of [store.keywordIds('bird', 2, options), await store.keywordIdsAsync('bird', 2, options)]) {
        expect(hits.map((h) => store.getItem(h.id).modality)).toEqual([modality, modality]);
      }
      expect((await store.keywordIdsAsync('bird', 5, options)).length).toBe(2);
    }
  });

  it('applies the modality filter and checks its arguments on the calling side', async () => {
    const audio = await store.keywordIdsAsync('bird', 10, { modalities: ['audio'] });
    expect(audio.length).toBeGreaterThan(0);
    for (const h of audio) expect(store.getItem(h.id).modality).toBe('audio');
    await expect(store.keywordIdsAsync('!!', 5)).rejects.toSatisfy((e) => isRosettaError(e, 'EMPTY_INPUT'));
    await expect(store.keywordIdsAsync('bird', 0)).rejects.toSatisfy((e) => isRosettaError(e, 'INVALID_ARGUMENT'));
  });

  it('sees a write as soon as it returns, including the caption statistics it caches', async () => {
    expect(await store.keywordIdsAsync('zebra', 5)).toEqual([]);
    const { id } = await store.addItem(makeItem(100, { captions: [{ text: 'zebra crossing', source: 'user' }] }));
    expect((await store.keywordIdsAsync('zebra', 5)).map((h) => h.id)).toEqual([id]);
    await store.deleteItem(id);
    expect(await store.keywordIdsAsync('zebra', 5)).toEqual([]);
  });

  it('stops with the store: later calls fail with a clear error', async () => {
    await store.close();
    await expect(store.keywordIdsAsync('bird', 5)).rejects.toThrow(/closed/);
    store = await openStore(dir, { projector: testProjector(), readThread: true });
  });
});
