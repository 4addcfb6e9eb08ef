import { describe, expect, it } from 'vitest';
import { isStopWord } from './stopwords.ts';
import { normalizeText, tokenize } from './tokenize.ts';

describe('normalizeText', () => {
  it('lowercases, applies NFKC and strips Latin accents', () => {
    expect(normalizeText('Café CRÈME Brûlée')).toBe('cafe creme brulee');
    expect(normalizeText('Ｄｏｇ ﬁsh')).toBe('dog fish'); // full-width letters, fi ligature
  });

  it('folds letters that have no decomposition (ß, æ, ø)', () => {
    expect(normalizeText('Straße Æsir Øresund')).toBe('strasse aesir oresund');
  });

  it('keeps the vowel signs of scripts where marks are letters (Devanagari)', () => {
    expect(normalizeText('नमस्ते')).toBe('नमस्ते'.normalize('NFC'));
  });
});

describe('tokenize', () => {
  it('splits words and drops punctuation', () => {
    expect(tokenize('A red sports car, parked on a street (at night)!')).toEqual([
      'a', 'red', 'sports', 'car', 'parked', 'on', 'a', 'street', 'at', 'night',
    ]);
  });

  it('drops possessive clitics, with ASCII or typographic apostrophes', () => {
    expect(tokenize("the dog's ball")).toEqual(['the', 'dog', 'ball']);
    expect(tokenize('the dog’s ball')).toEqual(['the', 'dog', 'ball']);
    expect(tokenize("the dogs' toys")).toEqual(['the', 'dogs', 'toys']);
  });

  it('splits contractions into their words', () => {
    expect(tokenize("don't")).toEqual(['do', 'not']);
    expect(tokenize("can't won't")).toEqual(['can', 'not', 'will', 'not']);
    expect(tokenize("they're here, we've won")).toEqual(['they', 'here', 'we', 'won']);
  });

  it("keeps apostrophes that belong to the word (o'clock)", () => {
    expect(tokenize("five o'clock")).toEqual(['five', "o'clock"]);
  });

  it('keeps hyphenated compounds whole, and treats dashes as separators', () => {
    expect(tokenize('a T-shirt and a well-known dog-friendly cafe')).toEqual([
      'a', 't-shirt', 'and', 'a', 'well-known', 'dog-friendly', 'cafe',
    ]);
    expect(tokenize('t\u2011shirt')).toEqual(['t-shirt']); // non-breaking hyphen
    expect(tokenize('red - blue -- green — grey')).toEqual(['red', 'blue', 'green', 'grey']);
  });

  it('splits numbers from letters and normalises thousands separators', () => {
    expect(tokenize('3.5 km')).toEqual(['3.5', 'km']);
    expect(tokenize('1,000 people')).toEqual(['1000', 'people']);
    expect(tokenize('an mp3 player')).toEqual(['an', 'mp', '3', 'player']);
    expect(tokenize('covid-19')).toEqual(['covid', '19']);
  });

  it('handles non-Latin scripts as words', () => {
    expect(tokenize('Кошка и собака')).toEqual(['кошка', 'и', 'собака']);
  });

  it('returns no tokens for punctuation, symbols or emoji alone', () => {
    expect(tokenize('... !!! ??? -- 🐶 $%&')).toEqual([]);
    expect(tokenize('   ')).toEqual([]);
  });
});

describe('stop words', () => {
  it('treats function words as stop words and content words (and "not") as not', () => {
    for (const w of ['the', 'a', 'of', 'is', 'on', 'and', 'they']) expect(isStopWord(w)).toBe(true);
    for (const w of ['dog', 'red', 'not', 'no', 'under', 'running']) expect(isStopWord(w)).toBe(false);
  });
});
