/**
 * Keyword search over captions (SQLite FTS5): what a user typed becomes FTS5 queries that
 * cannot be syntax errors (every word is quoted), planned so that the work stays bounded on
 * a large collection without losing the matches that matter.
 */

/** At most this many words of a query are matched; the rest are ignored. */
const MAX_WORDS = 32;

/**
 * A word in more than this share of the captions is common: its IDF is below ln(1 / 0.005) ≈ 5.3.
 * This is Lucene's CommonTermsQuery (Elasticsearch's `cutoff_frequency`): on its own such a word
 * cannot pick items out (in 60,000 captions it matches 15 times the fusion window of 20, which
 * bm25 could only order by caption length), and ranking its matches costs time in proportion
 * to them (FTS5's bm25 reads every match of every query word). So a common word only narrows
 * what the other words find; it never brings in matches of its own.
 */
export const COMMON_SHARE = 0.005;

/**
 * ...and a word in no more captions than the fusion window holds is never common, however
 * small the collection.
 */
export const COMMON_FLOOR = 20;

/**
 * The last word matches as a prefix (a half-typed word) only when no caption holds it as a
 * word, and only from this many characters: one or two letters begin hundreds of words, which
 * says too little to guess at, and FTS5 merges the matches of every one of them.
 */
export const MIN_PREFIX = 3;

/** One word of a query; `last` marks the word that may be half-typed. */
export interface QueryWord {
  word: string;
  last: boolean;
}

/**
 * The words of `text` (letters and digits, NFKC), in order, at most 32, repeats included: a
 * word said twice weighs twice in bm25, as BM25's query-term frequency has it.
 *
 * @example
 * queryWords('Red bird'); // [{ word: 'Red', last: false }, { word: 'bird', last: true }]
 * queryWords('!!'); // []
 */
export function queryWords(text: string): QueryWord[] {
  const words = text.normalize('NFKC').match(/[\p{L}\p{N}]+/gu)?.slice(0, MAX_WORDS) ?? [];
  return words.map((word, i) => ({ word, last: i === words.length - 1 }));
}

/** `"word"` or `"word"*`: a quoted FTS5 phrase, so no word is read as syntax. */
export function phrase(word: string, prefix = false): string {
  return `"${word.replaceAll('"', '""')}"${prefix ? '*' : ''}`;
}

/**
 * Every word ORed, the last as a prefix: the query that ranks every caption sharing any word.
 *
 * @example
 * ftsQuery('red "bird" son'); // '"red" OR "bird" OR "son"*'
 * ftsQuery('!!'); // undefined
 */
export function ftsQuery(text: string): string | undefined {
  const words = text.normalize('NFKC').match(/[\p{L}\p{N}]+/gu);
  if (!words) return undefined;
  return words
    .slice(0, MAX_WORDS)
    .map((w, i, all) => phrase(w, i === all.length - 1))
    .join(' OR ');
}

/** What the planner asks of the caption index. */
export interface CaptionIndex {
  /** Captions in the collection. */
  captionCount(): number;
  /** Captions holding every phrase, counted up to `cap`. */
  matchCount(phrases: readonly string[], cap: number): number;
  /** Items of the `limit` shortest captions holding every phrase (no ranking function), shortest first. */
  shortest(phrases: readonly string[], limit: number): { id: number }[];
  /** Items of the `limit` captions matching `query` best by bm25, best first. */
  ranked(query: string, limit: number): { id: number }[];
}

/**
 * How a keyword query picks its items:
 * - `fill`: the items whose captions hold every word, then, to fill the list, those holding
 *   some of its words that are not common (a keyword search's list of everything relevant);
 * - `strict`: the items whose captions hold every word, and only when no caption does, those
 *   holding some of its uncommon words (the keyword side of hybrid ranking, see below);
 * - `exhaustive`: every caption sharing any word, by bm25 however common the words, as the only
 *   ranking a query has when it has no vector. Its cost grows with the words' matches.
 */
export type KeywordMode = 'fill' | 'strict' | 'exhaustive';

/**
 * Items for a keyword query, best first, at most `limit`. Captions holding every word come
 * first, shortest first: among captions that each hold every word once, that is bm25's order,
 * and it needs no bm25, whose cost grows with the common words' matches. Partial matches (of
 * the words that are not common, by bm25 over those words) follow as `mode` says. For hybrid
 * ranking `strict` leaves them out whenever a caption holds every word: a caption sharing a few
 * of the words is weak evidence, and fused in it pushes down items only the vectors find (the
 * uncaptioned ones). On the dev set's text queries this raised hybrid recall@10 from 0.755 to
 * 0.78 (images) and from 0.85 to 0.96 (sounds) over bm25 on every word ORed (2026-11-28).
 *
 * When every word is common and so many captions hold them all that they are common together,
 * the words say nothing the vector ranking does not: the list is empty (except `exhaustive`).
 * Apart from `exhaustive`, no step sorts or ranks more than the common cut-off's number of
 * captions. Which captions hold each word, ItemRepository reads from FTS5 once captions have been
 * quiet for a moment (CaptionPostings), so counting and intersecting are cheap from the second
 * query on; while they are being written, FTS5's AND answers.
 *
 * @example
 * planKeywordSearch(index, 'man surfing: light skin tone', 20, 'strict')
 * // [{ id: 812, score: 3 }, { id: 90, score: 2 }, { id: 4410, score: 1 }]: the captions holding all five words
 */
export function planKeywordSearch(index: CaptionIndex, text: string, limit: number, mode: KeywordMode = 'fill'): { id: number; score: number }[] {
  const out: number[] = [];
  const taken = new Set<number>();
  const fill = (read: (n: number) => { id: number }[]) => {
    // Read more while items already listed (or with several captions) thin the rows.
    for (let n = 2 * limit; out.length < limit; n *= 4) {
      const rows = read(n);
      for (const { id } of rows) {
        if (taken.has(id)) continue;
        taken.add(id);
        out.push(id);
      }
      if (rows.length < n) return;
    }
  };

  if (mode === 'exhaustive') {
    const query = ftsQuery(text);
    if (query) fill((n) => index.ranked(query, n));
  } else {
    const common = Math.max(COMMON_FLOOR, Math.ceil(COMMON_SHARE * index.captionCount()));
    const words = queryWords(text).map((w) => counted(index, w, common + 1));
    if (words.length > 0 && words.every((w) => w.count > 0)) {
      // Each word once: a repeat changes neither what matches nor the order by length.
      const all = [...new Set(words.map((w) => w.phrase))];
      // A rare word bounds what all the words match; only common words together need counting.
      if (Math.min(...words.map((w) => w.count)) <= common || index.matchCount(all, common + 1) <= common) fill((n) => index.shortest(all, n));
    }
    const rare = words.filter((w) => w.count > 0 && w.count <= common);
    // With one word, the partial matches are the full ones.
    if (rare.length > 0 && new Set(words.map((w) => w.phrase)).size > 1 && (mode === 'fill' || out.length === 0)) fill((n) => index.ranked(rare.map((w) => w.phrase).join(' OR '), n));
  }
  return out.slice(0, limit).map((id, i, all) => ({ id, score: all.length - i }));
}

/** The word as it will be matched (the word itself, or a half-typed prefix), with its count up to `cap`. */
function counted(index: CaptionIndex, { word, last }: QueryWord, cap: number): { phrase: string; count: number } {
  const exact = phrase(word);
  const count = index.matchCount([exact], cap);
  if (count > 0 || !last || [...word].length < MIN_PREFIX) return { phrase: exact, count };
  const prefix = phrase(word, true);
  return { phrase: prefix, count: index.matchCount([prefix], cap) };
}
