export { normalizeSketch, sketchToPixels, sketchToTensor, type SketchOptions } from './normalize.ts';
export { pseudoSketch, type PseudoSketchOptions } from './pseudo.ts';
export { drawVariant, sketchVariant, variantRanges, type PenChange, type VariantDraw } from './variants.ts';
