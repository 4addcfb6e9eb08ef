import { beforeAll, describe, expect, it } from 'vitest';
import { createTextEncoder, type LexicalTextEncoder } from '../models/text/index.ts';
import type { SparseRow } from '../models/types.ts';

// Captions and paraphrased queries that share few or no surface words with their caption:
// the featurizer has to bridge them through WordNet (synonyms, hypernyms, glosses),
// inflection and character n-grams.
const captions = [
  'a puppy playing on the grass',
  'a red sports car parked on a street at night',
  'a kitten sleeping on a sofa',
  'an elephant walking in the savanna',
  'a man riding a bicycle down the road',
  'a plate of pizza with cheese',
  'a sailboat on the ocean at sunset',
  'children playing football in a park',
];
const queries = [
  'dog on a lawn', // dog.n.01 is puppy's hypernym; lawn's gloss has "grass"
  'automobile on the road at night', // car.n.01's lemmas
  'cat on a couch', // kitten's gloss has "cat"; couch and sofa share sofa.n.01
  'elefant', // misspelt: character n-grams only
  'cyclist on a bike', // bike is a lemma of bicycle.n.01
  'pizzas', // plural
  'boat at sea during dusk', // boat and sailboat share vessel.n.02; sea's gloss has "ocean"
  'kids playing soccer', // kid is a lemma of child.n.01; soccer's hypernym is football.n.01
];

function cosine(a: SparseRow, b: SparseRow): number {
  const m = new Map<number, number>();
  a.ids.forEach((id, i) => m.set(id, a.weights[i]));
  let s = 0;
  b.ids.forEach((id, i) => (s += (m.get(id) ?? 0) * b.weights[i]));
  return s;
}

let enc: LexicalTextEncoder;
beforeAll(async () => {
  enc = createTextEncoder();
  await enc.ready();
});

describe('lexical text featurizer, end to end', () => {
  it('retrieves the right caption for every paraphrased query (recall@1 = 8/8)', async () => {
    const docs = await enc.encode(captions);
    const rows = await enc.encode(queries);
    const best = rows.map((q) => {
      const s = docs.map((d) => cosine(q, d));
      return s.indexOf(Math.max(...s));
    });
    expect(best.map((b) => captions[b])).toEqual(captions);
  });

  it('encodes a large batch in slices without changing the rows', async () => {
    const batch = Array.from({ length: 1000 }, (_, i) => `${captions[i % captions.length]} number ${i}`);
    const rows = await enc.encode(batch);
    expect(rows).toHaveLength(1000);
    const again = enc.featurize(batch[777]);
    expect(rows[777].ids).toEqual(again.ids);
    expect(rows[777].weights).toEqual(again.weights);
  });

  it('lets concurrent encodes share one WordNet load', async () => {
    const fresh = createTextEncoder();
    const [a, b] = await Promise.all([fresh.encode(['a dog']), fresh.encode(['a dog'])]);
    expect(a[0].ids).toEqual(b[0].ids);
  });
});
