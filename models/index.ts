// The public surface of models/: encoders, their identities, errors and the ONNX runtime wrapper.
export * from './types.ts';
export * from './errors.ts';
export { createEncoder, describeEncoders } from './encoders/index.ts';
export { l2normalize, dot } from './vectors.ts';
export type { EncoderSettings, EncoderDescription } from './encoders/index.ts';
export { OnnxSession, parseDevice, isDeviceSupported, devices } from './runtime/index.ts';
export type { Device } from './runtime/index.ts';
