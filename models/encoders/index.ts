export { createEncoder, decodeSlotsFor, describeEncoders } from './registry.ts';
export type { EncoderSettings, EncoderDescription } from './registry.ts';
export { createCnnEncoder, defaultDecodeSlots, type CnnEncoderOptions } from './cnn.ts';
export type { CnnModel } from './cnn.ts';
