import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRosettaError } from '../errors.ts';
import { convertKerasModel, decodeWeights, loadTfjsArtifacts } from '../keras/index.ts';
import { OnnxSession } from '../runtime/index.ts';
import { sketchToPixels } from '../sketch/index.ts';
import { ensureImageBackbone, listBackboneVariants, locateBackbone, pixelScaling } from './backbone.ts';
import { imageToPixels, pixelsToTensor } from './preprocess.ts';

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
    const x = new Uint8Array(2 * s * s * 3).map((_, i) => (i * 37) % 256);
    const out = await session.run({ [first.inputName]: { data: x, dims: [2, s, s, 3] } });
    await session.close();
    expect(out[first.outputName].dims).toEqual([2, first.dim]);
    expect(out[first.outputName].data.every(Number.isFinite)).toBe(true);
    expect(first.identity.name).toContain(listBackboneVariants().find((v) => v.isDefault)!.id);
    expect(first.identity.weightsHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('scales its uint8 pixels inside the model: the embeddings of floats scaled in JavaScript, bit for bit', async () => {
    const backbone = await ensureImageBackbone({ cacheDir });
    const { variant, sourceDir } = await locateBackbone({ cacheDir });
    const a = await loadTfjsArtifacts(sourceDir);
    const floatModel = convertKerasModel(a.modelTopology, decodeWeights(a.weightSpecs, a.weightData), {
      outputs: [{ name: 'embedding', layer: variant.layer, pool: variant.pool }],
      inputSize: [variant.recipe.size, variant.recipe.size],
    });
    const fixture = async (name: string) => ({ name, data: await readFile(path.join(import.meta.dirname, '../../test/fixtures/images', name)) });
    const pixels = [
      await imageToPixels(await fixture('scene.jpg'), backbone.recipe),
      await imageToPixels(await fixture('quadrants-exif6.jpg'), backbone.recipe),
      await sketchToPixels(await fixture('sketch-strokes.png'), backbone.recipe),
    ];
    const per = pixels[0].length;
    const u8 = new Uint8Array(per * pixels.length);
    const f32 = new Float32Array(per * pixels.length);
    pixels.forEach((p, i) => {
      u8.set(p, i * per);
      f32.set(pixelsToTensor(Buffer.from(p), backbone.recipe), i * per);
    });
    const dims = [pixels.length, variant.recipe.size, variant.recipe.size, 3];
    const pixelSession = await OnnxSession.create(backbone.modelPath);
    const floatSession = await OnnxSession.create(floatModel.bytes);
    const fromPixels = (await pixelSession.run({ image: { data: u8, dims } })).embedding.data;
    const fromFloats = (await floatSession.run({ image: { data: f32, dims } })).embedding.data;
    await Promise.all([pixelSession.close(), floatSession.close()]);
    expect(fromPixels.length).toBe(pixels.length * backbone.dim);
    expect(fromPixels).toEqual(fromFloats);
  });

  it('scales every pixel value to the float32 that the JavaScript recipe gives', async () => {
    const recipe = listBackboneVariants().find((v) => v.isDefault)!.recipe;
    const { multiply, subtract, divide } = pixelScaling(recipe);
    const raw = Buffer.from(Array.from({ length: 768 }, (_, i) => i % 256));
    const expected = pixelsToTensor(raw, { ...recipe, size: 16 });
    raw.forEach((v, i) => expect(Math.fround((v * multiply[i % 3] - subtract[i % 3]) / divide[i % 3])).toBe(expected[i]));
  });

  it('rejects an unknown variant with INVALID_ARGUMENT naming the choices', async () => {
    const err = await ensureImageBackbone({ cacheDir, variant: 'resnet50.nope' }).catch((e: unknown) => e);
    expect(isRosettaError(err, 'INVALID_ARGUMENT')).toBe(true);
    expect((err as Error).message).toMatch(/variant must be one of .*mobilenet_v2.*; got 'resnet50.nope'/);
  });
});
