/**
 * The training corpus of a space: encoded captions, feature rows paired with them, and
 * sketch-photo pairs, with where each row came from (so a split keeps a file's pairs together).
 */
import type { Modality, SparseRow } from '../types.ts';

export type DenseModality = 'image' | 'sketch' | 'audio';
export const denseModalities: readonly DenseModality[] = ['image', 'sketch', 'audio'];

/** The pair sets Stage 2 trains on, by name: `<a>-<b>`, a always dense. */
export type PairSetName = 'image-text' | 'sketch-text' | 'audio-text' | 'sketch-image';
export const pairSetNames: readonly PairSetName[] = ['image-text', 'sketch-text', 'audio-text', 'sketch-image'];

export interface CaptionRow {
  text: string;
  row: SparseRow;
}

/** features[i] is paired with captions[caption[i]]; source[i] names its file or item. */
export interface CaptionedRows {
  features: Float32Array[];
  caption: number[];
  source: string[];
}

export interface SketchImageRows {
  sketch: Float32Array[];
  image: Float32Array[];
  sketchSource: string[];
  imageSource: string[];
  /**
   * variants[i]: feature rows of drawn variants of sketch i (models/sketch/variants.ts), which
   * Stage 2 pairs with image i too. Stage 1 and validation use the drawings as they are.
   */
  variants?: Float32Array[][];
}

/** Which encoder made a modality's rows: `identityKey(encoder.identity)` and its dim. */
export interface EncoderInfo {
  key: string;
  dim: number;
}

export interface PairCorpus {
  encoders: Partial<Record<Modality, EncoderInfo>>;
  captions: CaptionRow[];
  captioned: Partial<Record<DenseModality, CaptionedRows>>;
  sketchImage?: SketchImageRows;
}

/** How many pairs each set has (absent sets are 0). */
export function pairCounts(corpus: PairCorpus): Record<PairSetName, number> {
  return {
    'image-text': corpus.captioned.image?.features.length ?? 0,
    'sketch-text': corpus.captioned.sketch?.features.length ?? 0,
    'audio-text': corpus.captioned.audio?.features.length ?? 0,
    'sketch-image': corpus.sketchImage?.sketch.length ?? 0,
  };
}

/**
 * The pairs as links between named things (a file or item, and a caption's text). Pairs that
 * share anything are one group: the validation split and subsets take or leave whole groups.
 */
export function pairLinks(corpus: PairCorpus): { set: PairSetName; index: number; keys: [string, string] }[] {
  const out: { set: PairSetName; index: number; keys: [string, string] }[] = [];
  for (const m of ['image', 'sketch', 'audio'] as const) {
    const rows = corpus.captioned[m];
    rows?.source.forEach((src, i) => out.push({ set: `${m}-text`, index: i, keys: [src, `caption:${corpus.captions[rows.caption[i]].text}`] }));
  }
  corpus.sketchImage?.sketchSource.forEach((src, i) => out.push({ set: 'sketch-image', index: i, keys: [src, corpus.sketchImage!.imageSource[i]] }));
  return out;
}

/**
 * The sub-corpus of the chosen pairs, with captions renumbered to those still used.
 *
 * @example selectPairs(corpus, { 'image-text': [0, 2] }) // one set, two pairs, their captions
 */
export function selectPairs(corpus: PairCorpus, keep: Partial<Record<PairSetName, readonly number[]>>): PairCorpus {
  const captions: CaptionRow[] = [];
  const renumber = new Map<number, number>();
  const captionOf = (c: number): number => {
    let n = renumber.get(c);
    if (n === undefined) {
      n = captions.length;
      captions.push(corpus.captions[c]);
      renumber.set(c, n);
    }
    return n;
  };
  const captioned: PairCorpus['captioned'] = {};
  for (const m of ['image', 'sketch', 'audio'] as const) {
    const rows = corpus.captioned[m];
    const idx = keep[`${m}-text`];
    if (!rows || !idx || idx.length === 0) continue;
    captioned[m] = {
      features: idx.map((i) => rows.features[i]),
      caption: idx.map((i) => captionOf(rows.caption[i])),
      source: idx.map((i) => rows.source[i]),
    };
  }
  const si = corpus.sketchImage;
  const idx = keep['sketch-image'];
  return {
    encoders: corpus.encoders,
    captions,
    captioned,
    ...(si && idx && idx.length > 0
      ? {
          sketchImage: {
            sketch: idx.map((i) => si.sketch[i]),
            image: idx.map((i) => si.image[i]),
            sketchSource: idx.map((i) => si.sketchSource[i]),
            imageSource: idx.map((i) => si.imageSource[i]),
            ...(si.variants ? { variants: idx.map((i) => si.variants![i]) } : {}),
          },
        }
      : {}),
  };
}
