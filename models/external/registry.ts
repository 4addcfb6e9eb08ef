// Which preprocessing a manifest may ask for, keyed by `${modality}/${preprocess.kind}`.
// An unknown key is an error naming the known ones: never a silent fallback to some default.
import { RosettaError } from '../errors.ts';
import type { Modality } from '../types.ts';
import { logMelKind, waveformKind } from './audio.ts';
import { imageKind } from './image.ts';
import type { RecipeKind } from './pipeline.ts';
import { tokenizerKind } from './text.ts';

const kinds: Record<string, RecipeKind> = {
  'image/image': imageKind,
  'sketch/image': imageKind,
  'text/tokenizer': tokenizerKind,
  'audio/waveform': waveformKind,
  'audio/log-mel': logMelKind,
};

/** The recipe kinds a modality accepts, e.g. `knownKinds('audio')` -> ['waveform', 'log-mel']. */
export function knownKinds(modality: Modality): string[] {
  return Object.keys(kinds)
    .filter((key) => key.startsWith(`${modality}/`))
    .map((key) => key.slice(modality.length + 1));
}

/** The registry entry, or undefined; `recipeKind` throws instead. */
export function findRecipeKind(modality: Modality, kind: string): RecipeKind | undefined {
  return Object.hasOwn(kinds, `${modality}/${kind}`) ? kinds[`${modality}/${kind}`] : undefined;
}

export function recipeKind(modality: Modality, kind: string): RecipeKind {
  const found = findRecipeKind(modality, kind);
  if (!found) {
    throw new RosettaError(
      'MODEL_INVALID',
      `no ${modality} preprocessing of kind '${kind}' (known: ${knownKinds(modality).join(', ')})`,
    );
  }
  return found;
}
