import { describe, expect, it } from 'vitest';
import { spellOutEmoji } from './emoji-names.ts';

describe('spellOutEmoji', () => {
  it.each([
    ['❤️', 'red heart'],
    ['❤', 'red heart'],
    ['🐶', 'dog face'],
    ['a 🐶dog', 'a dog face dog'],
    ['👍🏽', 'thumbs up: medium skin tone'],
    ['👩‍🚀', 'woman astronaut'],
    ['🇫🇷', 'flag: France'],
    ['#️⃣', 'keycap: #'],
    ['↔️', 'left-right arrow'],
    ['☀ and 🌙', 'sun and crescent moon'],
  ])('spells %s as %s', (text, spelled) => {
    expect(spellOutEmoji(text)).toBe(spelled);
  });

  it.each(['cat', 'Acme™ logo', '© 2026', '↔', '日本語 テキスト', 'naïve café', ''])('leaves %j as it is', (text) => {
    expect(spellOutEmoji(text)).toBe(text);
  });
});
