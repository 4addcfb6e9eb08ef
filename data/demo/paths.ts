/** Ids and relative paths of demo files, in one place so manifests and renders agree. */
import type { EmojiEntry } from './openmoji.ts';

export const imageId = (hex: string): string => `om-${hex}`;
export const imagePath = (hex: string): string => `images/${hex}.png`;
/** Emoji with identical line art share one sketch file, named after the first of them. */
export const sketchPath = (e: Pick<EmojiEntry, 'sketchOwner'>): string => `sketches/${e.sketchOwner}.png`;

const soundName = (s: { preset: string; variant: number }): string => `${s.preset}-${String(s.variant).padStart(2, '0')}`;
export const soundId = (s: { preset: string; variant: number }): string => `sfx-${soundName(s)}`;
export const soundPath = (s: { preset: string; variant: number }): string => `sounds/${soundName(s)}.wav`;
