// The caption reader's thread (caption-reader.ts): registers tsx, then runs the TypeScript
// module that serves the calls, so the thread runs the store's own query code.
import { register } from 'tsx/esm/api';

register();
await import('./caption-reader-thread.ts');
