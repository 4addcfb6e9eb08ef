import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { emojiCaption, loadOpenMoji, skinToneText } from './openmoji.ts';
import { SMALL_FAMILIES, SMALL_IMAGE_COUNT, selectEmoji } from './select.ts';

const catalogue = loadOpenMoji();
const get = (hex: string) => {
  const e = catalogue.byHex.get(hex);
  if (!e) throw new Error(`${hex} missing from the catalogue`);
  return e;
};

describe('loadOpenMoji', () => {
  it('keeps the emoji that have both SVGs, with their files', () => {
    expect(catalogue.entries.length).toBeGreaterThan(4000);
    for (const e of catalogue.entries.filter((_, i) => i % 500 === 0)) {
      expect(existsSync(e.colourSvg)).toBe(true);
      expect(existsSync(e.blackSvg)).toBe(true);
    }
  });

  it('captions 1F600 as "grinning face" with tags not already in the annotation', () => {
    const caption = emojiCaption(get('1F600'));
    expect(caption.startsWith('grinning face — ')).toBe(true);
    expect(caption).toContain('smile');
    expect(caption).toContain('happy');
    expect(get('1F600').tags).not.toContain('face');
    expect(get('1F600').tags.length).toBeLessThanOrEqual(6);
  });

  it('links a skin-tone variant to its base and borrows the base tags', () => {
    const e = get('1F44B-1F3FF');
    expect(e).toMatchObject({ annotation: 'waving hand: dark skin tone', skinTone: 'dark skin tone', skinToneBase: '1F44B', family: '1F44B' });
    expect(e.tags).toEqual(get('1F44B').tags);
  });

  it('links ZWJ gender variants (2640/2642) to the neutral form', () => {
    expect(get('1F646-200D-2640-FE0F')).toMatchObject({ annotation: 'woman gesturing OK', gender: 'woman', genderBase: '1F646', family: '1F646' });
    expect(get('1F646-1F3FF-200D-2642-FE0F')).toMatchObject({ gender: 'man', genderBase: '1F646-1F3FF', skinToneBase: '1F646-200D-2642-FE0F', family: '1F646' });
  });

  it('links 1F468/1F469 profession sequences to the 1F9D1 form', () => {
    expect(get('1F469-200D-2695-FE0F')).toMatchObject({ annotation: 'woman health worker', gender: 'woman', genderBase: '1F9D1-200D-2695-FE0F' });
  });

  it('points emoji with identical line art at one sketch owner', () => {
    expect(get('1F44B-1F3FF').sketchOwner).toBe('1F44B');
    expect(get('1F44B').sketchOwner).toBe('1F44B');
    const hearts = ['2764', '1F9E1', '1F49C', '1F90E'].map((h) => get(h).sketchOwner);
    expect(new Set(hearts).size).toBe(1);
    expect(get('1F600').sketchOwner).toBe('1F600');
  });

  it('names one or two skin tones', () => {
    expect(skinToneText(5)).toBe('dark skin tone');
    expect(skinToneText('1,4')).toBe('light skin tone, medium-dark skin tone');
    expect(skinToneText('')).toBeUndefined();
  });
});

describe('selectEmoji', () => {
  it('keeps every emoji for full', () => {
    expect(selectEmoji(catalogue.entries, 'full')).toHaveLength(catalogue.entries.length);
  });

  it('picks a fixed small set with whole variant families and many subgroups', () => {
    const small = selectEmoji(catalogue.entries, 'small');
    expect(small).toHaveLength(SMALL_IMAGE_COUNT);
    expect(selectEmoji(catalogue.entries, 'small').map((e) => e.hexcode)).toEqual(small.map((e) => e.hexcode));
    const hexes = new Set(small.map((e) => e.hexcode));
    expect(hexes.has('1F600')).toBe(true);
    for (const family of SMALL_FAMILIES) {
      const members = catalogue.entries.filter((e) => e.family === family);
      expect(members.length).toBeGreaterThanOrEqual(6);
      for (const m of members) expect(hexes.has(m.hexcode)).toBe(true);
    }
    expect(small.some((e) => e.gender)).toBe(true);
    expect(new Set(small.map((e) => e.subgroup)).size).toBeGreaterThanOrEqual(30);
  });
});
