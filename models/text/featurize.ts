/**
 * Text -> sparse row: tokens are expanded (memoised), joined by lemma bigrams and WordNet
 * collocations, hashed into the id space, summed per id and L2-normalised.
 */
import type { SparseRow } from '../types.ts';
import { expandCompound, expandToken, type FeatureBag } from './expand.ts';
import { murmur3 } from './hash.ts';
import type { TextFeaturizerParams } from './params.ts';
import { isStopWord } from './stopwords.ts';
import type { WordNet } from './wordnet.ts';

/** One named feature of a text, as `explain` lists it. */
export interface ExplainedFeature {
  /** "namespace:value", e.g. "hyp:canine.n.02". */
  feature: string;
  id: number;
  /** This feature's share of the normalised row (features that collide on an id add up). */
  weight: number;
}

/** A token's or collocation's features, hashed. */
interface Entry {
  ids: Uint32Array;
  weights: Float64Array;
  /** The first base form (for bigrams). */
  lemma: string;
  /** Some multi-word lemma starts with this form. */
  prefix: boolean;
}

const empty = { ids: new Uint32Array(0), weights: new Float64Array(0), lemma: '' };

/**
 * A bounded memo with approximately-LRU eviction: two generations of Maps; a hit in the old
 * one is promoted, and when the young one fills up the old one is dropped whole. A true LRU
 * (delete + set on every hit) cost a quarter of the featurizing time.
 */
class Memo<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();
  constructor(private readonly capacity: number) {}

  get(key: string): V | undefined {
    const v = this.young.get(key);
    if (v !== undefined) return v;
    const o = this.old.get(key);
    if (o !== undefined) this.set(key, o);
    return o;
  }

  set(key: string, v: V): void {
    if (this.young.size >= this.capacity / 2) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, v);
  }

  clear(): void {
    this.young.clear();
    this.old.clear();
  }
}

/** Longest run of tokens looked up as a WordNet collocation ("cup of tea"). */
const maxCompound = 3;

/** Tokens whose features count: stop words dropped, unless there is nothing else. */
function contentTokens(tokens: readonly string[]): readonly string[] {
  const content = tokens.filter((t) => !isStopWord(t));
  // A text of stop words only ("to be or not to be") is still a text: keep them all.
  return content.length > 0 ? content : tokens;
}

/**
 * Calls `visit` with every run of 2..maxCompound consecutive tokens, joined by "_", that may
 * be a WordNet collocation: each run but the last word is a known prefix (`isPrefix`), and
 * not both ends are stop words ("in the"; "of course" is WordNet's but says nothing).
 */
function compoundRuns(tokens: readonly string[], isPrefix: (form: string, isToken: boolean) => boolean, visit: (form: string) => boolean): void {
  for (let i = 0; i + 1 < tokens.length; i++) {
    let form = tokens[i];
    if (!isPrefix(form, true)) continue;
    for (let n = 2; n <= maxCompound && i + n <= tokens.length; n++) {
      const last = tokens[i + n - 1];
      form = `${form}_${last}`;
      const isCandidate = !(isStopWord(tokens[i]) && isStopWord(last));
      const longer = isCandidate ? visit(form) : isPrefix(form, false);
      if (!longer) break;
    }
  }
}

/** Id spaces up to this size sum into a dense scratch array (8 bytes an id); larger ones use a Map. */
const denseMax = 2 ** 21;

/** L2-normalised row of summed weights, ids ascending. */
function normalisedRow(ids: Uint32Array, weightOf: (id: number) => number): SparseRow {
  ids.sort(); // typed array: numeric order without comparator calls
  let norm = 0;
  const weights = new Float32Array(ids.length);
  for (let i = 0; i < ids.length; i++) norm += weightOf(ids[i]) ** 2;
  norm = Math.sqrt(norm);
  for (let i = 0; i < ids.length; i++) weights[i] = weightOf(ids[i]) / norm;
  return { ids, weights };
}

/** Sums per id in an array the size of the id space, remembering which ids it touched. */
class DenseSum {
  private readonly sum: Float64Array;
  private readonly touched: number[] = [];
  constructor(dim: number) {
    this.sum = new Float64Array(dim);
  }

  add(id: number, w: number): void {
    if (this.sum[id] === 0) this.touched.push(id); // weights are > 0, so 0 means untouched
    this.sum[id] += w;
  }

  addAll(ids: Uint32Array, ws: Float64Array): void {
    for (let i = 0; i < ids.length; i++) this.add(ids[i], ws[i]);
  }

  /** The row so far; resets the sums for the next one. */
  takeRow(): SparseRow {
    const row = normalisedRow(Uint32Array.from(this.touched), (id) => this.sum[id]);
    for (const id of this.touched) this.sum[id] = 0;
    this.touched.length = 0;
    return row;
  }
}

/** The same with a Map, for id spaces too large for a scratch array. */
class MapSum {
  private readonly sum = new Map<number, number>();

  add(id: number, w: number): void {
    this.sum.set(id, (this.sum.get(id) ?? 0) + w);
  }

  addAll(ids: Uint32Array, ws: Float64Array): void {
    for (let i = 0; i < ids.length; i++) this.add(ids[i], ws[i]);
  }

  takeRow(): SparseRow {
    const row = normalisedRow(Uint32Array.from(this.sum.keys()), (id) => this.sum.get(id) as number);
    this.sum.clear();
    return row;
  }
}

/**
 * Turns token lists into rows for one parameter set. Holds a bounded memo of token
 * expansions and a buffer to sum weights per id.
 */
export class Featurizer {
  private readonly memo: Memo<Entry>;
  private acc: DenseSum | MapSum | undefined;

  constructor(
    private readonly wn: WordNet,
    private readonly p: TextFeaturizerParams,
    memoSize = 50_000,
  ) {
    this.memo = new Memo(memoSize);
  }

  private id(key: string): number {
    return murmur3(key) % this.p.dim;
  }

  private hashBag(bag: FeatureBag, lemma: string, prefix: boolean): Entry {
    const byId = new Map<number, number>();
    for (const [k, w] of bag) {
      if (w <= 0) continue; // a zero weight option switches a feature off; keep it out of the row
      const id = this.id(k);
      byId.set(id, (byId.get(id) ?? 0) + w);
    }
    return { ids: Uint32Array.from(byId.keys()), weights: Float64Array.from(byId.values()), lemma, prefix };
  }

  private token(token: string): Entry {
    const key = `t${token}`;
    let e = this.memo.get(key);
    if (!e) {
      const x = expandToken(token, this.wn, this.p);
      e = this.hashBag(x.bag, x.lemma, this.wn.startsCollocation(token));
      this.memo.set(key, e);
    }
    return e;
  }

  private compound(form: string): Entry {
    const key = `c${form}`;
    let e = this.memo.get(key);
    if (!e) {
      const bag = expandCompound(form, this.wn, this.p);
      const prefix = this.wn.startsCollocation(form);
      e = bag ? this.hashBag(bag, '', prefix) : { ...empty, prefix };
      this.memo.set(key, e);
    }
    return e;
  }

  private bigramKey(a: string, b: string): string {
    return `bigram:${a}_${b}`;
  }

  /**
   * The L2-normalised row of a tokenised text; ids ascending. `tokens` must be non-empty.
   *
   * @example featurize(['red', 'car']) // { ids: Uint32Array [ 1093, 5821, ... ], weights: Float32Array [ 0.08, ... ] }
   */
  featurize(tokens: readonly string[]): SparseRow {
    const acc = (this.acc ??= this.p.dim <= denseMax ? new DenseSum(this.p.dim) : new MapSum());
    let prev: string | undefined;
    for (const t of contentTokens(tokens)) {
      const e = this.token(t);
      acc.addAll(e.ids, e.weights);
      if (prev !== undefined && this.p.weights.bigram > 0) acc.add(this.id(this.bigramKey(prev, e.lemma)), this.p.weights.bigram);
      prev = e.lemma;
    }
    compoundRuns(
      tokens,
      (form, isToken) => (isToken ? this.token(form) : this.compound(form)).prefix,
      (form) => {
        const e = this.compound(form);
        acc.addAll(e.ids, e.weights);
        return e.prefix;
      },
    );
    return acc.takeRow();
  }

  /**
   * Every named feature of a tokenised text with its id and normalised weight, largest first.
   * Computed without the memo, from the same expansion code, so it agrees with `featurize`.
   */
  explain(tokens: readonly string[]): ExplainedFeature[] {
    const named = new Map<string, number>();
    const addBag = (bag: FeatureBag): void => {
      for (const [k, w] of bag) named.set(k, (named.get(k) ?? 0) + w);
    };
    let prev: string | undefined;
    for (const t of contentTokens(tokens)) {
      const x = expandToken(t, this.wn, this.p);
      addBag(x.bag);
      if (prev !== undefined) addBag(new Map([[this.bigramKey(prev, x.lemma), this.p.weights.bigram]]));
      prev = x.lemma;
    }
    compoundRuns(
      tokens,
      (form) => this.wn.startsCollocation(form),
      (form) => {
        const bag = expandCompound(form, this.wn, this.p);
        if (bag) addBag(bag);
        return this.wn.startsCollocation(form);
      },
    );
    const byId = new Map<number, number>();
    for (const [k, w] of named) {
      if (w <= 0) continue;
      const id = this.id(k);
      byId.set(id, (byId.get(id) ?? 0) + w);
    }
    let norm = 0;
    for (const w of byId.values()) norm += w * w;
    norm = Math.sqrt(norm);
    return [...named]
      .filter(([, w]) => w > 0)
      .map(([feature, w]) => ({ feature, id: this.id(feature), weight: w / norm }))
      .sort((a, b) => b.weight - a.weight || (a.feature < b.feature ? -1 : 1));
  }

  /** Forgets the memo and the buffer. */
  clear(): void {
    this.memo.clear();
    this.acc = undefined;
  }
}
