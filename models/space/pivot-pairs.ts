/**
 * Audio-image pairs found through the text pivot: no sound in a pair corpus is paired with an
 * image, but a sound's caption and an image's caption may name the same category ("clock" in
 * "fast clock ticking — clock, time" and "alarm clock — alarm, clock"). Each sound is paired
 * with the mean of the feature rows of every image whose caption shares one of its category
 * words (`categoryWords`, the rule the emergent evaluation judges relevance by): where the
 * images of its category lie for the image head, which Stage 2 then teaches the audio head.
 *
 * The mean, not each image: every sound of a category then has the same target, the centre of
 * its category rather than whichever images a draw gave it. On the development benchmark
 * (models/README.md, recipe v4) the mean of eight drawn images per sound did no better, and the
 * mean of all needs no count.
 */
import { categoryWords } from '../text/index.ts';
import type { PairCorpus } from './corpus.ts';

export interface PivotPairs {
  audio: Float32Array[];
  image: Float32Array[];
}

/**
 * Pairs for the sounds of `sounds`, with targets from the images of `images` (any number of
 * corpora, e.g. both sides of a split). A sound no image shares a word with gets no pair.
 *
 * @example pivotAudioImagePairs(train, [train]).audio.length // sounds with at least one image of their category
 */
export function pivotAudioImagePairs(sounds: PairCorpus, images: readonly PairCorpus[]): PivotPairs {
  const pool = images.flatMap((c) => {
    const rows = c.captioned.image;
    return rows ? rows.features.map((f, i) => ({ f, words: categoryWords(c.captions[rows.caption[i]].text) })) : [];
  });
  const out: PivotPairs = { audio: [], image: [] };
  const rows = sounds.captioned.audio;
  if (!rows || pool.length === 0) return out;
  // Sounds of one category share a caption's tags, so their target is computed once per word set.
  const targets = new Map<string, Float32Array | null>();
  rows.features.forEach((f, i) => {
    const words = categoryWords(sounds.captions[rows.caption[i]].text);
    const key = [...words].sort().join(' ');
    let target = targets.get(key);
    if (target === undefined) {
      target = meanOf(pool.filter((img) => [...img.words].some((w) => words.has(w))).map((img) => img.f));
      targets.set(key, target);
    }
    if (target) {
      out.audio.push(f);
      out.image.push(target);
    }
  });
  return out;
}

function meanOf(rows: readonly Float32Array[]): Float32Array | null {
  if (rows.length === 0) return null;
  const m = new Float32Array(rows[0].length);
  for (const r of rows) for (let j = 0; j < m.length; j++) m[j] += r[j] / rows.length;
  return m;
}
