// The public surface of models/: encoders, their identities, errors, the ONNX runtime wrapper,
// and small shared pieces (reading a user's input file, calls into a worker thread).
export * from './types.ts';
export * from './errors.ts';
export { createEncoder, describeEncoders } from './encoders/index.ts';
export { l2normalize, dot } from './vectors.ts';
export { readInputFile } from './input-file.ts';
export { WorkerRpc, serveRpc } from './worker-rpc.ts';
export type { EncoderSettings, EncoderDescription } from './encoders/index.ts';
export { OnnxSession, parseDevice, isDeviceSupported, devices } from './runtime/index.ts';
export type { Device } from './runtime/index.ts';
