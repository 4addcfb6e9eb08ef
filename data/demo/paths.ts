/** Ids and relative paths of demo files, in one place so manifests and renders agree. */
import type { EmojiEntry } from './openmoji.ts';

export const imageId = (hex: string): string => `om-${hex}`;
export const imagePath = (hex: string): string => `images/${hex}.png`;
/** Emoji with identical line art share one sketch file, named after the first of them. */
export const sketchPath = (e: Pick<EmojiEntry, 'sketchOwner'>): string => `sketches/${e.sketchOwner}.png`;

const soundName = (s: { preset: string; variant: number }): string => `${s.preset}-${String(s.variant).padStart(2, '0')}`;
export const soundId = (s: { preset: string; variant: number }): string => `sfx-${soundName(s)}`;
export const soundPath = (s: { preset: string; variant: number }): string => `sounds/${soundName(s)}.wav`;

/** Object sounds (object-sounds.ts) are named by their source, which no jsfxr preset shares. */
const objectSoundName = (s: { source: string; variant: number }): string => `${s.source}-${String(s.variant).padStart(2, '0')}`;
export const objectSoundId = (s: { source: string; variant: number }): string => `snd-${objectSoundName(s)}`;
export const objectSoundPath = (s: { source: string; variant: number }): string => `sounds/${objectSoundName(s)}.wav`;
