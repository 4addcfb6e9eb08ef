// The unaligned baseline projector: queries meet the same random map as items of their encoder,
// items are placed by their own medium only, and sketches share the image map when one CNN
// makes both.
import { describe, expect, it } from 'vitest';
import type { StoredFeature } from '../../indexer/store/index.ts';
import { unalignedProjector } from './unaligned.ts';
import { cosine } from '../../indexer/vector/vector-index.case.ts';

const encoders = {
  image: { key: 'cnn@1', dim: 4 },
  sketch: { key: 'cnn+sketch@1', dim: 4 },
  audio: { key: 'audio@1', dim: 3 },
  text: { key: 'lexical@1', dim: 1000 },
};

const dense = (modality: StoredFeature['modality'], encoder: string, values: number[]): StoredFeature => ({
  kind: 'dense',
  modality,
  encoder,
  dim: values.length,
  vector: Float32Array.from(values),
});


describe('unalignedProjector', () => {
  const p = unalignedProjector({ dim: 16, encoders, seed: 3 });

  it('embeds an image query exactly where an item with the same features sits', () => {
    const item = p.project({ modality: 'image', features: [dense('image', 'cnn@1', [1, 2, 0, -1])] })!;
    const query = p.embedQuery('image', Float32Array.from([1, 2, 0, -1]));
    expect(item).toHaveLength(16);
    expect(cosine(item, query)).toBeCloseTo(1, 6);
  });

  it("places an item by its own medium: a caption's text feature does not move an image", () => {
    const image = dense('image', 'cnn@1', [0.5, 0, 1, 0]);
    const caption: StoredFeature = { kind: 'sparse', modality: 'text', encoder: 'lexical@1', dim: 1000, sparse: { ids: Uint32Array.of(7, 99), weights: Float32Array.of(0.6, 0.8) } };
    expect(p.project({ modality: 'image', features: [image, caption] })).toEqual(p.project({ modality: 'image', features: [image] }));
    expect(p.project({ modality: 'audio', features: [caption] })).toBeNull();
  });

  it('sends sketches through the image map when sketch and image features have one width', () => {
    const x = Float32Array.from([0, 1, 1, 0]);
    expect(cosine(p.embedQuery('sketch', x), p.embedQuery('image', x))).toBeCloseTo(1, 6);
    const narrow = unalignedProjector({ dim: 16, encoders: { ...encoders, sketch: { key: 'other@1', dim: 3 } } });
    expect(narrow.embedQuery('sketch', Float32Array.from([0, 1, 1]))).toHaveLength(16);
  });

  it('embeds sparse text rows, and refuses a modality it has no encoder for', () => {
    expect(p.embedQuery('text', { ids: Uint32Array.of(1, 2), weights: Float32Array.of(1, 1) })).toHaveLength(16);
    const imageOnly = unalignedProjector({ dim: 8, encoders: { image: encoders.image } });
    expect(imageOnly.modalities).toEqual(['image']);
    expect(() => imageOnly.embedQuery('audio', Float32Array.of(1, 2, 3))).toThrow(/no audio encoder/);
  });

  it('names its space by dimension and seed, apart from any trained space', () => {
    expect(p.version).toBe('unaligned-random-d16-s3');
    expect(p.dim).toBe(16);
  });
});
