// The public surface of models/audio/: decoding, the log-mel spectrogram, the descriptor and
// the encoder built on them.
export { sniffAudioType } from './sniff.ts';
export type { AudioType } from './sniff.ts';
export { decodeAudio, decodeDefaults } from './decode.ts';
export type { DecodedAudio, DecodeOptions } from './decode.ts';
export { resample } from './resample.ts';
export { logMelSpectrogram, hzToMel, melToHz } from './mel.ts';
export type { MelOptions, LogMel } from './mel.ts';
export { audioDescriptor, AUDIO_DESCRIPTOR_DIM, audioDescriptorParams, descriptorWindows } from './descriptor.ts';
export { createAudioEncoder } from './encoder.ts';
export type { AudioEncoderOptions } from './encoder.ts';
export { closeDecoderPool } from './pool.ts';
