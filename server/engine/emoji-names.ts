/**
 * Emoji in a text query, spelled out as their names: "🐶" becomes "dog face", "👍🏽" becomes
 * "thumbs up: medium skin tone". The text featurizer keeps words and numbers only, so a query of
 * emoji alone had nothing to search with, while an emoji collection is exactly where people type
 * them. The names are the Unicode CLDR annotations that OpenMoji's data (an npm dependency, CC
 * BY-SA 4.0, credited with the demo) carries for every emoji it draws; the same words head the
 * demo's captions.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const VARIATION_SELECTOR = /\uFE0F/g;
// Pictographs, and what builds the other emoji: regional-indicator flags and keycaps (#️⃣).
const EMOJI_PART = /[\p{Extended_Pictographic}\p{Regional_Indicator}\u20E3]/u;
// Below U+2600 the pictographs are punctuation and symbols that text uses as they are (©, ™,
// ↔, ‼): those count as emoji only when asked to with U+FE0F, so "Acme™ logo" stays as typed.
const EMOJI_SEGMENT = /[\u{2600}-\u{10FFFF}\uFE0F\u20E3\p{Regional_Indicator}]/u;

let names: Map<string, string> | undefined;

/** Emoji sequence (variation selectors removed) -> its annotation, read once on first use. */
function emojiNames(): Map<string, string> {
  if (names) return names;
  const file = createRequire(import.meta.url).resolve('openmoji/data/openmoji.json');
  const rows = JSON.parse(readFileSync(file, 'utf8')) as { emoji: string; annotation: string }[];
  names = new Map(rows.filter((r) => r.emoji && r.annotation).map((r) => [r.emoji.replace(VARIATION_SELECTOR, ''), r.annotation]));
  return names;
}

/**
 * `text` with each emoji it holds replaced by its name; text without emoji comes back as it is
 * (the same string). An emoji OpenMoji does not name is left in place.
 *
 * @example spellOutEmoji('❤️ and 🐶') // 'red heart and dog face'
 */
export function spellOutEmoji(text: string): string {
  if (!EMOJI_PART.test(text)) return text;
  const known = emojiNames();
  let out = '';
  let spelled = false;
  // Grapheme clusters keep a ZWJ sequence, a flag or a skin-toned emoji whole.
  for (const { segment } of new Intl.Segmenter('en', { granularity: 'grapheme' }).segment(text)) {
    const name = EMOJI_PART.test(segment) && EMOJI_SEGMENT.test(segment) ? known.get(segment.replace(VARIATION_SELECTOR, '')) : undefined;
    if (name === undefined) {
      out += segment;
      continue;
    }
    // Spaces around a name keep it apart from the words or emoji it was written against.
    out += ` ${name} `;
    spelled = true;
  }
  return spelled ? out.replace(/\s+/g, ' ').trim() : text;
}
