import { describe, expect, it } from 'vitest';
import { isRosettaError } from '../errors.ts';
import { trainAlignment, type AlignModel, type EpochRecord, type PairSet, type StepProgress } from './trainer.ts';
import { PlantedWorld, plantedPairs, splitPairs, type PlantedOptions } from './synthetic.ts';
import { PairBatcher } from './pair-batches.ts';
import { Validator } from './retrieval-eval.ts';
import { INITIAL_LOG_SCALE, shapeOf, type AlignParams } from './head-params.ts';

const meanR10 = (r: EpochRecord, set: string) => (r.valRecall[set].aToB.r10 + r.valRecall[set].bToA.r10) / 2;

/** One planted set as a model with heads 'image' and 'text' (or 'sketch' and 'image' for a dense side b). */
function oneSet(o: PlantedOptions, trainCount: number): { model: AlignModel; sets: PairSet[] } {
  const { data, params } = plantedPairs(o);
  const [train, val] = splitPairs(data, trainCount);
  const [a, b] = o.side === 'bag' ? ['image', 'text'] : ['sketch', 'image'];
  return {
    model: { heads: { [a]: params.a, [b]: params.b }, logScale: params.logScale },
    sets: [{ name: `${a}-${b}`, a, b, train, val }],
  };
}

describe('trainAlignment', () => {
  it('lowers the loss and raises retrieval on pairs with a planted alignment', async () => {
    const { model, sets } = oneSet({ pairs: 640, latent: 8, inDim: 32, dim: 16, seed: 3, side: 'bag', vocab: 80, noiseIds: 6, noise: 0.5 }, 512);
    const before = structuredClone(model);
    const steps: StepProgress[] = [];
    const epochs: EpochRecord[] = [];
    const result = await trainAlignment(model, sets, { epochs: 4, batchSize: 64, seed: 1, lr: 1e-2, onStep: (p) => steps.push(p), onEpoch: (r) => epochs.push(r) });
    expect(result.device).toBe('cpu');
    expect(result.history.map((r) => r.epoch)).toEqual([0, 1, 2, 3, 4]);
    expect(epochs).toEqual(result.history);
    expect(steps.map((s) => s.step)).toEqual(Array.from({ length: 32 }, (_, i) => i + 1));
    const losses = result.history.slice(1).map((r) => r.trainLoss as number);
    for (let i = 1; i < losses.length; i++) expect(losses[i]).toBeLessThan(losses[i - 1]);
    const [first, last] = [result.history[0], result.history.at(-1) as EpochRecord];
    expect(last.valLoss).toBeLessThan(first.valLoss / 3);
    expect(meanR10(first, 'image-text')).toBeLessThan(0.2); // random init: near chance (10/128)
    expect(meanR10(last, 'image-text')).toBeGreaterThan(0.9);
    expect(last.valRecall['image-text'].aToB.r1).toBeGreaterThan(0.5);
    expect(result.model.logScale).not.toBe(INITIAL_LOG_SCALE);
    expect(model).toEqual(before); // the caller's model is not modified
  });

  it('trains several pair sets that share heads, interleaving their batches', async () => {
    const world = new PlantedWorld({ latent: 6, seed: 5, vocab: 60, noiseIds: 4 }).modality('image', 24).modality('audio', 16).modality('sketch', 20);
    const split = (a: string, b: string, seed: number): Pick<PairSet, 'train' | 'val'> => {
      const [train, val] = splitPairs(world.pairs(a, b, 384, seed), 320);
      return { train, val };
    };
    const sets: PairSet[] = [
      { name: 'image-text', a: 'image', b: 'text', ...split('image', 'text', 1) },
      { name: 'audio-text', a: 'audio', b: 'text', ...split('audio', 'text', 2) },
      { name: 'sketch-image', a: 'sketch', b: 'image', ...split('sketch', 'image', 3) },
    ];
    const model: AlignModel = {
      heads: {
        image: world.denseHead(sets[0].train.a, 12, 11),
        audio: world.denseHead(sets[1].train.a, 12, 12),
        sketch: world.denseHead(sets[2].train.a, 12, 13),
        text: world.textHead(12, 14),
      },
      logScale: INITIAL_LOG_SCALE,
    };
    const order: string[] = [];
    const result = await trainAlignment(model, sets, { epochs: 4, batchSize: 32, seed: 3, lr: 1e-2, onStep: (p) => order.push(p.set) });
    expect(order.length).toBe(4 * 30);
    // Interleaved, not set after set: the first epoch's ten steps of each set are spread out.
    expect(new Set(order.slice(0, 10)).size).toBe(3);
    for (const set of sets) {
      expect(meanR10(result.history.at(-1) as EpochRecord, set.name), set.name).toBeGreaterThan(meanR10(result.history[0], set.name) + 0.4);
    }
  });

  it('stops early when validation loss stops improving and restores the best epoch', async () => {
    // 32 training pairs and a wide MLP: the heads overfit after a few epochs.
    const { model, sets } = oneSet({ pairs: 160, latent: 8, inDim: 32, dim: 16, seed: 3, side: 'bag', vocab: 80, noiseIds: 6, hidden: 64, noise: 1.5 }, 32);
    const result = await trainAlignment(model, sets, { epochs: 15, batchSize: 32, seed: 1, lr: 0.05, patience: 3, monitor: 'loss' });
    const losses = result.history.map((r) => r.valLoss);
    const bestEpoch = losses.indexOf(Math.min(...losses));
    expect(result.stoppedEarly).toBe(true);
    expect(result.bestEpoch).toBe(bestEpoch);
    expect(bestEpoch).toBeGreaterThan(0);
    expect(result.history.length).toBe(bestEpoch + 4); // epoch 0, ..., best, then 3 without improvement
    // The returned model is the best epoch's, not the last one's.
    const params: AlignParams = { a: result.model.heads.image as AlignParams['a'], b: result.model.heads.text, logScale: result.model.logScale };
    const validator = await Validator.create({ a: shapeOf(params.a), b: shapeOf(params.b) }, { batchSize: 32 });
    const again = await validator.evaluate(params, new PairBatcher(sets[0].val, params));
    await validator.close();
    expect(again.loss).toBe(losses[bestEpoch]);
    expect(again.recall).toEqual(result.history[bestEpoch].valRecall['image-text']);
  });

  it('is reproducible: the same seed gives identical parameters, another seed does not', async () => {
    const { model, sets } = oneSet({ pairs: 320, latent: 6, inDim: 24, dim: 12, seed: 5, side: 'bag', vocab: 60, noiseIds: 8, hidden: 16 }, 256);
    const run = (seed: number) => trainAlignment(model, sets, { epochs: 2, batchSize: 32, seed, lr: 1e-2 });
    const [r1, r2, r3] = [await run(7), await run(7), await run(8)];
    expect(r1.model).toEqual(r2.model);
    expect(r1.history.map((h) => h.valLoss)).toEqual(r2.history.map((h) => h.valLoss));
    expect(r3.model.heads.image).not.toEqual(r1.model.heads.image);
  });

  it('trains a head against a frozen dense head (sketch vs image)', async () => {
    const { model, sets } = oneSet({ pairs: 320, latent: 6, inDim: 24, bInDim: 20, dim: 12, seed: 9, side: 'dense' }, 256);
    const result = await trainAlignment(model, sets, { epochs: 3, batchSize: 32, seed: 1, lr: 1e-2, frozen: ['image'] });
    expect(result.model.heads.image).toEqual(model.heads.image);
    expect(result.model.heads.sketch).not.toEqual(model.heads.sketch);
    const history = result.history;
    expect(meanR10(history.at(-1) as EpochRecord, 'sketch-image')).toBeGreaterThan(meanR10(history[0], 'sketch-image') + 0.3);
  });

  it('rejects bad options with INVALID_ARGUMENT listing every problem', async () => {
    const { model, sets } = oneSet({ pairs: 8, latent: 2, inDim: 4, dim: 2, seed: 1, side: 'bag', vocab: 8 }, 6);
    const err = await trainAlignment(model, sets, { epochs: -1, batchSize: 1, seed: 1, lr: 0 }).catch((e: unknown) => e);
    expect(isRosettaError(err, 'INVALID_ARGUMENT')).toBe(true);
    expect((err as Error).message).toMatch(/epochs must be an integer >= 0; got -1; batchSize must be an integer >= 2; got 1; lr must be > 0; got 0/);
  });

  it('rejects a pair set naming a head the model lacks', async () => {
    const { model, sets } = oneSet({ pairs: 8, latent: 2, inDim: 4, dim: 2, seed: 1, side: 'bag', vocab: 8 }, 6);
    const bad = [{ ...sets[0], b: 'caption' }];
    await expect(trainAlignment(model, bad, { epochs: 1, batchSize: 4, seed: 1 })).rejects.toThrow(/pair set 'image-text' names head 'caption' on side b, but the model has: image, text/);
  });
});
