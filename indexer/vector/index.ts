export type { VectorHit, VectorIndex } from './types.ts';
export { HnswIndex, defaultEf, type HnswOptions } from './hnsw-index.ts';
export { ExactIndex } from './exact-index.ts';
export { hnswlibBuild, type HnswlibBuild } from './hnswlib-binding.ts';
export { ThreadedHnswIndex } from './hnsw-thread.ts';
export { SerialQueue } from './serial-queue.ts';
export { replaceFile } from './atomic-file.ts';
