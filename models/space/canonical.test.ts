import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bagHead, denseHead, Gemm, INITIAL_LOG_SCALE, type AlignModel, type DenseHeadParams } from '../align/index.ts';
import { canonicalCorpus, canonicalRows, fromCanonical, toCanonical, withoutMlps } from './canonical.ts';
import { applyDense } from './head-math.ts';
import { TEXT_BIAS_ID } from './init.ts';
import { gaussianFill } from './random.ts';
import { syntheticCorpus } from './test-support.ts';

const dim = 6;
let gemm: Gemm;
beforeAll(async () => {
  gemm = await Gemm.create();
});
afterAll(async () => {
  await gemm.close();
});

function model(): AlignModel {
  const audio = denseHead({ inDim: 16, dim, W: gaussianFill(16 * dim, 1), mean: gaussianFill(16, 2), b: gaussianFill(dim, 3), hidden: 4, seed: 4 });
  audio.mlp!.W2.set(gaussianFill(4 * dim, 5));
  return {
    heads: {
      image: denseHead({ inDim: 24, dim, W: gaussianFill(24 * dim, 6), mean: gaussianFill(24, 7) }),
      audio,
      text: bagHead([3, 8, TEXT_BIAS_ID], gaussianFill(3 * dim, 8), dim),
    },
    logScale: INITIAL_LOG_SCALE,
  };
}

const close = (a: Float32Array, b: Float32Array, atol: number) => {
  expect(a.length).toBe(b.length);
  for (let j = 0; j < a.length; j++) expect(Math.abs(a[j] - b[j])).toBeLessThan(atol);
};

describe('Stage 2 in canonical coordinates', () => {
  it('computes the same embeddings as the raw head before any step (identity V, MLP kept)', async () => {
    const m = model();
    const { model: canon, bases } = toCanonical(m, (name) => name === 'audio');
    const audio = canon.heads.audio as DenseHeadParams;
    expect(audio.inDim).toBe(dim);
    expect(audio.mlp).toBe((m.heads.audio as DenseHeadParams).mlp);
    // Heads it does not train keep their raw form and take raw rows.
    expect(canon.heads.image).toBe(m.heads.image);
    expect(Object.keys(bases)).toEqual(['audio']);
    const rows = [0, 1, 2].map((i) => gaussianFill(16, 20 + i));
    const z = await canonicalRows(bases.audio, rows, gemm);
    rows.forEach((x, i) => close(applyDense(audio, z[i]), applyDense(m.heads.audio as DenseHeadParams, x), 1e-5));
  });

  it('folds a trained V back into one head of the raw shape: W = W0·V, same function', async () => {
    const m = model();
    const { model: canon, bases } = toCanonical(m, (name) => name !== 'text');
    const trained = canon.heads.audio as DenseHeadParams;
    trained.W = gaussianFill(dim * dim, 30);
    trained.b = gaussianFill(dim, 31);
    const folded = (await fromCanonical(canon, bases, gemm)).heads.audio as DenseHeadParams;
    expect([folded.inDim, folded.W.length]).toEqual([16, 16 * dim]);
    expect(folded.mean).toBe((m.heads.audio as DenseHeadParams).mean);
    const rows = [0, 1, 2].map((i) => gaussianFill(16, 40 + i));
    const z = await canonicalRows(bases.audio, rows, gemm);
    rows.forEach((x, i) => close(applyDense(folded, x), applyDense(trained, z[i]), 1e-4));
  });

  it('maps every dense row of a corpus (sketch-image pairs included) and leaves captions alone', async () => {
    const corpus = syntheticCorpus({ images: 12, sounds: 4, inDim: 24, audioDim: 16 });
    const heads = { ...model().heads, sketch: denseHead({ inDim: 24, dim, W: gaussianFill(24 * dim, 50) }) };
    const { bases } = toCanonical({ heads, logScale: 1 }, (name) => name !== 'audio');
    const out = await canonicalCorpus(corpus, bases, gemm);
    expect(out.captions).toBe(corpus.captions);
    expect(out.captioned.image!.features[0]).toHaveLength(dim);
    expect(out.sketchImage!.sketch[0]).toHaveLength(dim);
    expect(out.sketchImage!.image[0]).toHaveLength(dim);
    expect(out.captioned.audio!.features[0]).toBe(corpus.captioned.audio!.features[0]);
  });

  it("maps drawn sketch variants as the sketch rows are mapped, each pair's list kept apart", async () => {
    const corpus = syntheticCorpus({ images: 12, sounds: 4, inDim: 24, audioDim: 16 });
    const si = corpus.sketchImage!;
    // Pair 0 has two variants, pair 1 none, pair 2 one (a drawing that failed to vary).
    si.variants = si.sketch.map((_, i) => (i === 0 ? [si.sketch[1], si.sketch[2]] : i === 2 ? [si.sketch[0]] : []));
    const heads = { ...model().heads, sketch: denseHead({ inDim: 24, dim, W: gaussianFill(24 * dim, 50) }) };
    const { bases } = toCanonical({ heads, logScale: 1 }, () => true);
    const out = (await canonicalCorpus(corpus, bases, gemm)).sketchImage!;
    expect(out.variants!.map((v) => v.length)).toEqual(si.variants.map((v) => v.length));
    expect(Array.from(out.variants![0][0])).toEqual(Array.from(out.sketch[1]));
    expect(Array.from(out.variants![0][1])).toEqual(Array.from(out.sketch[2]));
    expect(Array.from(out.variants![2][0])).toEqual(Array.from(out.sketch[0]));
  });

  it('drops the residual MLPs for the Stage-1 copy, which computes what the MLP head computed while W2 was zero', () => {
    const m = model();
    const audio = m.heads.audio as DenseHeadParams;
    audio.mlp!.W2.fill(0);
    const stripped = withoutMlps(m).heads.audio as DenseHeadParams;
    expect(stripped.mlp).toBeUndefined();
    expect(audio.mlp).toBeDefined();
    const x = gaussianFill(16, 60);
    close(applyDense(stripped, x), applyDense(audio, x), 1e-6);
  });
});
