// Stage 2 end to end: train the heads with the ONNX step graph, export each head as its own ONNX
// file, and check the files alone reproduce the trainer's embeddings; plus device selection.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxSession } from '../models/runtime/index.ts';
import { isRosettaError } from '../models/errors.ts';
import { bagRowIndex, shapeOf, type AlignParams } from '../models/align/head-params.ts';
import { bagFeeds, exportHead, HEAD_OUTPUT } from '../models/align/heads.ts';
import { PairBatcher, type PairData } from '../models/align/pair-batches.ts';
import { Validator } from '../models/align/retrieval-eval.ts';
import { AlignStep } from '../models/align/step.ts';
import { plantedPairs, splitPairs } from '../models/align/synthetic.ts';
import { trainAlignment } from '../models/align/trainer.ts';

describe('exported heads', () => {
  let dir: string;
  let trained: AlignParams;
  let val: PairData;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rosetta-align-'));
    const { data, params } = plantedPairs({ pairs: 400, latent: 6, inDim: 24, dim: 12, seed: 4, side: 'bag', vocab: 60, noiseIds: 10, hidden: 16 });
    let train: PairData;
    [train, val] = splitPairs(data, 320);
    // Two epochs move W2 off zero, so the exported MLP path is exercised.
    const model = { heads: { image: params.a, text: params.b }, logScale: params.logScale };
    const result = await trainAlignment(model, [{ name: 'image-text', a: 'image', b: 'text', train, val }], { epochs: 2, batchSize: 32, seed: 2, lr: 1e-2 });
    trained = { a: result.model.heads.image as AlignParams['a'], b: result.model.heads.text, logScale: result.model.logScale };
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reproduce the trainer forward embeddings from the files alone (atol 1e-5)', async () => {
    expect(trained.a.mlp?.W2.some((v) => v !== 0)).toBe(true);
    const validator = await Validator.create({ a: shapeOf(trained.a), b: shapeOf(trained.b) }, { batchSize: 32 });
    const batcher = new PairBatcher(val, trained);
    const [ya, yb] = [await validator.embed(trained, batcher, 'a'), await validator.embed(trained, batcher, 'b')];
    await validator.close();

    const [imagePath, textPath] = [join(dir, 'image-head.onnx'), join(dir, 'text-head.onnx')];
    await writeFile(imagePath, exportHead(trained.a));
    await writeFile(textPath, exportHead(trained.b));
    const image = await OnnxSession.create(imagePath, { expectInputs: ['features'], expectOutputs: [HEAD_OUTPUT] });
    const text = await OnnxSession.create(textPath, { expectInputs: ['rows', 'weights'], expectOutputs: [HEAD_OUTPUT] });
    const n = val.a.count;
    const fa = (await image.run({ features: { data: val.a.data, dims: [n, val.a.dim] } }))[HEAD_OUTPUT];
    if (val.b.kind !== 'sparse' || trained.b.kind !== 'bag') throw new Error('expected captions');
    const fb = (await text.run(bagFeeds(val.b.rows, bagRowIndex(trained.b))))[HEAD_OUTPUT];
    await image.close();
    await text.close();

    expect(fa.dims).toEqual([n, 12]);
    expect(fb.dims).toEqual([n, 12]);
    expect(maxAbsDiff(fa.data, ya)).toBeLessThan(1e-5);
    expect(maxAbsDiff(fb.data, yb)).toBeLessThan(1e-5);
  });

  it('embed captions as the training step does (S·E_u over the batch rows)', async () => {
    // The step feeds text as a dense S over the batch's unique rows, the exported head as padded
    // row indices through Gather; the file must equal normalize(S·E_u) built from the step's batch tensors.
    if (trained.b.kind !== 'bag' || val.b.kind !== 'sparse') throw new Error('expected captions');
    const batch = new PairBatcher(val, trained).batch(Int32Array.from({ length: 16 }, (_, i) => i));
    if (batch.b.kind !== 'bag') throw new Error('expected a bag batch');
    const U = batch.b.rows.length;
    const d = trained.b.dim;
    const expected = new Float64Array(16 * d);
    for (let i = 0; i < 16; i++) {
      for (let u = 0; u < U; u++) {
        for (let c = 0; c < d; c++) expected[i * d + c] += batch.b.S[i * U + u] * trained.b.E[batch.b.rows[u] * d + c];
      }
      const row = expected.subarray(i * d, i * d + d);
      const norm = Math.sqrt(row.reduce((s, v) => s + v * v, 0));
      row.forEach((v, c) => (row[c] = v / norm));
    }
    const text = await OnnxSession.create(exportHead(trained.b));
    const out = (await text.run(bagFeeds(val.b.rows.slice(0, 16), bagRowIndex(trained.b))))[HEAD_OUTPUT];
    await text.close();
    expect(maxAbsDiff(out.data, expected)).toBeLessThan(1e-5);
  });
});

describe('device selection', () => {
  const shapes = { a: { kind: 'dense' as const, inDim: 4, dim: 2 }, b: { kind: 'bag' as const, dim: 2 } };

  it('fails with DEVICE_UNAVAILABLE for webgpu on a machine without a GPU adapter, not silently on the CPU', async () => {
    const err = await AlignStep.create(shapes, { mode: 'train', device: 'webgpu' }).then(
      async (step) => {
        // A machine with a WebGPU adapter runs it there; nothing to check about fallbacks then.
        expect(step.device).toBe('webgpu');
        await step.close();
        return undefined;
      },
      (e: unknown) => e,
    );
    if (err !== undefined) {
      expect(isRosettaError(err, 'DEVICE_UNAVAILABLE')).toBe(true);
      expect((err as Error).message).toMatch(/device 'webgpu' is unavailable/);
    }
  });

  it("falls back to an available provider only for 'auto'", async () => {
    const step = await AlignStep.create(shapes, { mode: 'loss', device: 'auto' });
    expect(['cpu', 'cuda', 'webgpu']).toContain(step.device);
    await step.close();
  });
});

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}
