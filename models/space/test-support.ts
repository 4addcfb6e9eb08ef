// Synthetic corpora with planted structure for the space tests. Test-only: index.ts does not export it.
import type { SparseRow } from '../types.ts';
import type { CaptionRow, PairCorpus } from './corpus.ts';
import { gaussianFill } from './random.ts';

export interface SyntheticOptions {
  images?: number;
  sounds?: number;
  inDim?: number;
  audioDim?: number;
  latent?: number;
  seed?: number;
  noise?: number;
}

export const syntheticEncoders = {
  image: { key: 'synthetic-image@1#000000000001', dim: 24 },
  sketch: { key: 'synthetic-image+sketch@1#000000000001', dim: 24 },
  audio: { key: 'synthetic-audio@1#000000000002', dim: 16 },
  text: { key: 'synthetic-text@1#000000000003', dim: 2 ** 18 },
};

/**
 * Each item has a latent vector z; its image, sketch and audio features are fixed random linear
 * maps of z plus noise, and its caption names a word for each latent dim (the dim's sign and
 * size, bucketed) plus two noise words. Retrieval is learnable and not trivial.
 *
 * @example syntheticCorpus({ images: 200, sounds: 60 }).captioned.image.features.length // 200
 */
export function syntheticCorpus(o: SyntheticOptions = {}): PairCorpus {
  const { images = 200, sounds = 60, inDim = 24, audioDim = 16, latent = 6, seed = 1, noise = 0.4 } = o;
  const maps = {
    image: gaussianFill(latent * inDim, seed * 101 + 1),
    sketch: gaussianFill(latent * inDim, seed * 101 + 2),
    audio: gaussianFill(latent * audioDim, seed * 101 + 3),
  };
  let s = seed * 977;
  const observe = (z: Float32Array, w: Float32Array, dim: number) => {
    const eps = gaussianFill(dim, ++s);
    return Float32Array.from({ length: dim }, (_, j) => {
      let v = noise * eps[j];
      for (let k = 0; k < latent; k++) v += z[k] * w[k * dim + j];
      return v;
    });
  };
  const captions: CaptionRow[] = [];
  const caption = (z: Float32Array, domain: number): number => {
    const ids: number[] = [];
    const words: string[] = [];
    for (let k = 0; k < latent; k++) {
      const bucket = Math.max(0, Math.min(5, Math.floor((z[k] + 1.5) * 2)));
      ids.push(1000 + k * 16 + bucket);
      words.push(`w${k}_${bucket}`);
    }
    const extra = gaussianFill(2, ++s);
    for (const e of extra) ids.push(5000 + domain * 500 + (Math.floor(Math.abs(e) * 997) % 400));
    ids.push(9000 + domain);
    const sorted = [...new Set(ids)].sort((a, b) => a - b);
    const w = 1 / Math.sqrt(sorted.length);
    const row: SparseRow = { ids: Uint32Array.from(sorted), weights: new Float32Array(sorted.length).fill(w) };
    captions.push({ text: `${domain === 0 ? 'picture' : 'sound'} ${words.join(' ')} #${captions.length}`, row });
    return captions.length - 1;
  };
  const corpus: PairCorpus = {
    encoders: { image: syntheticEncoders.image, sketch: syntheticEncoders.sketch, audio: syntheticEncoders.audio, text: syntheticEncoders.text },
    captions,
    captioned: { image: { features: [], caption: [], source: [] }, audio: { features: [], caption: [], source: [] } },
    sketchImage: { sketch: [], image: [], sketchSource: [], imageSource: [] },
  };
  for (let i = 0; i < images; i++) {
    const z = gaussianFill(latent, seed * 7919 + i);
    const image = observe(z, maps.image, inDim);
    corpus.captioned.image!.features.push(image);
    corpus.captioned.image!.caption.push(caption(z, 0));
    corpus.captioned.image!.source.push(`images/${i}.png`);
    if (i % 2 === 0) {
      corpus.sketchImage!.sketch.push(observe(z, maps.sketch, inDim));
      corpus.sketchImage!.image.push(image);
      corpus.sketchImage!.sketchSource.push(`sketches/${i}.png`);
      corpus.sketchImage!.imageSource.push(`images/${i}.png`);
    }
  }
  for (let i = 0; i < sounds; i++) {
    const z = gaussianFill(latent, seed * 104729 + i);
    corpus.captioned.audio!.features.push(observe(z, maps.audio, audioDim));
    corpus.captioned.audio!.caption.push(caption(z, 1));
    corpus.captioned.audio!.source.push(`sounds/${i}.wav`);
  }
  return corpus;
}
