import { beforeAll, describe, expect, it } from 'vitest';
import type { SparseRow } from '../types.ts';
import { createTextEncoder, type LexicalTextEncoder } from './index.ts';

let enc: LexicalTextEncoder;
beforeAll(async () => {
  enc = createTextEncoder();
  await enc.ready(); // builds models/cache/wordnet-*.json on the first run (seconds)
});

function cosine(a: SparseRow, b: SparseRow): number {
  const m = new Map<number, number>();
  a.ids.forEach((id, i) => m.set(id, a.weights[i]));
  let s = 0;
  b.ids.forEach((id, i) => (s += (m.get(id) ?? 0) * b.weights[i]));
  return s;
}
const sim = (a: string, b: string): number => cosine(enc.featurize(a), enc.featurize(b));
const names = (text: string): Set<string> => new Set(enc.explain(text).map((f) => f.feature));

describe('WordNet expansion', () => {
  it('gives "puppy" the synset and hypernym ids of "dog", and a higher cosine to dog than to car', () => {
    const puppy = names('puppy');
    const dog = names('dog');
    for (const f of ['hyp:dog.n.01', 'hyp:canine.n.02', 'hyp:carnivore.n.01']) {
      expect(puppy.has(f)).toBe(true);
      expect(dog.has(f)).toBe(true);
    }
    expect(dog.has('synset:dog.n.01')).toBe(true);
    expect(sim('puppy', 'dog')).toBeGreaterThan(0.05);
    expect(sim('puppy', 'dog')).toBeGreaterThan(sim('puppy', 'car') + 0.05);
  });

  it('puts "kitten" closer to "cat" than to "truck" (through its gloss, "young domestic cat")', () => {
    expect(names('kitten').has('syn:cat')).toBe(true);
    expect(sim('kitten', 'cat')).toBeGreaterThan(sim('kitten', 'truck') + 0.01);
  });

  it('shares the synset of true synonyms ("car", "automobile"; "sofa", "couch")', () => {
    expect(names('automobile').has('synset:car.n.01')).toBe(true);
    expect(sim('car', 'automobile')).toBeGreaterThan(0.2);
    expect(sim('sofa', 'couch')).toBeGreaterThan(0.2);
    expect(sim('car', 'automobile')).toBeGreaterThan(sim('car', 'banana') + 0.2);
  });

  it('weights a hypernym less the further up it is', () => {
    const w = new Map(enc.explain('puppy').map((f) => [f.feature, f.weight]));
    expect(w.get('hyp:puppy.n.01')).toBeGreaterThan(w.get('hyp:dog.n.01') ?? 1);
    expect(w.get('hyp:dog.n.01')).toBeGreaterThan(w.get('hyp:canine.n.02') ?? 1);
    expect(w.get('hyp:canine.n.02')).toBeGreaterThan(w.get('hyp:carnivore.n.01') ?? 1);
    expect(w.has('hyp:placental.n.01')).toBe(false); // depth 4: beyond hypernymDepth 3
  });

  it('finds WordNet collocations spelled over several tokens ("hot dogs", "sports car")', () => {
    expect(names('two hot dogs').has('lemma:hot_dog')).toBe(true);
    expect(names('a red sports car').has('synset:sports_car.n.01')).toBe(true);
    expect(names('a red car').has('lemma:red_car')).toBe(false);
  });

  it('featurizes a hyphenated word as a whole and by its parts', () => {
    const f = names('t-shirt');
    expect(f.has('lemma:t-shirt')).toBe(true);
    expect(f.has('lemma:shirt')).toBe(true);
    expect(sim('t-shirt', 'shirt')).toBeGreaterThan(sim('t-shirt', 'car') + 0.1);
  });
});

describe('character n-grams and inflection', () => {
  it('puts the misspelt "elefant" closer to "elephant" than to "telephone" or unrelated words', () => {
    const e = sim('elefant', 'elephant');
    expect(e).toBeGreaterThan(sim('elefant', 'telephone'));
    expect(e).toBeGreaterThan(sim('elefant', 'car'));
    expect(e).toBeGreaterThan(sim('elefant', 'banana'));
    expect(e).toBeGreaterThan(0.02);
  });

  it('puts "zebraa" near "zebra" and "giraffes" on giraffe', () => {
    expect(sim('zebraa', 'zebra')).toBeGreaterThan(sim('zebraa', 'horse') + 0.05);
    expect(sim('giraffes', 'giraffe')).toBeGreaterThan(0.6);
  });

  it('maps plural and inflected forms to the same lemma features', () => {
    for (const [a, b, lemma] of [
      ['geese', 'goose', 'lemma:goose'],
      ['children', 'child', 'lemma:child'],
      ['running', 'run', 'lemma:run'],
      ['mice', 'mouse', 'synset:mouse.n.01'],
    ]) {
      expect(names(a).has(lemma)).toBe(true);
      expect(names(b).has(lemma)).toBe(true);
    }
    expect(sim('dogs running on a beach', 'a dog runs on the beach')).toBeGreaterThan(0.5);
  });

  it('adds lemma bigrams in text order', () => {
    expect(names('a red car').has('bigram:red_car')).toBe(true);
    expect(names('a car, red').has('bigram:red_car')).toBe(false);
    expect(names('red cars').has('bigram:red_car')).toBe(true);
  });
});

describe('rows', () => {
  const caption = 'A red sports car parked on a street at night';

  it('are deterministic: same text, same row, in this and in a fresh encoder', () => {
    const a = enc.featurize(caption);
    const b = enc.featurize(caption);
    const c = createTextEncoder().featurize(caption);
    for (const r of [b, c]) {
      expect(r.ids).toEqual(a.ids);
      expect(r.weights).toEqual(a.weights);
    }
  });

  it('are L2-normalised, with ascending unique ids below dim', () => {
    for (const text of [caption, 'puppy', 'the', '42', 'Zürich café']) {
      const r = enc.featurize(text);
      expect(r.ids.length).toBe(r.weights.length);
      expect(r.ids.length).toBeGreaterThan(0);
      let norm = 0;
      r.weights.forEach((w) => (norm += w * w));
      expect(Math.sqrt(norm)).toBeCloseTo(1, 5);
      for (let i = 0; i < r.ids.length; i++) {
        expect(r.ids[i]).toBeLessThan(enc.dim);
        expect(r.weights[i]).toBeGreaterThan(0);
        if (i > 0) expect(r.ids[i]).toBeGreaterThan(r.ids[i - 1]);
      }
    }
  });

  it('agree with explain(): its weights summed per id are the row', () => {
    const row = enc.featurize(caption);
    const byId = new Map<number, number>();
    for (const f of enc.explain(caption)) byId.set(f.id, (byId.get(f.id) ?? 0) + f.weight);
    expect([...byId.keys()].sort((a, b) => a - b)).toEqual([...row.ids]);
    row.ids.forEach((id, i) => expect(byId.get(id)).toBeCloseTo(row.weights[i], 5));
  });

  it('match between encode() and featurize()', async () => {
    const texts = [caption, 'a puppy on the grass', 'kitten'];
    const rows = await enc.encode(texts);
    rows.forEach((r, i) => {
      const f = enc.featurize(texts[i]);
      expect(r.ids).toEqual(f.ids);
      expect(r.weights).toEqual(f.weights);
    });
  });

  it('stay inside a smaller id space when dim is set', () => {
    const small = createTextEncoder({ dim: 1024 });
    expect(small.dim).toBe(1024);
    const r = small.featurize(caption);
    expect(Math.max(...r.ids)).toBeLessThan(1024);
  });

  it('are the same kind of row in an id space too large for the dense sum (Map path)', () => {
    const big = createTextEncoder({ dim: 2 ** 22 + 1 });
    const r = big.featurize(caption);
    expect(Math.max(...r.ids)).toBeLessThan(2 ** 22 + 1);
    let norm = 0;
    r.weights.forEach((w) => (norm += w * w));
    expect(Math.sqrt(norm)).toBeCloseTo(1, 5);
    const byId = new Map<number, number>();
    for (const f of big.explain(caption)) byId.set(f.id, (byId.get(f.id) ?? 0) + f.weight);
    expect([...byId.keys()].sort((a, b) => a - b)).toEqual([...r.ids]);
  });

  it('are not empty for a text of stop words only: they are kept as words', () => {
    const r = enc.featurize('to be or not to be');
    expect(r.ids.length).toBeGreaterThan(0);
    expect(names('the').has('word:the')).toBe(true);
    expect(names('of the').has('char:<the>')).toBe(true);
  });

  it('ignore stop words when there are content words', () => {
    expect(names('the dog').has('word:the')).toBe(false);
    expect(sim('the dog on the mat', 'dog mat')).toBeCloseTo(1, 5);
  });
});
