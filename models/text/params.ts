/**
 * The featurizer's parameters: data, validated once, and hashed into the encoder identity so
 * rows made with other parameters are never mixed with these.
 */
import { createHash } from 'node:crypto';
import { RosettaError } from '../errors.ts';
import { hashSeed } from './hash.ts';
import type { Pos } from './morphy.ts';

export interface FeatureWeights {
  /** The surface token. Must be > 0: it guarantees every text a non-zero row. */
  word: number;
  /** Its first base form (morphy); unknown words are their own lemma. */
  lemma: number;
  /** Each further base form ("saw" -> saw, then see). */
  altLemma: number;
  /** A sense's synset id (`synset:dog.n.01`), and the depth-0 entry of `hyp:`. */
  synset: number;
  /** Each lemma of a sense's synset, the word's own included (`syn:domestic_dog`). */
  synonym: number;
  /** A gloss word of a sense (`syn:cat` from kitten's "young domestic cat"), times its idf factor. */
  gloss: number;
  /** `hyp:` at depth d weighs synset * hypernymDecay^d. */
  hypernymDecay: number;
  /** Each later sense of a lemma weighs senseDecay times the one before. */
  senseDecay: number;
  /** Per part of speech: nouns favoured, as captions name things. */
  pos: Record<Pos, number>;
  /** Total L2 weight of one token's character n-grams (each gets char / sqrt(count)). */
  char: number;
  /** Lemma bigram of two consecutive content words. */
  bigram: number;
  /** A WordNet collocation found in the text ("sports car" -> sports_car), as a lemma. */
  compound: number;
  /** Scale of the features of each part of a hyphenated word ("dog-friendly" -> dog, friendly). */
  hyphenPart: number;
}

export interface TextFeaturizerParams {
  /** Size of the id space; ids are murmur3(namespace:value) % dim. */
  dim: number;
  /** Longest accepted text, in UTF-16 code units. Does not change the features. */
  maxChars: number;
  /** Inclusive range of character n-gram lengths, over `<token>` with boundary markers. */
  charNgrams: readonly [number, number];
  /** Deepest hypernym level followed (1 = parents only). */
  hypernymDepth: number;
  /** How many senses (most frequent first) of a lemma are expanded, per part of speech. */
  senses: Record<Pos, number>;
  weights: FeatureWeights;
}

export const defaultParams: TextFeaturizerParams = {
  dim: 2 ** 18,
  maxChars: 10_000,
  charNgrams: [3, 5],
  hypernymDepth: 3,
  senses: { n: 2, v: 1, a: 1, r: 1 },
  weights: {
    word: 1,
    lemma: 1,
    altLemma: 0.7,
    synset: 0.8,
    synonym: 0.6,
    gloss: 0.3,
    hypernymDecay: 0.5,
    senseDecay: 0.5,
    pos: { n: 1, v: 0.6, a: 0.6, r: 0.4 },
    char: 0.8,
    bigram: 0.7,
    compound: 1,
    hyphenPart: 0.6,
  },
};

/** Options for `createTextEncoder`; every field defaults to `defaultParams`. */
export interface TextFeaturizerOptions {
  dim?: number;
  maxChars?: number;
  charNgrams?: readonly [number, number];
  hypernymDepth?: number;
  senses?: Partial<Record<Pos, number>>;
  weights?: Partial<Omit<FeatureWeights, 'pos'>> & { pos?: Partial<Record<Pos, number>> };
}

function bad(name: string, value: unknown, want: string): RosettaError {
  return new RosettaError('INVALID_ARGUMENT', `Text featurizer option ${name} must be ${want}; got ${JSON.stringify(value)}.`);
}

function int(name: string, v: unknown, lo: number, hi: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) throw bad(name, v, `an integer in [${lo}, ${hi}]`);
  return v;
}

function weight(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 100) throw bad(name, v, 'a number in [0, 100]');
  return v;
}

/**
 * Defaults merged with `options`, every value checked.
 *
 * @example resolveParams({ dim: 1024 }).dim // 1024
 * @throws RosettaError INVALID_ARGUMENT naming the option ("options.dim must be an integer in [16, 1073741824]")
 */
export function resolveParams(options: TextFeaturizerOptions = {}): TextFeaturizerParams {
  const d = defaultParams;
  const o = options;
  const ngrams = o.charNgrams ?? d.charNgrams;
  if (!Array.isArray(ngrams) || ngrams.length !== 2) throw bad('charNgrams', ngrams, '[min, max]');
  const lo = int('charNgrams[0]', ngrams[0], 1, 8);
  const hi = int('charNgrams[1]', ngrams[1], lo, 8);
  const senses = { ...d.senses, ...o.senses };
  const w = { ...d.weights, ...o.weights, pos: { ...d.weights.pos, ...o.weights?.pos } };
  for (const [k, v] of Object.entries(w)) if (k !== 'pos') weight(`weights.${k}`, v);
  // Every token then adds something, so no row of a non-empty text can be all zeros.
  if (w.word <= 0) throw bad('weights.word', w.word, 'greater than 0');
  for (const [k, v] of Object.entries(w.pos)) weight(`weights.pos.${k}`, v);
  for (const [k, v] of Object.entries(senses)) int(`senses.${k}`, v, 0, 16);
  return {
    dim: int('dim', o.dim ?? d.dim, 16, 2 ** 30),
    maxChars: int('maxChars', o.maxChars ?? d.maxChars, 1, 10_000_000),
    charNgrams: [lo, hi],
    hypernymDepth: int('hypernymDepth', o.hypernymDepth ?? d.hypernymDepth, 0, 8),
    senses,
    weights: w,
  };
}

/** Bump when the featurizing code changes what it emits for the same parameters. */
export const featurizerRevision = 1;

/** JSON with sorted keys, so the hash does not depend on how options were spelled. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/**
 * sha256 (hex) of everything that decides the features: the parameters (not maxChars), the
 * code revision, the WordNet data's identity and the stop-word list.
 */
export function paramsHash(params: TextFeaturizerParams, wordnet: string, stopWords: Iterable<string>): string {
  const { maxChars: _ignored, ...rest } = params;
  return createHash('sha256')
    .update(canonical({ revision: featurizerRevision, hash: `murmur3_x86_32/${hashSeed}`, params: rest, wordnet, stopWords: [...stopWords].sort() }))
    .digest('hex');
}
