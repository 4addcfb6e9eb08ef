import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRosettaError } from '../../models/errors.ts';
import { readCurrentVersion, spacesDir, SpaceProjector } from '../../models/space/index.ts';
import { createTextEncoder } from '../../models/text/index.ts';
import { identityKey, type SparseRow } from '../../models/types.ts';
import { TextEmbedThread } from './text-thread.ts';

// The space in service in the repository's models folder (test/global-setup.ts trains it).
const modelsDir = path.resolve(import.meta.dirname, '../../models');

describe('TextEmbedThread', () => {
  const encoder = createTextEncoder();
  let thread: TextEmbedThread;
  let final: SpaceProjector;
  let cca: SpaceProjector;
  beforeAll(async () => {
    thread = new TextEmbedThread();
    const dir = path.join(spacesDir(modelsDir), (await readCurrentVersion(modelsDir))!);
    [final, cca] = await Promise.all([SpaceProjector.load(dir), SpaceProjector.load(dir, { stage: 'cca' })]);
  });
  afterAll(async () => {
    await thread.close();
  });

  const here = async (text: string, projector: SpaceProjector) => projector.embedQuery('text', (await encoder.encode([text]))[0] as SparseRow);
  const texts = ['red heart', 'a dog barking in the rain', 'woman with dark skin tone', 'explosion'];

  it('runs the built-in text encoder', async () => {
    expect(identityKey(await thread.ready())).toBe(identityKey(encoder.identity));
  });

  it('gives the vectors the projector gives in this thread, for each space head, interleaved', async () => {
    const calls = texts.flatMap((t) => [final, cca].map((p) => ({ t, p })));
    const vectors = await Promise.all(calls.map(({ t, p }) => thread.embed(t, p.textHead)));
    for (const [i, { t, p }] of calls.entries()) expect(vectors[i]).toEqual(await here(t, p));
    expect(vectors[0]).not.toEqual(vectors[1]);
  });

  it('keeps working when a third head pushes the oldest out, and sends that one again when it is used', async () => {
    const dir = path.join(spacesDir(modelsDir), (await readCurrentVersion(modelsDir))!);
    const third = await SpaceProjector.load(dir);
    const order = [final, cca, third, final, cca, final];
    const vectors = await Promise.all(order.map((p) => thread.embed('small red bird', p.textHead)));
    for (const [i, p] of order.entries()) expect(vectors[i]).toEqual(await here('small red bird', p));
  });

  it('refuses empty text and text with no words with EMPTY_INPUT and the message given here', async () => {
    for (const text of ['  ...  ', '']) {
      const err = await thread.embed(text, final.textHead).catch((e: unknown) => e);
      const local = await here(text, final).catch((e: unknown) => e);
      expect(isRosettaError(err, 'EMPTY_INPUT')).toBe(true);
      expect((err as Error).message).toBe((local as Error).message);
    }
  });
});
