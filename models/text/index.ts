/**
 * The lexical text featurizer: captions to sparse weighted feature ids (word, lemma, WordNet
 * synonyms / synsets / hypernyms, lemma bigrams, character n-grams), hashed into a fixed id
 * space. A trainable embedding bag turns the rows into vectors later.
 */
export { createTextEncoder } from './encoder.ts';
export type { LexicalTextEncoder, TextEncoderOptions } from './encoder.ts';
export type { ExplainedFeature } from './featurize.ts';
export { defaultParams, resolveParams } from './params.ts';
export type { FeatureWeights, TextFeaturizerOptions, TextFeaturizerParams } from './params.ts';

// The pure pieces, for tests and tools.
export { normalizeText, tokenize } from './tokenize.ts';
export { isStopWord, stopWords } from './stopwords.ts';
export { categoryWords, EMERGENT_RELEVANCE } from './category-words.ts';
export { lemmatize, morphy } from './morphy.ts';
export type { LemmaCandidate, Lexicon, Pos } from './morphy.ts';
export { charNgrams, expandSense, expandToken } from './expand.ts';
export type { FeatureBag, TokenExpansion } from './expand.ts';
export { featureId, murmur3, namespaces } from './hash.ts';
export type { Namespace } from './hash.ts';
export { loadWordNet, loadWordNetSync, wordnetCacheFile } from './wordnet-cache.ts';
export type { WordNet } from './wordnet.ts';
