import { describe, expect, it } from 'vitest';
import { CAPTIONLESS_FRACTION, EVAL_FRACTION, captionlessSet, splitOf } from './split.ts';

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
