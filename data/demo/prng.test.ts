import { describe, expect, it } from 'vitest';
import { hash32, mulberry32, unitHash, withSeededRandom } from './prng.ts';

describe('hash32', () => {
  it('is a stable uint32 that changes with one character', () => {
    expect(hash32('1:eval:1F600')).toBe(hash32('1:eval:1F600'));
    expect(hash32('1:eval:1F600')).not.toBe(hash32('1:eval:1F601'));
    expect(Number.isInteger(hash32(''))).toBe(true);
    expect(hash32('x')).toBeGreaterThanOrEqual(0);
    expect(hash32('x')).toBeLessThan(2 ** 32);
  });

  it('spreads similar keys evenly over [0, 1)', () => {
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < 20_000; i++) buckets[Math.floor(unitHash(`1:k:${i}`) * 10)]++;
    for (const b of buckets) expect(Math.abs(b - 2000)).toBeLessThan(200);
  });
});

describe('withSeededRandom', () => {
  it('gives the same draws for the same seed and restores Math.random', () => {
    const original = Math.random;
    const a = withSeededRandom(7, () => [Math.random(), Math.random()]);
    const b = withSeededRandom(7, () => [Math.random(), Math.random()]);
    expect(a).toEqual(b);
    expect(a).toEqual([mulberry32(7)(), (() => { const r = mulberry32(7); r(); return r(); })()]);
    expect(Math.random).toBe(original);
  });

  it('restores Math.random when the function throws', () => {
    const original = Math.random;
    expect(() => withSeededRandom(1, () => { throw new Error('boom'); })).toThrow('boom');
    expect(Math.random).toBe(original);
  });

  it('rejects an async function, which would leave other code drawing from the seeded stream', () => {
    const original = Math.random;
    expect(() => withSeededRandom(1, async () => 1)).toThrow(/synchronous/);
    expect(Math.random).toBe(original);
  });
});
