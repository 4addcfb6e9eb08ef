import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../models/random.ts';
import { CaptionPostings } from './caption-postings.ts';
import { openDatabase } from './db.ts';
import { phrase, planKeywordSearch } from './fts.ts';
import { ItemRepository } from './items.ts';
import { sha } from './testing.ts';

const root = mkdtempSync(join(tmpdir(), 'rosetta-postings-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const WORDS = ['red', 'blue', 'bird', 'cat', 'skin', 'tone', 'Ça', 'naïve', 'reds', 'redwood'];

describe('CaptionPostings', () => {
  let db: Database;
  let items: ItemRepository;
  let postings: CaptionPostings;
  /** What FTS5 itself matches for the phrases joined by AND, ascending. */
  const fts5 = (phrases: string[]) => db.prepare(`SELECT rowid FROM captions_fts WHERE captions_fts MATCH ? ORDER BY rowid`).pluck().all(phrases.join(' AND ')) as number[];

  beforeAll(() => {
    // 3,000 random captions over a few words, some common (in about half), some rare, with
    // accents and case: FTS5's tokenizer decides what a word is, on both sides.
    db = openDatabase(join(root, 'postings.sqlite'));
    items = new ItemRepository(db);
    const random = mulberry32(7);
    db.transaction(() => {
      for (let n = 0; n < 3000; n++) {
        const words = WORDS.filter((_, w) => random() < (w < 6 ? 0.5 : 0.02));
        const id = items.insert({ externalId: `c/${n}`, modality: 'image', sourcePath: `/${n}`, contentHash: sha(`c ${n}`), mime: 'image/png', width: 1, height: 1, duration: null }, 'now');
        items.replaceCaptions(id, [], [{ text: `${words.join(' ')} item${n}`.toUpperCase(), source: 'manifest' }]);
      }
    })();
    postings = new CaptionPostings(db);
  });

  it('lists the captions holding every phrase exactly as FTS5 matches them joined by AND, for any set of words', () => {
    const random = mulberry32(3);
    const phrases = [...WORDS.map((w) => phrase(w)), phrase('ca'), phrase('naive'), phrase('red', true), phrase('item12', true), phrase('absent')];
    for (let trial = 0; trial < 200; trial++) {
      const pick = phrases.filter(() => random() < 0.3);
      if (pick.length === 0) continue;
      expect(Array.from(postings.every(pick)!), pick.join(' AND ')).toEqual(fts5(pick));
    }
    expect(Array.from(postings.every([phrase('ca')])!)).toEqual(fts5([phrase('Ça')]));
    expect(postings.every([])).toHaveLength(0);
  });

  it('stays within its memory budget, dropping its lists when the next would not fit, and still answers as FTS5 does', () => {
    const small = new CaptionPostings(db, 3000);
    const pairs = [
      [phrase('red'), phrase('blue')],
      [phrase('skin'), phrase('tone'), phrase('cat')],
      [phrase('bird'), phrase('naive')],
    ];
    for (let round = 0; round < 3; round++) {
      for (const pick of pairs) {
        expect(Array.from(small.every(pick)!)).toEqual(fts5(pick));
        expect(small.heldWords).toBeLessThanOrEqual(3000);
      }
    }
    expect(small.heldWords).toBeGreaterThan(0);
  });

  it('drops its lists when captions are written, and reads none again until they have been quiet', async () => {
    const fresh = new CaptionPostings(db, undefined, 150);
    expect(fresh.every([phrase('zebra')])).toHaveLength(0);
    const id = items.insert({ externalId: 'c/new', modality: 'image', sourcePath: '/new', contentHash: sha('c new'), mime: 'image/png', width: 1, height: 1, duration: null }, 'now');
    items.replaceCaptions(id, [], [{ text: 'a red zebra', source: 'user' }]);
    // Still the list read before the write...
    expect(fresh.every([phrase('zebra')])).toHaveLength(0);
    fresh.captionsWritten();
    // ...then none while captions are changing: the caller asks FTS5.
    expect(fresh.every([phrase('zebra')])).toBeUndefined();
    expect(fresh.heldWords).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(Array.from(fresh.every([phrase('zebra'), phrase('red')])!)).toEqual(fts5([phrase('zebra'), phrase('red')]));
    expect(fresh.every([phrase('zebra')])).toHaveLength(1);
    expect(fresh.heldWords).toBeGreaterThan(0);
  });

  it('plans the same keyword lists from its lists as from FTS5 while captions change (ItemRepository)', () => {
    const fromLists = new ItemRepository(db, { captionsQuietMs: 0 });
    const fromFts5 = new ItemRepository(db, { captionsQuietMs: 1e9 });
    fromFts5.captionsChanged();
    const texts = ['red', 'red bird', 'RED BLUE SKIN TONE', 'skin tone cat', 'naive ca', 'reds redwood', 'item12', 'red bir', 'tone skin skin', 'absent red'];
    for (const mode of ['strict', 'fill'] as const) {
      for (const text of texts) expect(planKeywordSearch(fromLists, text, 20, mode), `${mode} ${text}`).toEqual(planKeywordSearch(fromFts5, text, 20, mode));
    }
  });
});
