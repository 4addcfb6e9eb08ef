/**
 * Which emoji a build contains: all of them for `full`, a fixed sample for `small` that keeps
 * whole variant families (for composed queries) and spreads the rest over every subgroup.
 */
import type { EmojiEntry } from './openmoji.ts';

export const SMALL_IMAGE_COUNT = 150;
/** Families kept whole in the small build: skin tones only, and skin tones with woman/man forms. */
export const SMALL_FAMILIES = ['1F44B', '1F44D', '1F646', '1F9D1-200D-2695-FE0F'] as const;
/** Emoji the tests name. */
const SMALL_ANCHORS = ['1F600'];

/**
 * @example selectEmoji(entries, 'small').length // 150
 */
export function selectEmoji(entries: readonly EmojiEntry[], size: 'small' | 'full'): EmojiEntry[] {
  if (size === 'full') return [...entries];
  const families = new Set<string>(SMALL_FAMILIES);
  const chosen = new Set(entries.filter((e) => families.has(e.family) || SMALL_ANCHORS.includes(e.hexcode)).map((e) => e.hexcode));
  // Fill with emoji that have no variants, evenly spaced through the catalogue (which is in
  // group/subgroup order), so every group is represented.
  const familySize = new Map<string, number>();
  for (const e of entries) familySize.set(e.family, (familySize.get(e.family) ?? 0) + 1);
  const singles = entries.filter((e) => familySize.get(e.family) === 1 && e.group !== 'component' && !chosen.has(e.hexcode));
  const need = Math.max(0, SMALL_IMAGE_COUNT - chosen.size);
  for (let i = 0; i < need && i < singles.length; i++) chosen.add(singles[Math.floor((i * singles.length) / need)].hexcode);
  return entries.filter((e) => chosen.has(e.hexcode));
}
