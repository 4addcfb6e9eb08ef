// The thread of a ThreadedHnswIndex (hnsw-thread.ts): registers tsx, then runs the TypeScript
// module that hosts the HnswIndex, so the thread runs our own HNSW code, not a copy of it.
import { register } from 'tsx/esm/api';

register();
await import('./hnsw-thread-serve.ts');
