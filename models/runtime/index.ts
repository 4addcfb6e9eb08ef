export { OnnxSession, isDeviceSupported, parseDevice, devices } from './onnx.ts';
export type { Device, InputShapes, SessionOptions, TensorSpec } from './onnx.ts';
