// The public surface of models/align/: the Stage-1 coordinated space (text bag, block CCA with
// text as pivot, sketch-photo ridge map) and the LinearSpace it produces.
export { fitLinearSpace } from './fit.ts';
export type { AlignmentCorpus, FitReport, FitSpaceOptions, ModalityPairs } from './fit.ts';
export { LinearSpace } from './space.ts';
export type { DenseModality, LinearMap, LinearSpaceData } from './space.ts';
export { embedSparse, fitTextBag, knownIds, defaultTextBag } from './rsvd.ts';
export type { TextBag, TextBagFit, TextBagOptions } from './rsvd.ts';
export { blockCca, cca, defaultCca } from './cca.ts';
export type { CcaBlock, CcaBlockMap, CcaOptions, CcaResult } from './cca.ts';
export { foldOffset, ridgeMap } from './ridge.ts';
export type { AffineMap, RidgeOptions } from './ridge.ts';
export { Gemm } from './gemm.ts';
export type { Mat } from './linalg.ts';

// Stage 2: contrastive alignment (InfoNCE step graph on ONNX Runtime, AdamW, early stopping).
export { trainAlignment, cloneModel } from './trainer.ts';
export type { AlignModel, EpochRecord, PairSet, StepProgress, TrainOptions, TrainResult } from './trainer.ts';
export { bagHead, denseHead, INITIAL_LOG_SCALE, MAX_LOG_SCALE, checkHead } from './head-params.ts';
export type { BagHeadParams, DenseHeadParams, HeadParams } from './head-params.ts';
export { exportHead, HEAD_INPUTS, HEAD_OUTPUT } from './heads.ts';
export type { PairData, DenseRows, SparseRows } from './pair-batches.ts';
export type { ValRecall, RecallAtK } from './retrieval-eval.ts';
