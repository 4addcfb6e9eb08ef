import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxSession } from '../runtime/index.ts';
import type { StoredFeature } from '../../indexer/store/index.ts';
import { denseHead, bagHead, INITIAL_LOG_SCALE, type AlignModel, type BagHeadParams, type DenseHeadParams } from '../align/index.ts';
import { loadSpace, writeSpace, type LoadedSpace } from './directory.ts';
import { applyDense } from './head-math.ts';
import { TEXT_BIAS_ID, withBias } from './init.ts';
import { SpaceProjector } from './projector.ts';
import { gaussianFill } from './random.ts';
import { draftFor } from './test-drafts.ts';

const dim = 12;
let root: string;
let space: LoadedSpace;

function model(): AlignModel {
  const ids = [5, 17, 99, 1234, TEXT_BIAS_ID];
  return {
    heads: {
      image: denseHead({ inDim: 24, dim, W: gaussianFill(24 * dim, 1), mean: gaussianFill(24, 2), b: gaussianFill(dim, 3) }),
      sketch: (() => {
        const h = denseHead({ inDim: 24, dim, W: gaussianFill(24 * dim, 4), hidden: 7, seed: 5 });
        h.mlp!.W2.set(gaussianFill(7 * dim, 6));
        h.mlp!.b1.set(gaussianFill(7, 7));
        return h;
      })(),
      audio: denseHead({ inDim: 16, dim, W: gaussianFill(16 * dim, 8) }),
      text: bagHead(ids, gaussianFill(ids.length * dim, 9), dim),
    },
    logScale: INITIAL_LOG_SCALE,
  };
}

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'rosetta-projector-'));
  space = await writeSpace(root, model(), draftFor(dim));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('SpaceProjector', () => {
  it('matches the exported ONNX head sessions within 1e-5 (dense, dense + MLP, text bag)', async () => {
    const projector = await SpaceProjector.load(space.dir);
    for (const m of ['image', 'sketch', 'audio'] as const) {
      const inDim = m === 'audio' ? 16 : 24;
      const rows = [0, 1, 2].map((i) => gaussianFill(inDim, 100 + i));
      const session = await OnnxSession.create(path.join(space.dir, `${m}.onnx`), { expectInputs: ['features'], expectOutputs: ['embedding'] });
      const flat = new Float32Array(rows.length * inDim);
      rows.forEach((r, i) => flat.set(r, i * inDim));
      const { embedding } = await session.run({ features: { data: flat, dims: [rows.length, inDim] } });
      await session.close();
      rows.forEach((r, i) => {
        const ours = projector.embedQuery(m, r);
        for (let j = 0; j < dim; j++) expect(Math.abs(ours[j] - embedding.data[i * dim + j])).toBeLessThan(1e-5);
      });
    }
    const head = space.model.heads.text as BagHeadParams;
    const rowOf = new Map(Array.from(head.ids, (id, r) => [id, r]));
    const captions = [
      { ids: Uint32Array.of(5, 99, 4242), weights: Float32Array.of(0.6, 0.7, 0.4) },
      { ids: Uint32Array.of(17, 1234), weights: Float32Array.of(1, 0.2) },
    ];
    const K = 4;
    const rows = new BigInt64Array(captions.length * K);
    const weights = new Float32Array(captions.length * K);
    captions.forEach((c, i) => {
      const b = withBias(c);
      let k = 0;
      b.ids.forEach((id, j) => {
        const r = rowOf.get(id);
        if (r === undefined) return;
        rows[i * K + k] = BigInt(r);
        weights[i * K + k++] = b.weights[j];
      });
    });
    const session = await OnnxSession.create(path.join(space.dir, 'text.onnx'), { expectInputs: ['rows', 'weights'] });
    const { embedding } = await session.run({ rows: { data: rows, dims: [2, K] }, weights: { data: weights, dims: [2, K] } });
    await session.close();
    captions.forEach((c, i) => {
      const ours = projector.embedQuery('text', c);
      for (let j = 0; j < dim; j++) expect(Math.abs(ours[j] - embedding.data[i * dim + j])).toBeLessThan(1e-5);
    });
  });

  it('projects an item from its own modality feature of the space encoder, unit length', async () => {
    const projector = await SpaceProjector.load(space.dir);
    const enc = space.manifest.encoders.image!;
    const f: StoredFeature = { kind: 'dense', modality: 'image', encoder: enc.key, dim: 24, vector: gaussianFill(24, 11) };
    const v = projector.project({ modality: 'image', features: [f] })!;
    expect(v.length).toBe(dim);
    expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    expect(projector.project({ modality: 'audio', features: [f] })).toBeNull();
  });

  it('refuses features from another encoder identity with DIMENSION_MISMATCH naming both', async () => {
    const projector = await SpaceProjector.load(space.dir);
    const ours = space.manifest.encoders.image!.key;
    const f: StoredFeature = { kind: 'dense', modality: 'image', encoder: 'clip-image@1#ffffffffffff', dim: 24, vector: gaussianFill(24, 12) };
    const refusal = expect.objectContaining({ code: 'DIMENSION_MISMATCH', message: expect.stringContaining('clip-image@1#ffffffffffff') });
    expect(() => projector.project({ modality: 'image', features: [f] })).toThrowError(refusal);
    expect(() => projector.embedQuery('image', f.vector, f.encoder)).toThrowError(expect.objectContaining({ message: expect.stringContaining(ours) }));
  });

  it('rejects wrong-width features with DIMENSION_MISMATCH and a text of unknown words with EMPTY_INPUT', async () => {
    const projector = await SpaceProjector.load(space.dir);
    expect(() => projector.embedQuery('image', new Float32Array(7))).toThrowError(expect.objectContaining({ code: 'DIMENSION_MISMATCH' }));
    expect(() => projector.embedQuery('text', { ids: Uint32Array.of(31337), weights: Float32Array.of(1) })).toThrowError(expect.objectContaining({ code: 'EMPTY_INPUT' }));
  });
});

describe('SpaceProjector stages', () => {
  // Stage 1's heads: other weights, and a text bag with other ids (as after a warm start).
  function stage1(): AlignModel {
    const ids = [5, 17, 99, 777, TEXT_BIAS_ID];
    return {
      heads: {
        image: denseHead({ inDim: 24, dim, W: gaussianFill(24 * dim, 41), mean: gaussianFill(24, 42) }),
        sketch: denseHead({ inDim: 24, dim, W: gaussianFill(24 * dim, 43) }),
        audio: denseHead({ inDim: 16, dim, W: gaussianFill(16 * dim, 44) }),
        text: bagHead(ids, gaussianFill(ids.length * dim, 45), dim),
      },
      logScale: INITIAL_LOG_SCALE,
    };
  }

  it("serves Stage 1's heads with { stage: 'cca' } under their own version, and the final heads by default", async () => {
    const cca = stage1();
    const written = await writeSpace(path.join(root, 'staged'), model(), draftFor(dim, { stages: { cca } }));
    expect(Object.keys(written.manifest.stages!.cca.heads).sort()).toEqual(['audio', 'image', 'sketch', 'text']);
    const final = await SpaceProjector.load(written.dir);
    const first = await SpaceProjector.load(written.dir, { stage: 'cca' });
    const second = new SpaceProjector(await loadSpace(written.dir, { withCca: true }), { stage: 'cca' });
    expect([final.stage, final.version]).toEqual(['final', written.manifest.version]);
    expect([first.stage, first.version]).toEqual(['cca', `${written.manifest.version}+cca`]);
    const x = gaussianFill(24, 46);
    for (const p of [first, second]) {
      const ours = p.embedQuery('image', x);
      const expected = applyDense(cca.heads.image as DenseHeadParams, x);
      for (let j = 0; j < dim; j++) expect(Math.abs(ours[j] - expected[j])).toBeLessThan(1e-6);
      // Id 777 is only in Stage 1's bag, 1234 only in the final one.
      expect(() => p.embedQuery('text', { ids: Uint32Array.of(777), weights: Float32Array.of(1) })).not.toThrow();
      expect(() => p.embedQuery('text', { ids: Uint32Array.of(1234), weights: Float32Array.of(1) })).toThrowError(expect.objectContaining({ code: 'EMPTY_INPUT' }));
    }
    const fromFinal = final.embedQuery('image', x);
    expect(Math.max(...fromFinal.map((v, j) => Math.abs(v - first.embedQuery('image', x)[j])))).toBeGreaterThan(0.01);
  });

  it('writes one text id table when both stages share it, and a second one when they do not', async () => {
    const shared = { ...stage1(), heads: { ...stage1().heads, text: model().heads.text } };
    const one = await writeSpace(path.join(root, 'shared-ids'), model(), draftFor(dim, { stages: { cca: shared } }));
    expect(one.manifest.stages!.cca.heads.text).toMatchObject({ file: 'text.cca.onnx', ids: 'text-ids.bin' });
    const two = await writeSpace(path.join(root, 'own-ids'), model(), draftFor(dim, { stages: { cca: stage1() } }));
    expect(two.manifest.stages!.cca.heads.text).toMatchObject({ file: 'text.cca.onnx', ids: 'text-ids.cca.bin' });
    expect((await loadSpace(two.dir, { withCca: true })).cca!.heads.text).toEqual(stage1().heads.text);
  });

  it("refuses stage 'cca' with NOT_FOUND on a space written without Stage-1 heads, which still loads as before", async () => {
    const missing = expect.objectContaining({ code: 'NOT_FOUND', message: expect.stringContaining('Stage-1 (CCA) heads') });
    await expect(SpaceProjector.load(space.dir, { stage: 'cca' })).rejects.toThrowError(missing);
    await expect(loadSpace(space.dir, { withCca: true })).rejects.toThrowError(missing);
    expect(() => new SpaceProjector(space, { stage: 'cca' })).toThrowError(missing);
    expect((await loadSpace(space.dir)).manifest.stages).toBeUndefined();
    expect((await SpaceProjector.load(space.dir)).version).toBe(space.manifest.version);
  });

  it('asks for the Stage-1 heads to be loaded when the space has them but they were not, and rejects an unknown stage', async () => {
    const written = await writeSpace(path.join(root, 'not-loaded'), model(), draftFor(dim, { stages: { cca: stage1() } }));
    const loaded = await loadSpace(written.dir);
    expect(() => new SpaceProjector(loaded, { stage: 'cca' })).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('withCca') }));
    expect(() => new SpaceProjector(loaded, { stage: 'stage2' as 'cca' })).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
