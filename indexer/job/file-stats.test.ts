import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FILE_STATS_FILE, FileStatCache, sameStat } from './file-stats.ts';

const root = mkdtempSync(join(tmpdir(), 'rosetta-filestats-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const entry = { path: '/lib/a.jpg', size: 120, mtimeMs: 1732780800123.456, hash: 'a'.repeat(64) };

describe('the file stat cache', () => {
  it('keeps entries across opens and replaces them by external id', () => {
    const dir = mkdtempSync(join(root, 'c'));
    let cache = FileStatCache.open(dir);
    cache.putMany([{ ...entry, externalId: 'a.jpg' }]);
    cache.putMany([{ ...entry, externalId: 'b.jpg', size: 7 }]);
    cache.close();
    cache = FileStatCache.open(dir);
    expect(cache.get('a.jpg')).toEqual(entry);
    expect(cache.get('b.jpg')?.size).toBe(7);
    cache.putMany([{ ...entry, externalId: 'a.jpg', hash: 'b'.repeat(64) }]);
    expect(cache.get('a.jpg')?.hash).toBe('b'.repeat(64));
    expect(cache.get('missing')).toBeUndefined();
    cache.close();
  });

  it('starts again from nothing when its file is damaged', () => {
    const dir = mkdtempSync(join(root, 'c'));
    writeFileSync(join(dir, FILE_STATS_FILE), 'this is not a database, but it is long enough to have a header.....');
    const cache = FileStatCache.open(dir);
    expect(cache.get('a.jpg')).toBeUndefined();
    cache.putMany([{ ...entry, externalId: 'a.jpg' }]);
    expect(cache.get('a.jpg')).toEqual(entry);
    cache.close();
  });

  it('matches a stat only when path, size and mtime are all the same', () => {
    expect(sameStat(entry, '/lib/a.jpg', { size: 120, mtimeMs: entry.mtimeMs })).toBe(true);
    expect(sameStat(entry, '/lib/b.jpg', { size: 120, mtimeMs: entry.mtimeMs })).toBe(false);
    expect(sameStat(entry, '/lib/a.jpg', { size: 121, mtimeMs: entry.mtimeMs })).toBe(false);
    expect(sameStat(entry, '/lib/a.jpg', { size: 120, mtimeMs: entry.mtimeMs + 0.001 })).toBe(false);
    expect(sameStat(undefined, '/lib/a.jpg', { size: 120, mtimeMs: entry.mtimeMs })).toBe(false);
  });
});
