// Relevance across byte-identical items: a wanted id the store keeps under its twin's id is
// answered by the twin; excluded twins stay excluded; nothing is counted twice.
import { describe, expect, it } from 'vitest';
import { mapQueryIds } from './duplicates.ts';
import type { EvalQuery } from './queries.ts';

const ids = new Map([
  ['man', 'person'],
  ['person', 'person'],
  ['man-tone', 'person-tone'],
  ['cat', 'cat'],
]);

describe('mapQueryIds', () => {
  it('replaces relevant ids by the ids their bytes are stored under, merging twins', () => {
    const q: EvalQuery = { qid: 'q', type: 'text→image', text: 'firefighter', relevant: ['man', 'person', 'cat'] };
    const { queries, remapped, dropped } = mapQueryIds([q], ids);
    expect(queries).toEqual([{ ...q, relevant: ['person', 'cat'] }]);
    expect([remapped, dropped]).toEqual([1, 0]);
  });

  it('maps excluded ids too, and drops a relevant id that is the excluded item itself', () => {
    // Image-to-image from "man" (stored as "person"): its family member "person" is the query's own picture.
    const q: EvalQuery = { qid: 'i', type: 'image→image', image: 'man.png', relevant: ['person', 'man-tone'], exclude: ['man'] };
    expect(mapQueryIds([q], ids).queries).toEqual([{ ...q, relevant: ['person-tone'], exclude: ['person'] }]);
  });

  it('drops a query left with nothing to find, and ids the store lacks altogether', () => {
    const gone: EvalQuery = { qid: 'g', type: 'text→image', text: 'x', relevant: ['missing'] };
    const self: EvalQuery = { qid: 's', type: 'image→image', image: 'man.png', relevant: ['person'], exclude: ['man'] };
    const kept: EvalQuery = { qid: 'k', type: 'text→image', text: 'cat', relevant: ['cat'] };
    expect(mapQueryIds([gone, self, kept], ids)).toEqual({ queries: [kept], remapped: 0, dropped: 2 });
  });
});
