// Pluggable external ONNX encoders (CLIP-, CLAP-class exports) described by *.encoder.json manifests.
export { loadExternalEncoders, loadExternalEncoder, describeExternalEncoders, findManifests, sha256File } from './load.ts';
export type { LoadOptions, ExternalEncoderDescription } from './load.ts';
export type { ExternalEncoder, ExternalMediaEncoder, ExternalTextEncoder } from './encoder.ts';
export { parseManifest, readManifest, manifestSchema, manifestSuffix } from './manifest.ts';
export type { ExternalManifest, ParsedManifest } from './manifest.ts';
export { knownKinds } from './registry.ts';
export { fitTokens } from './text.ts';
export { fitSamples } from './audio.ts';
export type { InputRole } from './pipeline.ts';
