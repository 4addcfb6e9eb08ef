import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { isRosettaError } from '../models/errors.ts';
import { openStore, randomLinearProjector, type CollectionStore, type SearchHit } from '../indexer/store/index.ts';
import { imageFeature, makeItem, testProjector } from '../indexer/store/testing.ts';

const root = mkdtempSync(join(tmpdir(), 'rosetta-busy-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const open: CollectionStore[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});
let dirs = 0;

async function seeded(count: number): Promise<CollectionStore> {
  const store = await openStore(join(root, `c${++dirs}`), { projector: testProjector() });
  open.push(store);
  for (let n = 0; n < count; n++) await store.addItem(makeItem(n));
  return store;
}

const query = (n: number, projector = testProjector()) =>
  projector.project({ modality: makeItem(n).modality, features: makeItem(n).features })!;

function wellFormed(hits: SearchHit[]): void {
  for (const h of hits) {
    expect(h.item.id).toBe(h.id);
    expect(Math.abs(h.score)).toBeLessThanOrEqual(1 + 1e-5);
  }
}

describe('the store under concurrent calls', () => {
  it('answers searches while single items are added, updated and deleted', async () => {
    const store = await seeded(100);
    const writes: Promise<unknown>[] = [];
    const searches: Promise<SearchHit[]>[] = [];
    const deleted = new Set<string>();
    for (let step = 0; step < 200; step++) {
      if (step % 4 === 0) writes.push(store.addItem(makeItem(100 + step)));
      if (step % 4 === 1) {
        // May race a delete of the same item: NOT_FOUND is the one acceptable failure.
        const update = store.updateItem(makeItem(step % 100).externalId, { features: [imageFeature(5000 + step)] });
        writes.push(update.catch((e: unknown) => expect(isRosettaError(e, 'NOT_FOUND')).toBe(true)));
      }
      if (step % 10 === 2) {
        const id = makeItem(50 + (step % 50)).externalId;
        if (!deleted.has(id)) {
          deleted.add(id);
          writes.push(store.deleteItem(id));
        }
      }
      if (step % 25 === 0) writes.push(store.save());
      searches.push(store.search(query(step % 100), 5, step % 3 ? undefined : { modalities: ['audio'] }));
      if (step % 20 === 0) await new Promise((r) => setImmediate(r));
    }
    await Promise.all(writes);
    for (const hits of await Promise.all(searches)) wellFormed(hits);
    const stats = store.stats();
    expect(stats.items).toBe(100 + 50 - deleted.size);
    expect(stats.vectors).toBe(stats.items);
    for (const id of deleted) expect(() => store.getItem(id)).toThrow();
    // Items added during the run, which no update or delete touched, are found by their own query.
    for (const n of [104, 196]) {
      const hit = (await store.search(query(n), 1))[0];
      expect(hit.item.externalId).toBe(makeItem(n).externalId);
    }
  });

  it('keeps answering from the old index while reproject builds the new one, then swaps', async () => {
    const store = await seeded(300);
    const wide = randomLinearProjector({ version: 'space-wide', dim: 24, seed: 5 });
    let done = false;
    const rebuilding = store.reproject(wide).finally(() => {
      done = true;
    });
    // Queued behind the rebuild, so it must land in the new space.
    const late = store.addItem(makeItem(1000));
    let during = 0;
    while (!done) {
      // Searches resolve in microtasks; let the rebuild's file I/O callbacks run too.
      await new Promise((r) => setImmediate(r));
      const hits = await store.search(query(during % 300), 1).catch((e: unknown) => {
        // Only once the swap happened may an old-space query be refused.
        expect(isRosettaError(e, 'DIMENSION_MISMATCH')).toBe(true);
        expect(store.space.dim).toBe(24);
        return undefined;
      });
      if (!hits) break;
      if (!done) {
        expect(hits[0].item.externalId).toBe(makeItem(during % 300).externalId);
        expect(hits[0].score).toBeCloseTo(1, 5);
        during++;
      }
    }
    expect(await rebuilding).toEqual({ vectors: 300, skipped: 0 });
    expect(during).toBeGreaterThan(0);
    await late;
    expect(store.space).toEqual({ version: 'space-wide', dim: 24 });
    const err = await store.search(query(1), 1).catch((e: unknown) => e);
    expect(isRosettaError(err, 'DIMENSION_MISMATCH')).toBe(true);
    for (const n of [0, 299, 1000]) {
      const hit = (await store.search(query(n, wide), 1))[0];
      expect(hit.item.externalId).toBe(makeItem(n).externalId);
      expect(hit.score).toBeCloseTo(1, 5);
    }
    await store.close();
    const again = await openStore(store.dir, { projector: wide });
    open.push(again);
    expect(again.openReport.action).toBe('loaded');
    expect(again.stats().vectors).toBe(301);
  });

  it('compacts away deleted holes while searches continue, keeping the same answers', async () => {
    const store = await seeded(120);
    for (let n = 0; n < 120; n += 3) await store.deleteItem(makeItem(n).externalId);
    const before = await store.search(query(7), 10);
    const compacting = store.compact();
    const during = await Promise.all([1, 2, 4, 5].map((n) => store.search(query(n), 1)));
    expect(await compacting).toEqual({ vectors: 80, skipped: 0 });
    expect(during.map((h) => h[0].item.externalId)).toEqual([1, 2, 4, 5].map((n) => makeItem(n).externalId));
    expect((await store.search(query(7), 10)).map((h) => h.id)).toEqual(before.map((h) => h.id));
  });
});
