/**
 * Text normalisation and tokenisation for the lexical featurizer. Hand-written rather than
 * taken from @huggingface/tokenizers because what we need is word-level and WordNet-shaped
 * (hyphenated compounds kept whole, clitics split the way WordNet lemmas expect), not a
 * subword vocabulary; it is a regex and a few suffix rules.
 */

// Letters that NFD does not decompose into base + accent.
const foldMap: Record<string, string> = {
  ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', ł: 'l', đ: 'd', ð: 'd', þ: 'th', ı: 'i', ŀ: 'l',
};
const foldRe = /[ßæœøłđðþıŀ]/g;
// Only the Combining Diacritical Marks block: stripping every \p{M} would break scripts
// whose vowel signs are marks (Devanagari, Thai), where they are letters, not accents.
const accentRe = /[\u0300-\u036f]/g;
const apostropheRe = /[\u2018\u2019\u201b\u02bc\u0060\u00b4\u2032]/g;
const hyphenRe = /[\u2010\u2011\u00ad]/g;

/**
 * NFKC, lowercase, accents stripped, typographic apostrophes and hyphens made ASCII.
 *
 * @example normalizeText('Café Ｄéjà-vu’s') // "cafe deja-vu's"
 */
export function normalizeText(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(apostropheRe, "'")
    .replace(hyphenRe, (c) => (c === '\u00ad' ? '' : '-'))
    .normalize('NFD')
    .replace(accentRe, '')
    .replace(foldRe, (c) => foldMap[c] ?? c)
    .normalize('NFC');
}

// A word: letters (with their marks) joined by single inner apostrophes or hyphens
// ("dog's", "t-shirt", "o'clock"). A number: digits with inner "." or "," ("3.5", "1,000").
// Letters and digits are split apart ("mp3" -> "mp", "3").
const tokenRe = /\p{L}[\p{L}\p{M}]*(?:['-]\p{L}[\p{L}\p{M}]*)*|\p{Nd}+(?:[.,]\p{Nd}+)*/gu;
const thousandsRe = /^\d{1,3}(?:,\d{3})+$/;
// What is left of the irregular ones once "n't" is cut off: can't, won't, shan't, ain't.
const negations: Record<string, string> = { ca: 'can', wo: 'will', sha: 'shall', ai: 'is' };
const clitics = ["'re", "'ve", "'ll", "'d", "'m", "'s"];

/** Splits clitics off one matched word; returns 1 or 2 tokens. */
function splitClitics(word: string, out: string[]): void {
  if (!word.includes("'")) {
    out.push(word);
    return;
  }
  if (word.endsWith("n't") && word.length > 3) {
    const base = word.slice(0, -3);
    out.push(negations[base] ?? base, 'not');
    return;
  }
  for (const c of clitics) {
    // "dog's" -> "dog"; the clitics themselves are stop words ("'re" = "are").
    if (word.endsWith(c) && word.length > c.length) {
      out.push(word.slice(0, -c.length));
      return;
    }
  }
  out.push(word); // an inner apostrophe that is part of the word: "o'clock", "rock'n'roll"
}

/**
 * Normalises `text` and splits it into word and number tokens, stop words included.
 * Hyphenated compounds stay one token; possessives and contractions are split.
 *
 * @example tokenize("The dog's T-shirt costs $1,000!") // ['the', 'dog', 't-shirt', 'costs', '1000']
 * @example tokenize("Don't") // ['do', 'not']
 */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  for (const m of normalizeText(text).matchAll(tokenRe)) {
    const tok = m[0];
    const first = tok.charCodeAt(0);
    if (first >= 48 && first <= 57) out.push(thousandsRe.test(tok) ? tok.replaceAll(',', '') : tok);
    else if (/\p{Nd}/u.test(tok[0])) out.push(tok); // non-ASCII digits: keep as written
    else splitClitics(tok, out);
  }
  return out;
}

/** True for tokens made of digits ("42", "3.5"): they get no WordNet or char n-gram features. */
export function isNumberToken(token: string): boolean {
  return /^\p{Nd}/u.test(token);
}
