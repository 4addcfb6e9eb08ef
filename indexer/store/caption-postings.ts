/**
 * Which captions hold each keyword phrase, kept in memory between caption writes, so that the
 * captions holding every word of a query are an intersection of sorted id lists.
 *
 * FTS5 answers `"a" AND "b" AND ...` by decoding every listed word's whole doclist on each
 * query: on the 100,000-item bench collection a query of ten words, most of them common ("skin",
 * "tone", "woman"), took 1.5 ms for 68 captions, and the hybrid text query's keyword plan
 * averaged 0.4 ms, most of it there. Each phrase's doclist is read from FTS5 itself (the same
 * tokenizer, prefixes and quoting), once per caption write; a query whose words were seen
 * before costs a merge of integer arrays. Written here rather than taken from a library:
 * nothing else knows FTS5's doclists, and the intersection is a few lines of bit tests.
 *
 * Reading a list costs more than FTS5's AND does with it (better-sqlite3 hands over each row:
 * 3.6 ms for the 20,000 captions holding "skin"), so lists are read only once captions have
 * been quiet for a while. While they change (a bulk index job beside the server), `every`
 * answers undefined for a query whose lists are not all held, and the caller asks FTS5.
 */
import type { Database, Statement } from 'better-sqlite3';

/** 32-bit words held at once by default, over every cached phrase (its ids, and its bitset once made): 16 MB. */
const MAX_CACHED_WORDS = 4_000_000;

/** How long after a caption write lists are read again; until then FTS5 answers. */
const QUIET_MS = 2000;

/** One phrase's captions: their ids, ascending, and (made when first needed) one bit per id. */
interface Posting {
  ids: Int32Array;
  bits?: Uint32Array;
}

export class CaptionPostings {
  private readonly rowsOf: Statement;
  private readonly byPhrase = new Map<string, Posting>();
  private cachedWords = 0;
  private writtenAt = -Infinity;
  /** The last intersection: the planner counts the captions holding every word, then lists them. */
  private last: { key: string; ids: Int32Array } | undefined;

  constructor(
    db: Database,
    /** The memory budget in 32-bit words; past it, every list is dropped and read again as needed. */
    private readonly maxWords = MAX_CACHED_WORDS,
    /** Milliseconds of no caption writes before lists are read again. */
    private readonly quietMs = QUIET_MS,
  ) {
    // FTS5 lists a full-text query's rows in rowid order.
    this.rowsOf = db.prepare(`SELECT rowid FROM captions_fts WHERE captions_fts MATCH ? ORDER BY rowid`).pluck();
  }

  /**
   * Ids of the captions holding every phrase, ascending: what FTS5 matches for the phrases
   * joined by AND. Undefined when a list is missing and captions were written too recently to
   * read it: FTS5's own AND is the cheaper answer then.
   *
   * @example postings.every(['"red"', '"bird"']) // Int32Array [12, 408, 5120]
   */
  every(phrases: readonly string[]): Int32Array | undefined {
    if (phrases.length === 0) return new Int32Array(0);
    if (performance.now() - this.writtenAt < this.quietMs && !phrases.every((p) => this.byPhrase.has(p))) return undefined;
    // The shortest list is the candidates; every other phrase keeps those its bitset holds, so
    // a query costs (candidates x phrases) bit tests however long the common words' lists are.
    const key = phrases.join('\n');
    if (this.last?.key === key) return this.last.ids;
    const postings = phrases.map((p) => this.posting(p)).sort((a, b) => a.ids.length - b.ids.length);
    let out = postings[0].ids;
    for (let i = 1; i < postings.length && out.length > 0; i++) out = keep(out, this.bitsOf(postings[i]));
    this.last = { key, ids: out };
    return out;
  }

  private posting(phrase: string): Posting {
    let posting = this.byPhrase.get(phrase);
    if (posting === undefined) {
      posting = { ids: Int32Array.from(this.rowsOf.all(phrase) as number[]) };
      this.hold(posting.ids.length);
      this.byPhrase.set(phrase, posting);
    }
    return posting;
  }

  private bitsOf(posting: Posting): Uint32Array {
    if (posting.bits === undefined) {
      const { ids } = posting;
      const bits = new Uint32Array(ids.length === 0 ? 0 : (ids[ids.length - 1] >>> 5) + 1);
      for (const id of ids) bits[id >>> 5] |= 1 << (id & 31);
      this.hold(bits.length);
      posting.bits = bits;
    }
    return posting.bits;
  }

  /** Counts `words` against the budget, first forgetting everything if they would not fit. */
  private hold(words: number): void {
    if (this.cachedWords + words > this.maxWords) this.clear();
    this.cachedWords += words;
  }

  /** 32-bit words held now, ids and bitsets. */
  get heldWords(): number {
    return this.cachedWords;
  }

  /** Captions were written: every list is stale, and none is read again until they are quiet. */
  captionsWritten(): void {
    this.clear();
    this.writtenAt = performance.now();
  }

  private clear(): void {
    this.byPhrase.clear();
    this.cachedWords = 0;
    this.last = undefined;
  }
}

/** The ids (ascending) whose bit is set, still ascending. */
function keep(ids: Int32Array, bits: Uint32Array): Int32Array {
  const out = new Int32Array(ids.length);
  let n = 0;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    const word = id >>> 5;
    if (word < bits.length && (bits[word] >>> (id & 31)) & 1) out[n++] = id;
  }
  return out.subarray(0, n);
}
