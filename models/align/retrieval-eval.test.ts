import { describe, expect, it } from 'vitest';
import { OnnxSession } from '../runtime/index.ts';
import { rankGraph, Validator } from './retrieval-eval.ts';
import { exportHead, HEAD_OUTPUT } from './heads.ts';
import { PairBatcher } from './pair-batches.ts';
import { plantedPairs } from './synthetic.ts';
import { shapeOf } from './head-params.ts';

describe('rank graph', () => {
  it('counts the keys scoring strictly above the true match', async () => {
    const session = await OnnxSession.create(rankGraph().serialize());
    // Query 0 matches key 0 best (rank 0); query 1's match (key 1, 0.1) is beaten by keys 2 (0.9) and 3 (0.6).
    const { rank } = await session.run({
      queries: { data: Float32Array.of(1, 0, 0, 1), dims: [2, 2] },
      keys: { data: Float32Array.of(1, 0, 0.6, 0.1, 0.1, 0.9, 0.8, 0.6), dims: [4, 2] },
      target: { data: BigInt64Array.of(0n, 1n), dims: [2, 1] },
    });
    await session.close();
    expect(Array.from(rank.data)).toEqual([0, 2]);
  });

  it('does not rank an item below an exact tie of itself', async () => {
    const session = await OnnxSession.create(rankGraph().serialize());
    const { rank } = await session.run({
      queries: { data: Float32Array.of(0.6, 0.8), dims: [1, 2] },
      keys: { data: Float32Array.of(0.6, 0.8, 0.6, 0.8), dims: [2, 2] },
      target: { data: BigInt64Array.of(1n), dims: [1, 1] },
    });
    await session.close();
    expect(Array.from(rank.data)).toEqual([0]);
  });
});

describe('Validator', () => {
  it('embeds and ranks across chunk boundaries like a brute-force reference', async () => {
    // 1100 pairs: more than one 1024-row chunk, so offsets into the feature and embedding arrays matter.
    const { data, params } = plantedPairs({ pairs: 1100, latent: 3, inDim: 6, bInDim: 5, dim: 4, seed: 2, side: 'dense', noise: 1 });
    const validator = await Validator.create({ a: shapeOf(params.a), b: shapeOf(params.b) }, { batchSize: 64 });
    const batcher = new PairBatcher(data, params);
    const [ya, yb] = [await validator.embed(params, batcher, 'a'), await validator.embed(params, batcher, 'b')];
    const recall = await validator.recall(ya, yb, 4);
    await validator.close();

    const head = await OnnxSession.create(exportHead(params.a));
    const whole = (await head.run({ features: { data: data.a.data, dims: [1100, 6] } }))[HEAD_OUTPUT].data;
    await head.close();
    expect(ya).toEqual(whole);

    const hits = { r1: 0, r5: 0, r10: 0 };
    const dot = (i: number, j: number) => ya[i * 4] * yb[j * 4] + ya[i * 4 + 1] * yb[j * 4 + 1] + ya[i * 4 + 2] * yb[j * 4 + 2] + ya[i * 4 + 3] * yb[j * 4 + 3];
    for (let i = 0; i < 1100; i++) {
      const own = dot(i, i);
      let rank = 0;
      for (let j = 0; j < 1100; j++) if (j !== i && dot(i, j) > own) rank++;
      hits.r1 += rank < 1 ? 1 : 0;
      hits.r5 += rank < 5 ? 1 : 0;
      hits.r10 += rank < 10 ? 1 : 0;
    }
    // float32 (graph) vs float64 (here) may flip a near-tie: allow one item per cutoff.
    expect(Math.abs(recall.r1 - hits.r1 / 1100)).toBeLessThanOrEqual(1 / 1100);
    expect(Math.abs(recall.r5 - hits.r5 / 1100)).toBeLessThanOrEqual(1 / 1100);
    expect(Math.abs(recall.r10 - hits.r10 / 1100)).toBeLessThanOrEqual(1 / 1100);
    expect(recall.r10).toBeGreaterThan(0.01); // not degenerate
  });
});
