import { describe, expect, it } from 'vitest';
import { CAPTIONLESS_FRACTION, EVAL_FRACTION, OBJECT_EVAL_FRACTION, captionlessSet, familySplits, heldOutSet, splitOf } from './split.ts';

const ids = Array.from({ length: 1000 }, (_, i) => `om-${i.toString(16).toUpperCase()}`);

describe('captionlessSet', () => {
  it('picks exactly the fixed share, the same ids for the same seed whatever the order', () => {
    const a = captionlessSet(ids, 1);
    expect(a.size).toBe(Math.round(CAPTIONLESS_FRACTION * ids.length));
    expect([...captionlessSet([...ids].reverse(), 1)].sort()).toEqual([...a].sort());
  });

  it('picks other ids under another seed', () => {
    const a = captionlessSet(ids, 1);
    const b = captionlessSet(ids, 2);
    const shared = [...a].filter((id) => b.has(id)).length;
    expect(shared).toBeLessThan(a.size * 0.5);
  });

  it('rounds small sets (44 sounds -> 13)', () => {
    expect(captionlessSet(ids.slice(0, 44), 1).size).toBe(13);
    expect(captionlessSet([], 1).size).toBe(0);
  });
});

describe('splitOf', () => {
  it('holds out about EVAL_FRACTION of keys, deterministically', () => {
    const evalShare = ids.filter((id) => splitOf(id, 1) === 'eval').length / ids.length;
    expect(Math.abs(evalShare - EVAL_FRACTION)).toBeLessThan(0.03);
    expect(ids.map((id) => splitOf(id, 1))).toEqual(ids.map((id) => splitOf(id, 1)));
  });
});

describe('familySplits', () => {
  // Twenty bird families and a few others; "bird" is a source's tag.
  const images = [
    ...Array.from({ length: 20 }, (_, i) => ({ family: `B${i}`, caption: `bird ${i} — bird, ornithology` })),
    { family: 'B0', caption: 'bird 0: dark skin tone — bird, ornithology' },
    ...Array.from({ length: 50 }, (_, i) => ({ family: `X${i}`, caption: `thing ${i} — thing, stuff` })),
  ];

  it("holds out OBJECT_EVAL_FRACTION of a source's families, the rest by splitOf", () => {
    const split = familySplits(images, [['bird']], 1);
    const birds = Array.from({ length: 20 }, (_, i) => split(`B${i}`));
    expect(birds.filter((s) => s === 'eval')).toHaveLength(Math.round(OBJECT_EVAL_FRACTION * 20));
    for (let i = 0; i < 50; i++) expect(split(`X${i}`)).toBe(splitOf(`X${i}`, 1));
    expect(familySplits([...images].reverse(), [['bird']], 1)('B3')).toBe(split('B3'));
  });

  it('holds out one of two families, none of one, and lets the first source decide a shared family', () => {
    const two = [
      { family: 'A', caption: 'a — clock' },
      { family: 'B', caption: 'b — clock, time' },
      { family: 'C', caption: 'c — bell' },
    ];
    const split = familySplits(two, [['clock'], ['time']], 1);
    expect([split('A'), split('B')].sort()).toEqual(['eval', 'train']);
    expect(familySplits(two, [['bell']], 1)('C')).toBe('train');
    // "time" has B alone once "clock" has placed it: a source of one family holds none out.
    expect(familySplits(two, [['time'], ['clock']], 1)('B')).toBe('train');
  });
});

describe('heldOutSet', () => {
  it('holds out round(EVAL_FRACTION * n) ids, at least one, the same whatever the order', () => {
    expect(heldOutSet(ids.slice(0, 30), 1).size).toBe(Math.round(EVAL_FRACTION * 30));
    expect(heldOutSet(ids.slice(0, 4), 1).size).toBe(1);
    expect([...heldOutSet([...ids.slice(0, 30)].reverse(), 1)]).toEqual([...heldOutSet(ids.slice(0, 30), 1)]);
  });
});
