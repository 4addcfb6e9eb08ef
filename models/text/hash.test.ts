import { describe, expect, it } from 'vitest';
import { featureId, murmur3, namespaces } from './hash.ts';

describe('murmur3', () => {
  it('matches the reference MurmurHash3_x86_32 vectors', () => {
    expect(murmur3('', 0)).toBe(0);
    expect(murmur3('', 1)).toBe(0x514e28b7);
    expect(murmur3('hello', 0)).toBe(0x248bfa47);
    expect(murmur3('abc', 0)).toBe(0xb3dd93fa);
    expect(murmur3('aaaa', 0x9747b28c)).toBe(0x5a97808a);
    expect(murmur3('The quick brown fox jumps over the lazy dog', 0)).toBe(0x2e4ff723);
  });

  it('hashes the UTF-8 bytes, so non-ASCII text is platform-independent', () => {
    // "é" is the bytes c3 a9; the same as hashing those two bytes as latin1 code points would not be.
    expect(murmur3('é', 0)).not.toBe(murmur3('\u00c3\u00a9', 0));
    expect(murmur3('日本語🐶')).toBe(murmur3('日本語🐶'));
  });

  it('survives keys longer than the shared buffer', () => {
    const long = 'x'.repeat(5000);
    expect(murmur3(long)).toBe(murmur3(long));
    expect(murmur3(long)).not.toBe(murmur3(`${long}y`));
  });
});

describe('featureId', () => {
  it('is deterministic and within [0, dim)', () => {
    for (const dim of [16, 1000, 2 ** 18]) {
      for (const w of ['dog', 'cat', 'élan', '']) {
        const id = featureId('word', w, dim);
        expect(id).toBe(featureId('word', w, dim));
        expect(id).toBeGreaterThanOrEqual(0);
        expect(id).toBeLessThan(dim);
        expect(Number.isInteger(id)).toBe(true);
      }
    }
  });

  it('gives the same string different ids in different namespaces', () => {
    const words = ['dog', 'cat', 'car', 'red', 'run', 'the', 'a', 'dog.n.01', '<do', 'dog_run', 'x'];
    for (const w of words) {
      const ids = namespaces.map((ns) => featureId(ns, w, 2 ** 18));
      expect(new Set(ids).size).toBe(namespaces.length);
    }
  });

  it('spreads ids evenly over a small id space', () => {
    const dim = 64;
    const counts = new Array<number>(dim).fill(0);
    for (let i = 0; i < 64_000; i++) counts[featureId('char', `g${i}`, dim)]++;
    // 1000 expected per bucket; a uniform hash stays within about ±15%.
    expect(Math.min(...counts)).toBeGreaterThan(850);
    expect(Math.max(...counts)).toBeLessThan(1150);
  });
});
