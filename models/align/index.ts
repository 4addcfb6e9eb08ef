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
