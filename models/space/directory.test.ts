import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bagHead, denseHead, INITIAL_LOG_SCALE, type AlignModel } from '../align/index.ts';
import { CURRENT_FILE, listSpaces, loadCurrentSpace, loadSpace, readCurrentVersion, setCurrentSpace, spacesDir, writeSpace } from './directory.ts';
import { TEXT_BIAS_ID } from './init.ts';
import { gaussianFill } from './random.ts';
import { draftFor } from './test-drafts.ts';

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'rosetta-spaces-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const dim = 8;
function model(seed = 1): AlignModel {
  const image = denseHead({ inDim: 24, dim, W: gaussianFill(24 * dim, seed), mean: gaussianFill(24, seed + 1), b: gaussianFill(dim, seed + 2), hidden: 5, seed });
  image.mlp!.W2.set(gaussianFill(5 * dim, seed + 3));
  return {
    heads: {
      image,
      audio: denseHead({ inDim: 16, dim, W: gaussianFill(16 * dim, seed + 4) }),
      text: bagHead([7, 3, 900, TEXT_BIAS_ID], gaussianFill(4 * dim, seed + 5), dim),
    },
    logScale: INITIAL_LOG_SCALE + 0.25,
  };
}

describe('the space directory', () => {
  it('round-trips a space exactly: heads bit for bit, manifest field for field', async () => {
    const original = model();
    const written = await writeSpace(root, original, draftFor(dim));
    expect(path.dirname(written.dir)).toBe(spacesDir(root));
    expect(readdirSync(written.dir).sort()).toEqual(['audio.onnx', 'curves.svg', 'image.onnx', 'space.json', 'text-ids.bin', 'text.onnx']);
    const loaded = await loadSpace(written.dir);
    expect(loaded.manifest).toEqual(written.manifest);
    expect(loaded.model).toEqual(original);
    expect(loaded.manifest.version).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{8}$/);
    const svg = readFileSync(path.join(written.dir, 'curves.svg'), 'utf8');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain('<path d="M');
  });

  it('names a version by timestamp and content: the same heads get the same hash', async () => {
    const now = new Date('2026-01-02T03:04:05.678Z');
    const a = await writeSpace(root, model(1), draftFor(dim), { now });
    const b = await writeSpace(root, model(1), draftFor(dim), { now: new Date('2026-01-02T03:04:09Z') });
    const c = await writeSpace(root, model(2), draftFor(dim), { now });
    expect(a.manifest.version.startsWith('20260102T030405Z-')).toBe(true);
    expect(a.manifest.version.split('-')[1]).toBe(b.manifest.version.split('-')[1]);
    expect(c.manifest.version.split('-')[1]).not.toBe(a.manifest.version.split('-')[1]);
    const again = await writeSpace(root, model(1), draftFor(dim), { now });
    expect(again.manifest.version).toBe(`${a.manifest.version}~2`);
  });

  it('moves CURRENT atomically and lists spaces with the one in service', async () => {
    expect(await readCurrentVersion(root)).toBeNull();
    expect(await loadCurrentSpace(root)).toBeNull();
    const a = await writeSpace(root, model(1), draftFor(dim));
    const b = await writeSpace(root, model(2), draftFor(dim, { default: true, recipe: 'default-v1-abc' }));
    await setCurrentSpace(root, a.manifest.version);
    await setCurrentSpace(root, b.manifest.version);
    expect(readFileSync(path.join(spacesDir(root), CURRENT_FILE), 'utf8')).toBe(`${b.manifest.version}\n`);
    expect(readdirSync(spacesDir(root)).filter((n) => n.startsWith('.'))).toEqual([]);
    expect((await loadCurrentSpace(root))!.manifest.version).toBe(b.manifest.version);
    const list = await listSpaces(root);
    expect(list.map((s) => [s.version, s.current, s.default])).toEqual(
      [[a.manifest.version, false, false], [b.manifest.version, true, true]].sort(),
    );
    expect(list[0].recall10).toEqual({ 'text→image': 1 });
  });

  it('refuses to point CURRENT at a version that does not exist (NOT_FOUND)', async () => {
    await expect(setCurrentSpace(root, '20260101T000000Z-deadbeef')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(setCurrentSpace(root, '../escape')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('hides temp dirs of interrupted writes and removes those of dead processes', async () => {
    const spaces = spacesDir(root);
    mkdirSync(path.join(spaces, '.tmp-20260101T000000Z-00000000-999999999'), { recursive: true });
    writeFileSync(path.join(spaces, '.tmp-20260101T000000Z-00000000-999999999', 'image.onnx'), 'half');
    expect(await listSpaces(root)).toEqual([]);
    await writeSpace(root, model(), draftFor(dim));
    expect(existsSync(path.join(spaces, '.tmp-20260101T000000Z-00000000-999999999'))).toBe(false);
  });

  it('rejects a damaged head file with MODEL_INVALID naming the file', async () => {
    const written = await writeSpace(root, model(), draftFor(dim));
    const file = path.join(written.dir, 'image.onnx');
    const bytes = readFileSync(file);
    bytes[bytes.length - 5] ^= 0xff;
    writeFileSync(file, bytes);
    await expect(loadSpace(written.dir)).rejects.toMatchObject({ code: 'MODEL_INVALID', message: expect.stringContaining('image.onnx') });
    await expect(loadSpace(path.join(root, 'nowhere'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('rejects a manifest of the wrong shape with MODEL_INVALID', async () => {
    const written = await writeSpace(root, model(), draftFor(dim));
    const file = path.join(written.dir, 'space.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), dim: 'big' }));
    await expect(loadSpace(written.dir)).rejects.toMatchObject({ code: 'MODEL_INVALID', message: expect.stringContaining('dim') });
  });
});
