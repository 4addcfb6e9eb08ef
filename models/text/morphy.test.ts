import { beforeAll, describe, expect, it } from 'vitest';
import { lemmatize, morphy, type Lexicon, type Pos } from './morphy.ts';
import type { WordNet } from './wordnet.ts';
import { loadWordNet } from './wordnet-cache.ts';

let wn: WordNet;
beforeAll(async () => {
  wn = await loadWordNet(); // builds models/cache/wordnet-*.json on the first run (seconds)
});

describe('morphy on the real WordNet', () => {
  it.each([
    ['geese', 'n', 'goose'],
    ['mice', 'n', 'mouse'],
    ['children', 'n', 'child'],
    ['dogs', 'n', 'dog'],
    ['boxes', 'n', 'box'],
    ['churches', 'n', 'church'],
    ['ladies', 'n', 'lady'],
    ['wolves', 'n', 'wolf'],
    ['policemen', 'n', 'policeman'],
    ['giraffes', 'n', 'giraffe'],
    ['running', 'v', 'run'],
    ['ran', 'v', 'run'],
    ['parked', 'v', 'park'],
    ['carries', 'v', 'carry'],
    ['making', 'v', 'make'],
    ['better', 'a', 'good'],
    ['happier', 'a', 'happy'],
    ['biggest', 'a', 'big'],
  ] as const)('maps %s (%s) to %s', (form, pos, lemma) => {
    expect(morphy(form, pos, wn)[0]).toBe(lemma);
  });

  it('lists every base form an irregular form has, exception lists first', () => {
    expect(morphy('better', 'a', wn)).toEqual(['good', 'well', 'better']);
  });

  it('does not strip the s of a noun ending in ss', () => {
    expect(morphy('glass', 'n', wn)).toEqual(['glass']);
  });

  it('lemmatises inflected collocations on their last word', () => {
    expect(morphy('sports_cars', 'n', wn)).toEqual(['sports_car']);
    expect(morphy('t-shirts', 'n', wn)).toEqual(['t-shirt']);
  });

  it('returns nothing for a word WordNet does not know', () => {
    expect(morphy('elefant', 'n', wn)).toEqual([]);
    expect(lemmatize('zebraa', wn)).toEqual([]);
  });

  it('gives every part of speech, nouns first', () => {
    const c = lemmatize('running', wn);
    expect(c[0]).toEqual({ lemma: 'running', pos: 'n' });
    expect(c).toContainEqual({ lemma: 'run', pos: 'v' });
  });

  it('gives up quickly on absurdly long forms', () => {
    const t0 = performance.now();
    expect(lemmatize('es'.repeat(5000), wn)).toEqual([]);
    expect(lemmatize(`${'s'.repeat(70)}ing`, wn)).toEqual([]);
    expect(performance.now() - t0).toBeLessThan(500);
  });
});

describe('morphy rules on a toy lexicon', () => {
  const words: Record<Pos, string[]> = { n: ['box', 'knife', 'berry'], v: ['hope', 'hop', 'cry'], a: ['large'], r: [] };
  const toy: Lexicon = {
    has: (lemma, pos) => words[pos].includes(lemma),
    exceptions: (form, pos) => (pos === 'v' && form === 'went' ? ['go'] : undefined),
  };

  it('applies the detachment rules and checks candidates against the index', () => {
    expect(morphy('boxes', 'n', toy)).toEqual(['box']);
    expect(morphy('knives', 'n', toy)).toEqual([]); // "ves" -> "f" gives "knif": not a lemma
    expect(morphy('berries', 'n', toy)).toEqual(['berry']);
    expect(morphy('hoping', 'v', toy)).toEqual(['hope', 'hop']); // both "ing" rules hit the index
    expect(morphy('cried', 'v', toy)).toEqual([]); // no "ied" rule, as in WordNet; its verb.exc has it
    expect(morphy('larger', 'a', toy)).toEqual(['large']);
  });

  it('returns only exception-list forms that are in the index', () => {
    expect(morphy('went', 'v', toy)).toEqual([]); // "go" is not in the toy index
  });
});
