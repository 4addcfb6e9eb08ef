import type { Database } from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from './db.ts';
import { COMMON_FLOOR, COMMON_SHARE, planKeywordSearch, queryWords, type KeywordMode } from './fts.ts';
import { ItemRepository } from './items.ts';
import { sha } from './testing.ts';

const root = mkdtempSync(join(tmpdir(), 'rosetta-fts-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A real collection database holding one item per caption; returns the repository and the ids. */
function collection(name: string, captions: string[]): { db: Database; items: ItemRepository; ids: number[] } {
  const db = openDatabase(join(root, `${name}.sqlite`));
  const items = new ItemRepository(db);
  const ids = db.transaction(() =>
    captions.map((text, n) => {
      const id = items.insert(
        { externalId: `${name}/${n}`, modality: n % 2 ? 'audio' : 'image', sourcePath: `/${n}`, contentHash: sha(`${name} ${n}`), mime: 'image/png', width: 1, height: 1, duration: null },
        'now',
      );
      items.replaceCaptions(id, [], [{ text, source: 'manifest' }]);
      return id;
    }),
  )();
  return { db, items, ids };
}

const search = (items: ItemRepository, text: string, mode: KeywordMode, limit = 20) => planKeywordSearch(items, text, limit, mode).map((h) => h.id);

describe('queryWords', () => {
  it('keeps the words in order, repeats included, at most 32, and marks the last', () => {
    expect(queryWords('Red bird, red; "bird"*')).toEqual([
      { word: 'Red', last: false },
      { word: 'bird', last: false },
      { word: 'red', last: false },
      { word: 'bird', last: true },
    ]);
    expect(queryWords(Array.from({ length: 40 }, (_, i) => `w${i}`).join(' '))).toHaveLength(32);
    expect(queryWords('"*" ( ) -')).toEqual([]);
  });
});

describe('planKeywordSearch on a small collection', () => {
  let items: ItemRepository;
  let ids: number[];
  beforeAll(() => {
    ({ items, ids } = collection('small', [
      'a red kite over the dunes', // 0
      'rain on a red roof', // 1
      'red kite', // 2
      'a green balloon drifting', // 3
      'the tone of a bell', // 4
      'a toned athlete', // 5
    ]));
  });

  it('ranks captions holding every word first, shortest first, then (fill) the partial matches by bm25', () => {
    expect(search(items, 'red kite', 'fill')).toEqual([ids[2], ids[0], ids[1]]);
  });

  it('leaves partial matches out when a caption holds every word (strict), and falls back to them when none does', () => {
    expect(search(items, 'red kite', 'strict')).toEqual([ids[2], ids[0]]);
    expect(search(items, 'red balloon', 'strict')).toEqual(expect.arrayContaining([ids[0], ids[1], ids[2], ids[3]]));
    expect(search(items, 'red balloon', 'strict')[0]).toBe(ids[3]);
  });

  it('reads a last word no caption holds as half-typed, from three letters, and a whole word as itself', () => {
    expect(search(items, 'ballo', 'strict')).toEqual([ids[3]]);
    expect(search(items, 'ba', 'strict')).toEqual([]);
    expect(search(items, 'tone', 'strict')).toEqual([ids[4]]);
    expect(search(items, 'ton', 'strict')).toEqual(expect.arrayContaining([ids[4], ids[5]]));
  });

  it('weighs a repeated word twice among partial matches, and finds nothing for words no caption holds', () => {
    expect(search(items, 'kite kite red', 'strict')).toEqual([ids[2], ids[0]]);
    // No caption holds "rain" and "dunes": "dunes" said twice outweighs "rain".
    expect(search(items, 'rain dunes', 'strict')).toEqual([ids[1], ids[0]]);
    expect(search(items, 'rain dunes dunes', 'strict')).toEqual([ids[0], ids[1]]);
    expect(search(items, 'zeppelin', 'fill')).toEqual([]);
  });

  it('ranks every caption sharing a word by bm25 when exhaustive', () => {
    const all = search(items, 'red kite', 'exhaustive');
    expect(all.slice(0, 2).sort()).toEqual([ids[0], ids[2]].sort());
    expect(all).toContain(ids[1]);
  });

  it('scores from the list length down and stops at the limit', () => {
    const hits = planKeywordSearch(items, 'red kite', 2, 'fill');
    expect(hits).toEqual([
      { id: ids[2], score: 2 },
      { id: ids[0], score: 1 },
    ]);
  });
});

describe('planKeywordSearch on a large collection', () => {
  // 2,000 captions: every one says "photo", every fourth "beach", one "zebra"; the cut-off for
  // common words is max(20, 0.5 % of 2,000) = 20 captions.
  const n = 2000;
  const common = Math.max(COMMON_FLOOR, Math.ceil(COMMON_SHARE * n));
  let items: ItemRepository;
  let ids: number[];
  beforeAll(() => {
    const captions = Array.from({ length: n }, (_, i) => `photo ${i % 4 === 0 ? 'beach ' : ''}number${i}${i === 1234 ? ' zebra' : ''}${i % 50 === 0 ? ' sunset' : ''}`);
    ({ items, ids } = collection('large', captions));
  });

  it('finds an item by a rare word among thousands, whatever common words come with it', () => {
    expect(common).toBe(20);
    expect(search(items, 'zebra', 'strict')).toEqual([ids[1234]]);
    expect(search(items, 'photo zebra', 'strict')).toEqual([ids[1234]]);
    expect(search(items, 'beach photo zebra', 'fill')).toEqual([ids[1234]]);
  });

  it('lets common words only narrow: captions holding nothing but them never come in', () => {
    // No caption holds all three words, so strict falls back to the rare ones; "photo" alone brings in none of its 2,000.
    expect(search(items, 'photo number7 zebra', 'strict').sort((a, b) => a - b)).toEqual([ids[7], ids[1234]]);
    expect(search(items, 'photo beach number8', 'strict')).toEqual([ids[8]]);
    expect(search(items, 'photo sunset number8', 'fill')).toEqual([ids[8]]);
  });

  it('gives no list for words common on their own and together, unless exhaustive', () => {
    expect(search(items, 'photo', 'strict')).toEqual([]);
    expect(search(items, 'photo beach', 'fill')).toEqual([]);
    expect(search(items, 'photo', 'exhaustive')).toHaveLength(20);
  });

  it('uses common words when they are rare together: 20 captions hold both "beach" and "sunset"', () => {
    const hits = search(items, 'beach sunset', 'strict', 50);
    expect(hits).toHaveLength(20);
    expect(hits.every((id) => (id - ids[0]) % 100 === 0)).toBe(true);
  });

  it('sees captions written after a query counted its words', () => {
    expect(search(items, 'quokka', 'strict')).toEqual([]);
    items.replaceCaptions(ids[5], [], [{ text: 'a quokka', source: 'user' }]);
    expect(search(items, 'quokka', 'strict')).toEqual([ids[5]]);
    items.delete(ids[5]);
    expect(search(items, 'quokka', 'strict')).toEqual([]);
  });
});
