import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRosettaError } from '../errors.ts';
import { OnnxSession } from '../runtime/index.ts';
import { ensureImageBackbone, listBackboneVariants } from './backbone.ts';

describe('image backbone', () => {
  let cacheDir: string;
  beforeAll(async () => {
    cacheDir = await mkdtemp(path.join(os.tmpdir(), 'rosetta-backbone-'));
  });
  afterAll(async () => {
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('lists variants with unique ids and exactly one default', () => {
    const all = listBackboneVariants();
    expect(new Set(all.map((v) => v.id)).size).toBe(all.length);
    expect(all.filter((v) => v.isDefault)).toHaveLength(1);
    for (const v of all) {
      expect(v.recipe.layout).toBe('NHWC');
      expect(v.dim).toBeGreaterThan(0);
    }
  });

  it('converts the default once, caches it, and the model gives [N, dim] embeddings', async () => {
    const first = await ensureImageBackbone({ cacheDir });
    const files = await readdir(cacheDir);
    expect(files).toEqual([path.basename(first.modelPath)]);
    const mtime = (await stat(first.modelPath)).mtimeMs;

    const again = await ensureImageBackbone({ cacheDir });
    expect(again).toEqual(first);
    expect((await stat(again.modelPath)).mtimeMs).toBe(mtime);

    const session = await OnnxSession.create(first.modelPath, {
      expectInputs: [first.inputName],
      expectOutputs: [first.outputName],
    });
    const s = first.recipe.size;
    const x = new Float32Array(2 * s * s * 3).map((_, i) => Math.sin(i * 0.37));
    const out = await session.run({ [first.inputName]: { data: x, dims: [2, s, s, 3] } });
    await session.close();
    expect(out[first.outputName].dims).toEqual([2, first.dim]);
    expect(out[first.outputName].data.every(Number.isFinite)).toBe(true);
    expect(first.identity.name).toContain(listBackboneVariants().find((v) => v.isDefault)!.id);
    expect(first.identity.weightsHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('rejects an unknown variant with INVALID_ARGUMENT naming the choices', async () => {
    const err = await ensureImageBackbone({ cacheDir, variant: 'resnet50.nope' }).catch((e: unknown) => e);
    expect(isRosettaError(err, 'INVALID_ARGUMENT')).toBe(true);
    expect((err as Error).message).toMatch(/variant must be one of .*mobilenet_v2.*; got 'resnet50.nope'/);
  });
});
