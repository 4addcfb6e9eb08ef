// Every WorkerRpc thread starts here (models/worker-rpc.ts): plain JS that registers tsx, then
// imports the TypeScript module the caller named, so the thread runs our own code.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.module);
