/**
 * The first run, end to end: the small demo collection built from a clean data directory, a
 * server started on it, and every kind of query through the HTTP API, each asserting that the
 * item the demo's manifests say it should find ranks in the top 10.
 *
 * Which item a query should find comes from the manifests, never from a run: a caption finds
 * its item, a line drawing its image, a composed query the variant composed.jsonl names, an
 * image itself and its skin-tone/gender family. Each kind runs over every query of its kind
 * held out of training and must find its item for a share far above chance (10 of 150 images,
 * 10 of 88 sounds), with the measured shares beside each threshold.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_VERSION } from '../data/demo/index.ts';
import { openStore } from '../indexer/store/index.ts';
import { buildDemoCollection, DEMO_DONE_FILE, DEMO_MEDIA_DIR, hasCollection, startServer, type DemoCollectionReport, type RunningServer } from '../server/index.ts';
import { cacheDir, dataUrl, demoComposed, demoFile, demoItems, modelsDir, rankOf, removeTemp, results, tempDir, type DemoItem, type SearchBody } from './api/helpers.ts';

let dataDir: string;
let report: DemoCollectionReport;
let server: RunningServer;
let url: string;
let items: DemoItem[];

beforeAll(async () => {
  dataDir = path.join(tempDir('demo-e2e'), 'collection');
  expect(existsSync(dataDir)).toBe(false);
  report = await buildDemoCollection({ dataDir, modelsDir, cacheDir, size: 'small' });
  server = await startServer({ dataDir, modelsDir, cacheDir, port: 0, logger: pino({ level: 'silent' }), watchSpace: false });
  await server.ready;
  url = server.url;
  items = demoItems(dataDir);
});

afterAll(async () => {
  await server?.close();
  removeTemp(dataDir);
});

/** Runs each query and returns the share whose expected item is in the top 10, and the misses. */
async function top10Share<Q>(queries: Q[], run: (q: Q) => Promise<{ body: SearchBody; expected: string[] }>) {
  const misses: string[] = [];
  for (const q of queries) {
    const { body, expected } = await run(q);
    if (!expected.some((id) => rankOf(body, id) >= 0 && rankOf(body, id) < 10)) misses.push(expected.join('|'));
  }
  return { share: (queries.length - misses.length) / queries.length, misses, n: queries.length };
}

const png = (rel: string) => dataUrl('image/png', demoFile(dataDir, rel));
const wav = (rel: string) => dataUrl('audio/wav', demoFile(dataDir, rel));

describe('the small demo collection, built from nothing', () => {
  it('indexes every item of its manifest, leaves a share uncaptioned, and marks the build complete', async () => {
    expect(report.size).toBe('small');
    expect(report.index.failed).toBe(0);
    expect(report.index.indexed).toBe(items.length);
    expect(existsSync(path.join(dataDir, DEMO_DONE_FILE))).toBe(true);
    const info = (await (await fetch(`${url}/api/info`)).json()) as { items: number; byModality: { image: number; audio: number } };
    expect(info.items).toBe(items.length);
    expect(info.byModality.image).toBeGreaterThan(100);
    expect(info.byModality.audio).toBeGreaterThan(30);
    expect(items.filter((i) => !i.caption && i.modality === 'image').length).toBeGreaterThan(10);
    expect(items.filter((i) => !i.caption && i.modality === 'audio').length).toBeGreaterThan(5);
    const health = await fetch(`${url}/api/health`);
    expect(health.status).toBe(200);
  });
});

describe('a directory that holds another collection', () => {
  /** A real (empty) collection, as `rosetta index` leaves one. */
  async function collection(prefix: string): Promise<string> {
    const dir = path.join(tempDir(prefix), 'collection');
    const store = await openStore(dir, { projector: { version: 'test', dim: 4, project: () => Float32Array.of(1, 0, 0, 0) } });
    await store.close();
    return dir;
  }

  it('is not built into: the demo would be added to its items (INVALID_ARGUMENT, the collection untouched)', async () => {
    const dir = await collection('demo-not-demo');
    try {
      const before = readdirSync(dir).sort();
      await expect(buildDemoCollection({ dataDir: dir, modelsDir, cacheDir, size: 'small' })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining('not the demo'),
      });
      expect(readdirSync(dir).sort()).toEqual(before);
      expect(hasCollection(dir)).toBe(true);
    } finally {
      removeTemp(dir);
    }
  });

  it('is a demo to build again when an earlier demo builder made it (no or another DEMO_VERSION)', async () => {
    const dir = await collection('demo-old-version');
    try {
      mkdirSync(path.join(dir, DEMO_MEDIA_DIR));
      writeFileSync(path.join(dir, DEMO_DONE_FILE), JSON.stringify({ size: 'small' }));
      expect(hasCollection(dir)).toBe(false);
      writeFileSync(path.join(dir, DEMO_DONE_FILE), JSON.stringify({ size: 'small', demoVersion: DEMO_VERSION }));
      expect(hasCollection(dir)).toBe(true);
    } finally {
      removeTemp(dir);
    }
  });
});

describe('one kind of query at a time, through POST /api/search', () => {
  it('text -> image: a held-out image\'s name finds it, keyword fusion on (measured 0.85 of 34)', async () => {
    const evalImages = items.filter((i) => i.modality === 'image' && i.split === 'eval');
    const r = await top10Share(evalImages, async (i) => ({ body: await results(url, { text: i.meta.annotation, modalities: ['image'], k: 10 }), expected: [i.id] }));
    expect(r.n).toBeGreaterThan(20);
    expect(r.share, `missed: ${r.misses.join(', ')}`).toBeGreaterThanOrEqual(0.6);
  });

  // Items indexed without captions can only be found through the shared space, so these two
  // switch keyword fusion off: with it, captioned items that share a word outrank them.
  it('text -> image through the shared space alone: an image indexed without a caption is found by the caption it was not given (measured 0.58 of 45)', async () => {
    const uncaptioned = items.filter((i) => i.modality === 'image' && !i.caption);
    const r = await top10Share(uncaptioned, async (i) => ({ body: await results(url, { text: i.meta.annotation, hybrid: false, modalities: ['image'], k: 10 }), expected: [i.id] }));
    expect(r.n).toBeGreaterThan(20);
    expect(r.share, `missed: ${r.misses.join(', ')}`).toBeGreaterThanOrEqual(0.35);
  });

  it('text -> audio: a sound indexed without a caption is found by the caption it was not given (measured 26 of 26)', async () => {
    const uncaptioned = items.filter((i) => i.modality === 'audio' && !i.caption);
    const r = await top10Share(uncaptioned, async (i) => ({ body: await results(url, { text: i.meta.caption, hybrid: false, modalities: ['audio'], k: 10 }), expected: [i.id] }));
    expect(r.n).toBeGreaterThan(5);
    expect(r.share, `missed: ${r.misses.join(', ')}`).toBeGreaterThanOrEqual(0.7);
  });

  it('sketch -> image: a held-out image\'s line art finds it (measured 0.68 of 34)', async () => {
    const sketched = items.filter((i) => i.modality === 'image' && i.split === 'eval' && i.meta.sketch);
    const r = await top10Share(sketched, async (i) => ({ body: await results(url, { sketch: png(i.meta.sketch!), modalities: ['image'], k: 10 }), expected: [i.id] }));
    expect(r.n).toBeGreaterThan(20);
    expect(r.share, `missed: ${r.misses.join(', ')}`).toBeGreaterThanOrEqual(0.5);
  });

  it('composed image + text: a held-out composed query finds the variant it names, with the tuned default weight (measured 27 of 27)', async () => {
    const composed = demoComposed(dataDir).filter((c) => c.split === 'eval');
    const r = await top10Share(composed, async (c) => {
      const body = await results(url, { image: png(c.image), text: c.text, modalities: ['image'], k: 10 });
      expect(body.queryType).toBe('composed');
      return { body, expected: c.relevant };
    });
    expect(r.n).toBeGreaterThan(10);
    expect(r.share, `missed: ${r.misses.join(', ')}`).toBeGreaterThanOrEqual(0.5);
  });

  it('image -> image: every held-out image finds itself first, and a sibling of its family in the top 10', async () => {
    const evalImages = items.filter((i) => i.modality === 'image' && i.split === 'eval');
    const family = (i: DemoItem) => items.filter((x) => x.modality === 'image' && x.meta.family === i.meta.family && x.id !== i.id).map((x) => x.id);
    let withFamily = 0;
    let familyFound = 0;
    for (const i of evalImages) {
      const body = await results(url, { image: png(i.path), modalities: ['image'], k: 11 });
      expect(body.results[0].externalId).toBe(i.id);
      const siblings = family(i);
      if (siblings.length === 0) continue;
      withFamily++;
      if (siblings.some((id) => rankOf(body, id) >= 1)) familyFound++;
    }
    expect(withFamily).toBeGreaterThan(5);
    expect(familyFound / withFamily).toBeGreaterThanOrEqual(0.9);
  });

  it('audio -> image: a sound finds the images its own caption finds (measured 3.25 of 10 shared, chance 0.67)', async () => {
    // Few sounds and images of the small demo share a category (its 150 images are mostly
    // skin-tone families), so no single image is "the" answer; what the shared space promises
    // is that a sound lands where its description does, so both find the same images.
    const sounds = items.filter((i) => i.modality === 'audio');
    let shared = 0;
    for (const s of sounds) {
      const byAudio = await results(url, { audio: wav(s.path), modalities: ['image'], k: 10 });
      expect(byAudio.queryType).toBe('audio');
      expect(byAudio.results.every((r) => r.modality === 'image')).toBe(true);
      const byText = await results(url, { text: s.meta.caption, hybrid: false, modalities: ['image'], k: 10 });
      const images = new Set(byText.results.map((r) => r.id));
      shared += byAudio.results.filter((r) => images.has(r.id)).length;
    }
    expect(shared / sounds.length).toBeGreaterThanOrEqual(1.5);
  });

  it('the credits of the data travel with the collection', () => {
    const credits = JSON.parse(readFileSync(path.join(dataDir, 'credits.json'), 'utf8')) as { name: string; license: string }[];
    expect(credits).toContainEqual(expect.objectContaining({ name: 'OpenMoji', license: 'CC BY-SA 4.0' }));
  });
});
