import { existsSync } from 'node:fs';
import { RosettaError } from '../errors.ts';
import type { Device } from '../runtime/index.ts';
import type { Encoder, Modality } from '../types.ts';
import { ensureImageBackbone, locateBackbone, imageToPixels } from '../image/index.ts';
import { sketchToPixels } from '../sketch/index.ts';
import { createTextEncoder } from '../text/index.ts';
import { createAudioEncoder } from '../audio/index.ts';
import { describeExternalEncoders, loadExternalEncoder } from '../external/index.ts';
import { createCnnEncoder, defaultDecodeSlots } from './cnn.ts';

export interface EncoderSettings {
  cacheDir: string;
  modelsDir: string;
  device: string;
  /** modality -> external encoder name; a modality not named uses its built-in encoder. */
  encoders: Record<string, string>;
}

export interface EncoderDescription {
  /** null for an external manifest too broken to say which modality it serves. */
  modality: Modality | null;
  name: string;
  source: 'built-in' | 'external';
  files: string[];
  ready: boolean;
  reason?: string;
  /** Whether the settings pick this encoder for its modality. */
  selected: boolean;
}

/**
 * The encoder the settings choose for a modality, loaded and ready to encode.
 *
 * @example
 * const text = await createEncoder('text', config); // built-in lexical featurizer, sparse rows
 */
export async function createEncoder(modality: Modality, settings: EncoderSettings): Promise<Encoder> {
  const device = settings.device as Device;
  const external = settings.encoders[modality];
  if (external) return loadExternalEncoder(settings.modelsDir, external, { device, modality });
  switch (modality) {
    case 'image':
    case 'sketch': {
      const backbone = await ensureImageBackbone({ cacheDir: settings.cacheDir });
      if (modality === 'image') return createCnnEncoder('image', backbone, imageToPixels, { device, decodeSlots: decodeSlotsFor('image') });
      // The sketch encoder shares the image CNN (sketches are matched against images) but its
      // preprocessing differs, so its features carry their own identity.
      return createCnnEncoder('sketch', backbone, sketchToPixels, {
        device,
        identity: { ...backbone.identity, name: `${backbone.identity.name}+sketch` },
        decodeSlots: decodeSlotsFor('sketch'),
      });
    }
    case 'text':
      return createTextEncoder();
    case 'audio':
      return createAudioEncoder();
    default:
      throw new RosettaError('INVALID_ARGUMENT', `unknown modality '${String(modality)}'`);
  }
}

/**
 * How many files the built-in CNN encoders prepare at once. Images: the cores the network
 * leaves free, since sharp's decode threads otherwise take CPU from it. Sketches: no limit,
 * since most of their preparation (normalizeSketch) is JavaScript on the main thread, which
 * cannot take the network's core, while their sharp steps overlap; one at a time made them
 * 27 sketches/s end to end against 36 with no limit (same run, bare network 127/s).
 */
export function decodeSlotsFor(modality: 'image' | 'sketch'): number {
  return modality === 'image' ? defaultDecodeSlots() : Number.POSITIVE_INFINITY;
}

/** Every encoder Rosetta knows of, built-in and external, with whether its files are ready. */
export async function describeEncoders(settings: EncoderSettings): Promise<EncoderDescription[]> {
  const backbone = await locateBackbone({ cacheDir: settings.cacheDir });
  const builtIn: EncoderDescription[] = [
    ...(['image', 'sketch'] as const).map((modality) => ({
      modality,
      name: modality === 'image' ? backbone.name : `${backbone.name}+sketch`,
      source: 'built-in' as const,
      files: [backbone.modelPath],
      ready: existsSync(backbone.modelPath),
      ...(existsSync(backbone.modelPath) ? {} : { reason: 'converted on first use from the nsfwjs package' }),
      selected: !settings.encoders[modality],
    })),
    { modality: 'text', name: 'lexical-text', source: 'built-in', files: [], ready: true, selected: !settings.encoders.text },
    { modality: 'audio', name: 'audio-descriptor', source: 'built-in', files: [], ready: true, selected: !settings.encoders.audio },
  ];
  const external = (await describeExternalEncoders(settings.modelsDir)).map((e) => ({
    ...e,
    source: 'external' as const,
    selected: e.modality !== null && settings.encoders[e.modality] === e.name,
  }));
  for (const [modality, name] of Object.entries(settings.encoders)) {
    if (!external.some((e) => e.modality === modality && e.name === name)) {
      throw new RosettaError('MODEL_NOT_READY', `no external ${modality} encoder named '${name}' in ${settings.modelsDir}`);
    }
  }
  return [...builtIn, ...external];
}
