// A minimal valid SpaceDraft for tests that write spaces without training. Test-only.
import type { SpaceDraft } from './directory.ts';
import { syntheticEncoders } from './test-support.ts';

export function draftFor(dim: number, overrides: Partial<SpaceDraft> = {}): SpaceDraft {
  return {
    default: false,
    dim,
    logScale: 2.5,
    encoders: { ...syntheticEncoders },
    data: { source: 'test', pairs: { 'image-text': { train: 10, val: 2 } }, captions: 12, skipped: 0, droppedPairs: 0 },
    hyper: { dim, epochs: 1, batchSize: 8, lr: 1e-3, weightDecay: 0.01, seed: 1, patience: 3, hidden: 0, regX: 1, regY: 1, valFraction: 0.1, valMin: 2, init: 'cca' },
    recall: { 'text→image': { queries: 2, candidates: 2, baseline: 'random projection', systems: { unaligned: { r1: 0, r5: 1, r10: 1 }, cca: { r1: 0.5, r5: 1, r10: 1 }, contrastive: { r1: 1, r5: 1, r10: 1 } } } },
    training: {
      bestEpoch: 1,
      stoppedEarly: false,
      history: [
        { epoch: 0, trainLoss: null, valLoss: 2, valR10: { 'image-text': 0.5 }, seconds: 0.1 },
        { epoch: 1, trainLoss: 1.5, valLoss: 1.8, valR10: { 'image-text': 0.75 }, seconds: 0.2 },
      ],
      stage1: { dim, textBagDim: dim, textIds: 5, clamped: false },
    },
    timings: { trainMs: 300 },
    device: 'cpu',
    ...overrides,
  };
}
