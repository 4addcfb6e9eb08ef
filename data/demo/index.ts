/** The demo collection builder: OpenMoji images and sketches, jsfxr sounds, JSONL manifests. */
export { buildDemoData, DEMO_VERSION, hasCurrentBuild } from './build.ts';
export { OBJECT_SOURCE_NAMES, OBJECT_SOURCES, synthesizeObjectSound, type ObjectSound, type ObjectSourceName } from './object-sounds.ts';
export { pcm16Wav } from './wav.ts';
export { DEMO_CREDITS, creditsMarkdown } from './credits.ts';
export { emojiCaption, loadOpenMoji, type EmojiEntry, type OpenMojiCatalogue } from './openmoji.ts';
export { IMAGE_SIZE } from './rasterize.ts';
export { SMALL_FAMILIES, SMALL_IMAGE_COUNT } from './select.ts';
export { describeSound, PRESETS, type PresetName, type SoundDescription } from './sound-caption.ts';
export { PRESET_NAMES, SAMPLE_RATE, synthesizeSound } from './sounds.ts';
export { CAPTIONLESS_FRACTION, EVAL_FRACTION, OBJECT_EVAL_FRACTION, captionlessSet, familySplits, heldOutSet, splitOf } from './split.ts';
export { STATE_FILE } from './state.ts';
export type {
  BuildDemoOptions,
  ComposedQuery,
  Credit,
  DemoCounts,
  DemoItem,
  DemoManifest,
  DemoProgress,
  DemoSize,
  ImageMeta,
  JsfxrSoundMeta,
  ObjectSoundMeta,
  PairLine,
  SoundMeta,
  Split,
} from './types.ts';
