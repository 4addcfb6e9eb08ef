/**
 * The features of one word: its surface form, base forms, WordNet senses (synset ids,
 * synonyms, gloss words, hypernyms) and character n-grams. Features are named
 * "namespace:value" here and hashed to ids later, so `explain` can show them.
 */
import { lemmatize } from './morphy.ts';
import type { Namespace } from './hash.ts';
import type { TextFeaturizerParams } from './params.ts';
import { isStopWord } from './stopwords.ts';
import { isNumberToken } from './tokenize.ts';
import type { WordNet } from './wordnet.ts';

/** "namespace:value" -> weight. */
export type FeatureBag = Map<string, number>;

/** Keeps the larger weight: one word reaches a synset along several paths or senses, and
 * that should not count more than the best of them. */
function keepMax(bag: FeatureBag, ns: Namespace, value: string, w: number): void {
  const key = `${ns}:${value}`;
  const old = bag.get(key);
  if (old === undefined || w > old) bag.set(key, w);
}

/** Gloss words below idf 3 ("use", "one", "state") say nothing; from idf 8 up, full weight. */
function idfFactor(idf: number): number {
  return Math.min(1, Math.max(0, (idf - 3) / 5));
}

/**
 * Features of one sense: its synset id, its lemmas and gloss words (`syn:`), and its
 * hypernyms up to `hypernymDepth` (`hyp:`, depth 0 being the synset itself), all scaled by `ws`.
 */
export function expandSense(wn: WordNet, synset: number, ws: number, p: TextFeaturizerParams, bag: FeatureBag): void {
  const w = p.weights;
  keepMax(bag, 'synset', wn.name(synset), w.synset * ws);
  for (const l of wn.lemmas(synset)) keepMax(bag, 'syn', l, w.synonym * ws);
  for (const g of wn.gloss(synset)) {
    const f = idfFactor(g.idf);
    if (f > 0) keepMax(bag, 'syn', g.word, w.gloss * ws * f);
  }
  // Breadth first, so each ancestor is weighted by its shortest distance.
  const seen = new Set<number>([synset]);
  let level = [synset];
  for (let d = 0; d <= p.hypernymDepth && level.length > 0; d++) {
    const hw = w.synset * ws * w.hypernymDecay ** d;
    const next: number[] = [];
    for (const s of level) {
      keepMax(bag, 'hyp', wn.name(s), hw);
      for (const h of wn.hypernyms(s)) {
        if (!seen.has(h)) {
          seen.add(h);
          next.push(h);
        }
      }
    }
    level = next;
  }
}

/**
 * Lemma and sense features of `form` (a word or a "_"-joined collocation), scaled by `scale`.
 * Returns the first base form, or `form` itself when WordNet does not know it.
 */
export function expandLemmas(wn: WordNet, form: string, scale: number, p: TextFeaturizerParams, bag: FeatureBag): string {
  const w = p.weights;
  const candidates = lemmatize(form, wn);
  if (candidates.length === 0) {
    keepMax(bag, 'lemma', form, w.lemma * scale);
    return form;
  }
  const first = candidates[0].lemma;
  for (const { lemma, pos } of candidates) {
    keepMax(bag, 'lemma', lemma, (lemma === first ? w.lemma : w.altLemma) * scale);
    const senses = wn.senses(lemma, pos);
    const n = Math.min(senses.length, p.senses[pos]);
    for (let r = 0; r < n; r++) expandSense(wn, senses[r], scale * w.pos[pos] * w.senseDecay ** r, p, bag);
  }
  return first;
}

/**
 * Character n-grams of `<token>` (fastText's boundary markers), lengths lo..hi.
 *
 * @example charNgrams('cat', [3, 4]) // ['<ca', 'cat', 'at>', '<cat', 'cat>']
 */
export function charNgrams(token: string, [lo, hi]: readonly [number, number]): string[] {
  const s = `<${token}>`;
  const chars = [...s]; // by code point, so astral characters are not split
  const out: string[] = [];
  for (let n = lo; n <= hi; n++) {
    for (let i = 0; i + n <= chars.length; i++) out.push(chars.slice(i, i + n).join(''));
  }
  return out;
}

/** Longest token prefix that gets character n-grams; longer tokens are not words. */
const maxCharToken = 64;

/** The result of `expandToken`: named features and the base form used for bigrams. */
export interface TokenExpansion {
  bag: FeatureBag;
  lemma: string;
}

/**
 * Every feature of one token: `word:`, `lemma:`, WordNet senses, `char:` n-grams, and for a
 * hyphenated word the features of its parts (scaled by `hyphenPart`, without n-grams).
 *
 * @example
 * expandToken('puppies', wn, params).bag
 * // Map { 'word:puppies' => 1, 'lemma:puppy' => 1, 'synset:puppy.n.01' => 0.8,
 * //       'syn:puppy' => 0.6, 'syn:dog' => 0.22, 'hyp:dog.n.01' => 0.4, ..., 'char:<pu' => 0.16, ... }
 */
export function expandToken(token: string, wn: WordNet, p: TextFeaturizerParams): TokenExpansion {
  const bag: FeatureBag = new Map();
  keepMax(bag, 'word', token, p.weights.word);
  if (isNumberToken(token)) return { bag, lemma: token };
  const lemma = expandLemmas(wn, token, 1, p, bag);
  if (token.includes('-')) {
    for (const part of token.split('-')) {
      if (part.length > 0 && !isStopWord(part)) {
        keepMax(bag, 'word', part, p.weights.word * p.weights.hyphenPart);
        expandLemmas(wn, part, p.weights.hyphenPart, p, bag);
      }
    }
  }
  const grams = charNgrams(token.slice(0, maxCharToken), p.charNgrams);
  const gw = p.weights.char / Math.sqrt(Math.max(1, grams.length));
  for (const g of grams) {
    const key = `char:${g}`;
    bag.set(key, (bag.get(key) ?? 0) + gw); // a repeated n-gram ("ana" in banana) counts twice
  }
  return { bag, lemma };
}

/**
 * Features of a WordNet collocation spelled by consecutive tokens joined by "_"
 * ("sports_cars" -> sports_car), or undefined when WordNet has no such entry.
 */
export function expandCompound(form: string, wn: WordNet, p: TextFeaturizerParams): FeatureBag | undefined {
  if (lemmatize(form, wn).length === 0) return undefined;
  const bag: FeatureBag = new Map();
  expandLemmas(wn, form, p.weights.compound, p, bag);
  return bag;
}
