export { OnnxSession, isDeviceSupported, parseDevice, devices } from './onnx.ts';
export type { Device, SessionOptions, TensorSpec } from './onnx.ts';
