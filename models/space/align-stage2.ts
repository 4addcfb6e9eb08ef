// Stage 2 of models/align (trainer, head parameters, head export) is not yet exported from
// models/align/index.ts; this file is the one place that reaches into it, so that when the
// align index exports these names only the imports below change.
export { trainAlignment, cloneModel } from '../align/trainer.ts';
export type { AlignModel, EpochRecord, PairSet, StepProgress, TrainOptions, TrainResult } from '../align/trainer.ts';
export { bagHead, denseHead, INITIAL_LOG_SCALE, MAX_LOG_SCALE, checkHead } from '../align/head-params.ts';
export type { BagHeadParams, DenseHeadParams, HeadParams } from '../align/head-params.ts';
export { exportHead, HEAD_INPUTS, HEAD_OUTPUT } from '../align/heads.ts';
export type { PairData, DenseRows, SparseRows } from '../align/pair-batches.ts';
export type { ValRecall, RecallAtK } from '../align/retrieval-eval.ts';
