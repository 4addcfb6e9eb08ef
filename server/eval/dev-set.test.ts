// The development benchmark, built from a real small demo build (and from the full one when the
// default space's cache holds it): every target is an eval-split item, every file exists, and
// each type's relevance follows its rule.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDemoData, type DemoItem, type ImageMeta } from '../../data/demo/index.ts';
import { categoryWords } from '../../models/space/index.ts';
import { buildDevQueries, devCollection, DEV_QUERY_TYPES, writeDevQueries, type DevQuery } from './dev-set.ts';
import { readQueries } from './queries.ts';

const root = mkdtempSync(path.join(tmpdir(), 'rosetta-dev-set-'));
const small = path.join(root, 'demo-small');
const full = fileURLToPath(new URL('../../models/cache/demo-full', import.meta.url));

beforeAll(async () => {
  await buildDemoData({ dir: small, size: 'small' });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function readItems(dir: string): Map<string, DemoItem> {
  const lines = readFileSync(path.join(dir, 'items.jsonl'), 'utf8').split('\n').filter((l) => l.trim() !== '');
  return new Map(lines.map((l) => JSON.parse(l) as DemoItem).map((i) => [i.id, i]));
}

const imageMeta = (i: DemoItem) => i.meta as ImageMeta;

/** The invariants every dev query of a build must hold, checked against items.jsonl as written. */
function checkQueries(dir: string, queries: readonly DevQuery[]): void {
  const items = readItems(dir);
  const evalItems = [...items.values()].filter((i) => i.split === 'eval');
  const byPath = new Map([...items.values()].map((i) => [i.path, i]));
  expect(new Set(queries.map((q) => q.qid)).size).toBe(queries.length);
  for (const q of queries) {
    const where = `${q.qid} (${q.type})`;
    for (const id of [...q.relevant, ...(q.exclude ?? [])]) {
      expect(items.get(id)?.split, `${where}: ${id}`).toBe('eval');
    }
    for (const id of q.relevant) expect(q.modalities, `${where}: ${id}`).toContain(items.get(id)!.modality);
    for (const id of q.exclude ?? []) expect(q.relevant, where).not.toContain(id);
    for (const file of [q.image, q.sketch, q.audio]) {
      if (file === undefined) continue;
      expect(existsSync(path.join(dir, file)), `${where}: ${file}`).toBe(true);
    }
    // The query's own media is an eval item too (a sketch: the drawing of an eval image).
    if (q.image !== undefined) expect(byPath.get(q.image)?.split, where).toBe('eval');
    if (q.audio !== undefined) expect(byPath.get(q.audio)?.split, where).toBe('eval');
    if (q.sketch !== undefined) expect(evalItems.some((i) => i.modality === 'image' && imageMeta(i).sketch === q.sketch), where).toBe(true);

    const rel = q.relevant.map((id) => items.get(id)!);
    switch (q.type) {
      case 'text→image':
      case 'text→audio':
        for (const i of rel) expect(i.meta.caption, where).toBe(q.text);
        expect(rel.length).toBe(evalItems.filter((i) => i.modality === q.modalities![0] && i.meta.caption === q.text).length);
        break;
      case 'sketch→image':
        expect(rel.length).toBe(evalItems.filter((i) => i.modality === 'image' && imageMeta(i).sketch === q.sketch).length);
        break;
      case 'composed':
        expect(q.text, where).toBeTruthy();
        expect(imageMeta(rel[0]).family).toBe(imageMeta(items.get(q.exclude![0])!).family);
        break;
      case 'audio→image': {
        const words = categoryWords(byPath.get(q.audio!)!.meta.caption);
        for (const i of rel) expect([...categoryWords(i.meta.caption)].some((w) => words.has(w)), `${where}: ${i.id}`).toBe(true);
        break;
      }
      case 'image→image': {
        const self = byPath.get(q.image!)!;
        expect(q.exclude).toEqual([self.id]);
        expect(q.relevant).not.toContain(self.id);
        for (const i of rel) expect(imageMeta(i).family).toBe(imageMeta(self).family);
        expect(rel.length).toBe(evalItems.filter((i) => i.modality === 'image' && imageMeta(i).family === imageMeta(self).family).length - 1);
        break;
      }
    }
  }
  // Types come in DEV_QUERY_TYPES order, each sorted by qid.
  const order = queries.map((q) => [DEV_QUERY_TYPES.indexOf(q.type), q.qid] as const);
  const sorted = [...order].sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : 1));
  expect(order).toEqual(sorted);
}

describe('buildDevQueries on the small demo build', () => {
  let queries: DevQuery[];
  beforeAll(async () => {
    queries = await buildDevQueries(small);
  });

  it('targets only eval-split items, with files that exist and relevance by each type rule', () => {
    checkQueries(small, queries);
  });

  it('has text→image, sketch→image, composed, text→audio and image→image queries', () => {
    const types = new Set(queries.map((q) => q.type));
    for (const t of ['text→image', 'sketch→image', 'composed', 'text→audio', 'image→image'] as const) expect(types, t).toContain(t);
  });

  it("has audio→image queries only from object sounds: no jsfxr sound of the small build shares a word with an eval image", () => {
    // The small build's 150 images are mostly skin-tone families; its jsfxr sounds are
    // explosions, power-ups, beeps and clicks, whose tags none of its eval emoji has. The object
    // sounds' sources are named by image tags, and the split holds out some images of each.
    const evalItems = [...readItems(small).values()].filter((i) => i.split === 'eval');
    const imageWords = new Set(evalItems.filter((i) => i.modality === 'image').flatMap((i) => [...categoryWords(i.meta.caption)]));
    const shared = evalItems.filter((i) => i.modality === 'audio' && [...categoryWords(i.meta.caption)].some((w) => imageWords.has(w)));
    expect(shared.length).toBeGreaterThan(0);
    expect(shared.every((i) => i.id.startsWith('snd-'))).toBe(true);
    expect(queries.filter((q) => q.type === 'audio→image').map((q) => q.qid)).toEqual(shared.map((i) => `a2i-${i.id}`).sort());
  });

  it('takes every composed query of the eval split and none of the train split', () => {
    const lines = readFileSync(path.join(small, 'composed.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { qid: string; split: string });
    const evalQids = lines.filter((l) => l.split === 'eval').map((l) => l.qid).sort();
    expect(evalQids.length).toBeGreaterThan(0);
    expect(queries.filter((q) => q.type === 'composed').map((q) => q.qid)).toEqual(evalQids);
  });

  it('is the same on a second build, and a cap keeps a seeded subset of each type', async () => {
    expect(await buildDevQueries(small)).toEqual(queries);
    const capped = await buildDevQueries(small, { perType: 5, seed: 3 });
    for (const type of DEV_QUERY_TYPES) {
      const all = queries.filter((q) => q.type === type);
      const kept = capped.filter((q) => q.type === type);
      expect(kept.length).toBe(Math.min(5, all.length));
      for (const q of kept) expect(all).toContainEqual(q);
    }
    const otherSeed = await buildDevQueries(small, { perType: 5, seed: 4 });
    expect(otherSeed.map((q) => q.qid)).not.toEqual(capped.map((q) => q.qid));
  });

  it('writes JSONL that the query reader reads back unchanged', async () => {
    const file = path.join(root, 'dev-queries.jsonl');
    await writeDevQueries(file, queries);
    expect(await readQueries(file)).toEqual(queries);
  });

  it('rejects a cap that is not a positive integer with INVALID_ARGUMENT', async () => {
    await expect(buildDevQueries(small, { perType: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('reports a folder without items.jsonl as NOT_FOUND', async () => {
    await expect(buildDevQueries(path.join(root, 'nowhere'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('devCollection', () => {
  it('lists every eval item once, without captions unless asked', async () => {
    const items = readItems(small);
    const evalIds = [...items.values()].filter((i) => i.split === 'eval').map((i) => i.id);
    const bare = await devCollection(small);
    expect(bare.map((i) => i.id)).toEqual(evalIds);
    expect(bare.every((i) => i.caption === undefined && existsSync(path.join(small, i.path)))).toBe(true);
    const captioned = await devCollection(small, { captions: true });
    for (const i of captioned) expect(i.caption).toBe(items.get(i.id)!.caption);
    expect(captioned.some((i) => i.caption !== undefined)).toBe(true);
  });
});

// The full build lives in the default space's cache (test/space.test.ts builds it when missing);
// only it has sounds and emoji that share category words, so only it shows all six types.
describe.skipIf(!existsSync(path.join(full, 'items.jsonl')))('buildDevQueries on the full demo build', () => {
  it('has all six query types, at most 200 each, all targets in the eval split', async () => {
    const queries = await buildDevQueries(full);
    checkQueries(full, queries);
    for (const type of DEV_QUERY_TYPES) {
      const n = queries.filter((q) => q.type === type).length;
      expect(n, type).toBeGreaterThan(0);
      expect(n, type).toBeLessThanOrEqual(200);
    }
  });
});
