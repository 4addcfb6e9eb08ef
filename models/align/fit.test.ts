import { describe, expect, it } from 'vitest';
import { isRosettaError } from '../errors.ts';
import type { SparseRow } from '../types.ts';
import { fitLinearSpace, type AlignmentCorpus } from './fit.ts';
import type { DenseModality, LinearSpace } from './space.ts';
import { cosine, rng } from './test-support.ts';

// A corpus of 12 concepts. Captions are sparse rows over a 4096-id space (10 of a concept's 20
// words, some filler words shared by all, a little noise); images (64-d, unit length), sketches
// (48-d) and audio descriptors (32-d, unnormalised: x50 + 10) are a per-concept prototype plus
// instance noise, each modality with its own prototypes. No image is ever paired with an audio
// clip: they meet only through the text.
const classes = 12;
const idSpace = 4096;
const next = rng(99);
const uniform = () => 0.5 + Math.atan(next()) / Math.PI;
const protos = {
  image: Array.from({ length: classes }, () => Float32Array.from({ length: 64 }, next)),
  sketch: Array.from({ length: classes }, () => Float32Array.from({ length: 48 }, next)),
  audio: Array.from({ length: classes }, () => Float32Array.from({ length: 32 }, next)),
};

function caption(c: number): SparseRow {
  const w = new Map<number, number>();
  for (let j = 0; j < 20; j++) if (uniform() < 0.5) w.set(c * 50 + j, 1 + uniform());
  for (let j = 0; j < 4; j++) w.set(3000 + Math.floor(uniform() * 30), 0.5);
  for (let j = 0; j < 3; j++) w.set(Math.floor(uniform() * idSpace), 0.3);
  const ids = Uint32Array.from([...w.keys()].sort((a, b) => a - b));
  const weights = Float32Array.from(ids, (id) => w.get(id)!);
  const norm = Math.hypot(...weights);
  return { ids, weights: weights.map((x) => x / norm) };
}

function features(m: DenseModality, c: number): Float32Array {
  const p = protos[m][c];
  const row = Float32Array.from(p, (v) => v + next());
  if (m === 'image') {
    const n = Math.hypot(...row);
    return row.map((v) => v / n);
  }
  return m === 'audio' ? row.map((v) => 50 * v + 10) : row;
}

const labels = (n: number) => Array.from({ length: n }, (_, i) => i % classes);

function pairs(m: DenseModality, n: number, captions: SparseRow[]) {
  const feats: Float32Array[] = [];
  const index: number[] = [];
  for (const c of labels(n)) {
    feats.push(features(m, c));
    index.push(captions.length);
    captions.push(caption(c));
  }
  return { features: feats, caption: index };
}

function corpus(withSketchCaptions: boolean): AlignmentCorpus {
  const captions: SparseRow[] = [];
  const c: AlignmentCorpus = {
    captions,
    pairs: { image: pairs('image', 720, captions), audio: pairs('audio', 144, captions) },
    sketchImage: {
      sketch: labels(360).map((k) => features('sketch', k)),
      image: labels(360).map((k) => features('image', k)),
    },
  };
  if (withSketchCaptions) c.pairs.sketch = pairs('sketch', 96, captions);
  return c;
}

/** Share of queries whose nearest candidate (cosine) has the query's concept. */
function accuracy(space: LinearSpace, query: (c: number) => Float32Array, candidates: Float32Array[]): number {
  const held = labels(120);
  let hits = 0;
  for (const c of held) {
    const q = query(c);
    let best = -1;
    let bestSim = -Infinity;
    candidates.forEach((v, j) => {
      const s = cosine(q, v);
      if (s > bestSim) [bestSim, best] = [s, j];
    });
    if (held[best] === c) hits++;
  }
  return hits / held.length;
}

describe('fitLinearSpace', () => {
  it('puts captions, images, sketches and audio of a concept together (held-out nearest-neighbour accuracy > 0.9)', async () => {
    const { space, report } = await fitLinearSpace(corpus(true), { dim: 16, text: { dim: 32, idSpace } });
    expect(report.pairs).toEqual({ image: 720, sketch: 96, audio: 144 });
    expect(report.sketchImagePairs).toBe(360);
    expect(report.sketchMap).toBe('cca+ridge');
    expect(space.dim).toBe(16);
    expect(space.modalities).toEqual(['image', 'sketch', 'audio', 'text']);

    const images = labels(120).map((c) => space.project('image', features('image', c)));
    const audio = labels(120).map((c) => space.project('audio', features('audio', c)));
    for (const v of images) expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    expect(accuracy(space, (c) => space.project('text', caption(c)), images)).toBeGreaterThan(0.9);
    expect(accuracy(space, (c) => space.project('sketch', features('sketch', c)), images)).toBeGreaterThan(0.9);
    // Never paired with each other: aligned only through the text pivot.
    expect(accuracy(space, (c) => space.project('audio', features('audio', c)), images)).toBeGreaterThan(0.9);
    expect(accuracy(space, (c) => space.project('image', features('image', c)), audio)).toBeGreaterThan(0.9);
  });

  it('maps sketches paired only with photos by the ridge map alone', async () => {
    const { space, report } = await fitLinearSpace(corpus(false), { dim: 16, text: { dim: 32, idSpace } });
    expect(report.sketchMap).toBe('ridge');
    expect(report.pairs.sketch).toBeUndefined();
    const images = labels(120).map((c) => space.project('image', features('image', c)));
    expect(accuracy(space, (c) => space.project('sketch', features('sketch', c)), images)).toBeGreaterThan(0.9);
  });

  it('rejects sketch-photo pairs without image-caption pairs with INVALID_ARGUMENT', async () => {
    const c = corpus(false);
    delete c.pairs.image;
    await expect(fitLinearSpace(c, { text: { idSpace } })).rejects.toSatisfy(
      (e) => isRosettaError(e, 'INVALID_ARGUMENT') && e.message.includes('corpus.pairs.image'),
    );
  });

  it('rejects a caption index out of range with INVALID_ARGUMENT naming it', async () => {
    const c = corpus(false);
    const audio = c.pairs.audio!;
    c.pairs.audio = { features: audio.features, caption: [...Array.from(audio.caption).slice(0, -1), 1e6] };
    await expect(fitLinearSpace(c, { text: { idSpace } })).rejects.toSatisfy(
      (e) => isRosettaError(e, 'INVALID_ARGUMENT') && e.message.includes('corpus.pairs.audio.caption[143]'),
    );
  });
});
