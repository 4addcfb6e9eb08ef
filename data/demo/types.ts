/** The demo builder's options, manifest lines and summary. */

export type DemoSize = 'small' | 'full';
export type Split = 'train' | 'eval';

export interface DemoProgress {
  step: 'images' | 'sounds' | 'manifests';
  done: number;
  total: number;
}

export interface BuildDemoOptions {
  /** Output folder; created if missing. Must be empty or hold an earlier demo build. */
  dir: string;
  /** `small`: 150 images and 88 sounds, for tests. `full`: all 4,495 OpenMoji emoji and 660 sounds. */
  size: DemoSize;
  /** Drives the sound parameters, the eval split and the captionless share. Default 1. */
  seed?: number;
  onProgress?: (p: DemoProgress) => void;
  /** SVGs rendered at once; default: the core count clamped to 2..4. */
  concurrency?: number;
}

export interface ImageMeta {
  source: 'openmoji';
  hexcode: string;
  emoji: string;
  annotation: string;
  tags: string[];
  group: string;
  subgroup: string;
  /** The line-art rendering, relative to the demo dir; emoji whose line art is identical (skin tones, coloured hearts) share one file. */
  sketch: string;
  /** How many images in the build share this sketch (1 when it is the emoji's own). */
  sketchShared: number;
  /** The caption, also when the item is stored without one (for evaluation). */
  caption: string;
  captionless: boolean;
  family: string;
  skinTone?: string;
  skinToneBase?: string;
  gender?: 'woman' | 'man';
  genderBase?: string;
}

export type SoundMeta = JsfxrSoundMeta | ObjectSoundMeta;

/** A sound of a thing the emoji show, from object-sounds.ts. */
export interface ObjectSoundMeta {
  source: 'rosetta-synth';
  /** What makes it (OBJECT_SOURCES). */
  object: string;
  variant: number;
  caption: string;
  captionless: boolean;
  durationSec: number;
  sampleRate: number;
  descriptors: string[];
  /** The synthesiser's draws for this sound. */
  params: Record<string, number>;
}

export interface JsfxrSoundMeta {
  source: 'jsfxr';
  preset: string;
  variant: number;
  caption: string;
  captionless: boolean;
  durationSec: number;
  sampleRate: number;
  startHz: number;
  pitchChangeOctaves: number;
  wave: string;
  descriptors: string[];
  /** jsfxr parameters; `new SoundEffect(params)` renders the same sound again (with the same noise seed). */
  params: Record<string, number>;
}

/** One line of items.jsonl. */
export interface DemoItem {
  id: string;
  path: string;
  modality: 'image' | 'audio';
  /** Absent for the captionless share; `meta.caption` still holds it. */
  caption?: string;
  split: Split;
  meta: ImageMeta | SoundMeta;
}

/** One line of pairs.jsonl: a captioned file, or a sketch with its colour image (and that image's item id). */
export type PairLine =
  | { path: string; modality: 'image' | 'audio' | 'sketch'; caption: string }
  | { sketch: string; image: string; id: string };

/** One line of composed.jsonl: base image + modifier text should find `relevant`. */
export interface ComposedQuery {
  qid: string;
  image: string;
  base: string;
  text: string;
  kind: 'skin-tone' | 'gender';
  relevant: string[];
  split: Split;
}

export interface Credit {
  name: string;
  license: string;
  url: string;
  licenseUrl?: string;
  text: string;
}

export interface DemoCounts {
  images: number;
  sketches: number;
  sounds: number;
  captioned: { image: number; audio: number };
  captionless: { image: number; audio: number };
  eval: { image: number; audio: number };
  pairs: { caption: number; sketch: number };
  composed: { total: number; eval: number };
}

/** What buildDemoData returns; also written (without `dir` and `build`) to manifest.json. */
export interface DemoManifest {
  /** DEMO_VERSION of the builder that wrote it. */
  version: number;
  size: DemoSize;
  seed: number;
  imageSize: number;
  sampleRate: number;
  counts: DemoCounts;
  /** Paths relative to the demo dir. */
  manifests: { items: string; pairs: string; composed: string; credits: string; summary: string };
  credits: Credit[];
  dir: string;
  build: { ms: number; imagesRendered: number; imagesReused: number; failed: Array<{ id: string; reason: string }> };
}
