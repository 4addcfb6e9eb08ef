/**
 * Fixtures for the store's tests (here and under test/store*.test.ts): deterministic items
 * with real features, and a projector over them. Not exported from index.ts.
 */
import { createHash } from 'node:crypto';
import { mulberry32 } from '../../models/random.ts';
import { randomLinearProjector } from './random-projector.ts';
import type { ItemModality, NewItem, Projector, StoredFeature } from './types.ts';

export const IMAGE_ENCODER = 'clip-image@1#0123456789ab';
export const AUDIO_ENCODER = 'clap-audio@1#0123456789ab';
export const TEXT_ENCODER = 'bm25@1#0123456789ab';
export const SPACE_DIM = 16;

export function testProjector(version = 'space-1', dim = SPACE_DIM, encoders?: string[]): Projector {
  return randomLinearProjector({ version, dim, seed: 11, encoders });
}

export function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Deterministic values in [-1, 1) from a seed (mulberry32). */
export function values(seed: number, length: number): Float32Array {
  const uniform = mulberry32(seed);
  return Float32Array.from({ length }, () => uniform() * 2 - 1);
}

export function imageFeature(seed: number): StoredFeature {
  return { kind: 'dense', modality: 'image', encoder: IMAGE_ENCODER, dim: 32, vector: values(seed, 32) };
}

export function audioFeature(seed: number): StoredFeature {
  return { kind: 'dense', modality: 'audio', encoder: AUDIO_ENCODER, dim: 24, vector: values(seed, 24) };
}

export function textFeature(ids: number[]): StoredFeature {
  return {
    kind: 'sparse',
    modality: 'text',
    encoder: TEXT_ENCODER,
    dim: 1000,
    sparse: { ids: Uint32Array.from(ids), weights: Float32Array.from(ids, (_, i) => 1 / (i + 1)) },
  };
}

/** Item `n`: even n are images, odd n audio clips, each with one feature seeded by n. */
export function makeItem(n: number, overrides: Partial<NewItem> = {}): NewItem {
  const modality: ItemModality = n % 2 === 0 ? 'image' : 'audio';
  return {
    externalId: `${modality}/${n}`,
    modality,
    sourcePath: `/library/${modality}/${n}.${modality === 'image' ? 'jpg' : 'wav'}`,
    contentHash: sha(`content ${n}`),
    mime: modality === 'image' ? 'image/jpeg' : 'audio/wav',
    ...(modality === 'image' ? { width: 640, height: 480 } : { duration: 2.5 }),
    features: [modality === 'image' ? imageFeature(n) : audioFeature(n)],
    ...overrides,
  };
}
