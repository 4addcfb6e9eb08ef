export { normalizeSketch, sketchToTensor, type SketchOptions } from './normalize.ts';
export { pseudoSketch, type PseudoSketchOptions } from './pseudo.ts';
