import { describe, expect, it } from 'vitest';
import { fitLinearSpace } from '../align/index.ts';
import type { BagHeadParams, DenseHeadParams } from '../align/index.ts';
import { applyDense, BagIndex } from './head-math.ts';
import { extendTextBag, modelFromLinearSpace, TEXT_BIAS_ID, unitScale, withBias } from './init.ts';
import { syntheticCorpus } from './test-support.ts';

const corpus = syntheticCorpus({ images: 80, sounds: 30 });
const fit = () =>
  fitLinearSpace(
    {
      captions: corpus.captions.map((c) => c.row),
      pairs: {
        image: { features: corpus.captioned.image!.features, caption: corpus.captioned.image!.caption },
        audio: { features: corpus.captioned.audio!.features, caption: corpus.captioned.audio!.caption },
      },
      sketchImage: { sketch: corpus.sketchImage!.sketch, image: corpus.sketchImage!.image },
    },
    { dim: 8 },
  );

describe('modelFromLinearSpace', () => {
  it('copies the CCA maps exactly, the text offset included (via the bias row)', async () => {
    const { space } = await fit();
    const model = await modelFromLinearSpace(space);
    for (const m of ['image', 'sketch', 'audio'] as const) {
      const x = m === 'audio' ? corpus.captioned.audio!.features[3] : m === 'sketch' ? corpus.sketchImage!.sketch[3] : corpus.captioned.image!.features[3];
      const ours = applyDense(model.heads[m] as DenseHeadParams, x);
      const theirs = space.project(m, x);
      for (let j = 0; j < ours.length; j++) expect(ours[j]).toBeCloseTo(theirs[j], 5);
    }
    const bag = new BagIndex(model.heads.text as BagHeadParams);
    const row = corpus.captions[5].row;
    const ours = bag.apply(withBias(row));
    const theirs = space.project('text', row);
    for (let j = 0; j < ours.length; j++) expect(ours[j]).toBeCloseTo(theirs[j], 5);
  });

  it('starts a residual MLP at zero so the head is still the CCA map', async () => {
    const { space } = await fit();
    const plain = await modelFromLinearSpace(space);
    const mlp = await modelFromLinearSpace(space, { hidden: 12, seed: 2 });
    const x = corpus.captioned.image!.features[0];
    expect((mlp.heads.image as DenseHeadParams).mlp?.hidden).toBe(12);
    const [a, b] = [applyDense(plain.heads.image as DenseHeadParams, x), applyDense(mlp.heads.image as DenseHeadParams, x)];
    for (let j = 0; j < a.length; j++) expect(b[j]).toBeCloseTo(a[j], 6);
  });

  it('unitScale rescales the heads without changing what they compute', async () => {
    const { space } = await fit();
    const model = await modelFromLinearSpace(space);
    const x = corpus.captioned.image!.features[1];
    const before = applyDense(model.heads.image as DenseHeadParams, x);
    const textBefore = new BagIndex(model.heads.text as BagHeadParams).apply(withBias(corpus.captions[1].row));
    const W0 = (model.heads.image as DenseHeadParams).W[0];
    unitScale(model, { image: corpus.captioned.image!.features }, corpus.captions.map((c) => c.row));
    expect((model.heads.image as DenseHeadParams).W[0]).not.toBeCloseTo(W0, 6);
    const after = applyDense(model.heads.image as DenseHeadParams, x);
    const textAfter = new BagIndex(model.heads.text as BagHeadParams).apply(withBias(corpus.captions[1].row));
    for (let j = 0; j < after.length; j++) {
      expect(after[j]).toBeCloseTo(before[j], 5);
      expect(textAfter[j]).toBeCloseTo(textBefore[j], 5);
    }
  });
});

describe('the text bias row', () => {
  it('withBias appends the bias id at weight 1 once', () => {
    const row = { ids: Uint32Array.of(3, 9), weights: Float32Array.of(0.6, 0.8) };
    const biased = withBias(row);
    expect(Array.from(biased.ids)).toEqual([3, 9, TEXT_BIAS_ID]);
    expect(Array.from(biased.weights)).toEqual([Math.fround(0.6), Math.fround(0.8), 1]);
    expect(withBias(biased)).toBe(biased);
  });

  it('extendTextBag adds a zero row for each unseen id and keeps the old rows', async () => {
    const { space } = await fit();
    const model = await modelFromLinearSpace(space);
    const text = model.heads.text as BagHeadParams;
    const extended = extendTextBag(model, [{ ids: Uint32Array.of(text.ids[0], 77_777), weights: Float32Array.of(1, 1) }]);
    const e = extended.heads.text as BagHeadParams;
    expect(e.ids.length).toBe(text.ids.length + 1);
    expect(e.ids[e.ids.length - 1]).toBe(77_777);
    expect(Array.from(e.E.subarray(0, text.E.length))).toEqual(Array.from(text.E));
    expect(Array.from(e.E.subarray(text.E.length)).every((v) => v === 0)).toBe(true);
  });
});
