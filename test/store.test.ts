import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isRosettaError, type ErrorCode } from '../models/errors.ts';
import {
  openStore,
  schemaVersion,
  type CollectionStore,
  type NewItem,
  type Projector,
  type StoredFeature,
} from '../indexer/store/index.ts';
import {
  IMAGE_ENCODER,
  SPACE_DIM,
  audioFeature,
  imageFeature,
  makeItem,
  sha,
  testProjector,
  textFeature,
} from '../indexer/store/testing.ts';
import { ExactIndex } from '../indexer/vector/index.ts';

const root = mkdtempSync(join(tmpdir(), 'rosetta-store-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const open: CollectionStore[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

async function fresh(projector: Projector = testProjector()): Promise<CollectionStore> {
  const store = await openStore(join(root, `c${++dirs}`), { projector });
  open.push(store);
  return store;
}

function queryFor(item: NewItem, projector = testProjector()): Float32Array {
  return projector.project({ modality: item.modality, features: item.features })!;
}

async function failure(work: Promise<unknown> | (() => unknown)): Promise<Error> {
  try {
    await (typeof work === 'function' ? work() : work);
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a failure');
}

async function expectCode(work: Promise<unknown> | (() => unknown), code: ErrorCode, ...words: string[]) {
  const err = await failure(work);
  expect(isRosettaError(err, code), `${code} expected, got ${String(err)}`).toBe(true);
  for (const w of words) expect(err.message).toContain(w);
}

let webp: Buffer;
beforeAll(async () => {
  webp = await sharp({ create: { width: 4, height: 4, channels: 3, background: 'red' } }).webp().toBuffer();
});

describe('openStore', () => {
  it('creates the database and the index file in a new directory', async () => {
    const store = await fresh();
    expect(store.openReport.action).toBe('created');
    expect(existsSync(join(store.dir, 'collection.sqlite'))).toBe(true);
    expect(existsSync(join(store.dir, 'vectors.hnsw'))).toBe(true);
    expect(store.space).toEqual({ version: 'space-1', dim: SPACE_DIM });
    await store.close();
    const db = new Database(join(store.dir, 'collection.sqlite'), { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(schemaVersion);
    db.close();
  });

  it('turns on foreign keys, so deleting an item deletes what hangs off it', async () => {
    const store = await fresh();
    const { id } = await store.addItem(makeItem(2, { captions: [{ text: 'a red kite', source: 'user' }], thumbnail: webp }));
    await store.deleteItem(id);
    expect(store.stats()).toMatchObject({ items: 0, captions: 0, thumbnails: 0, features: [] });
  });

  it('refuses a second open of a directory that is open, and allows it after close', async () => {
    const store = await fresh();
    await expectCode(openStore(store.dir, { projector: testProjector() }), 'INVALID_ARGUMENT', 'LOCK');
    await store.close();
    const again = await openStore(store.dir, { projector: testProjector() });
    open.push(again);
    expect(again.openReport.action).toBe('loaded');
  });

  it('works with the exact index in place of HNSW', async () => {
    const dir = join(root, `exact${++dirs}`);
    const store = await openStore(dir, { projector: testProjector(), createIndex: (dim) => new ExactIndex(dim) });
    open.push(store);
    for (let n = 0; n < 6; n++) await store.addItem(makeItem(n));
    const hits = await store.search(queryFor(makeItem(4)), 6);
    expect(hits[0].item.externalId).toBe('image/4');
    expect(hits).toHaveLength(6);
    await store.close();
    const again = await openStore(dir, { projector: testProjector(), createIndex: (dim) => new ExactIndex(dim) });
    open.push(again);
    expect(again.openReport.action).toBe('loaded');
    expect(again.stats().vectors).toBe(6);
  });

  it('rejects a projector without a version or a dimension with INVALID_ARGUMENT', async () => {
    const p = testProjector();
    await expectCode(openStore(join(root, 'bad1'), { projector: { ...p, project: p.project, version: '' } }), 'INVALID_ARGUMENT', 'version');
    await expectCode(openStore(join(root, 'bad2'), { projector: { ...p, project: p.project, dim: 0 } }), 'INVALID_ARGUMENT', 'dim');
  });
});

describe('addItem', () => {
  it('adds an item that getItem returns by id and by externalId, and search finds', async () => {
    const store = await fresh();
    const input = makeItem(2, { captions: [{ text: 'a red kite', source: 'manifest' }], thumbnail: webp });
    const { id, status } = await store.addItem(input);
    expect(status).toBe('added');
    const item = store.getItem(id);
    expect(item).toMatchObject({
      id,
      externalId: 'image/2',
      modality: 'image',
      contentHash: input.contentHash,
      mime: 'image/jpeg',
      width: 640,
      height: 480,
      duration: null,
      captions: [{ text: 'a red kite', source: 'manifest' }],
      hasThumbnail: true,
      indexed: true,
    });
    expect(store.getItem('image/2')).toEqual(item);
    expect(store.findByHash(input.contentHash)?.id).toBe(id);
    expect(store.getThumbnail(id).equals(webp)).toBe(true);
    const hits = await store.search(queryFor(input), 1);
    expect(hits[0].id).toBe(id);
    expect(hits[0].score).toBeCloseTo(1, 5);
    expect(hits[0].item.externalId).toBe('image/2');
  });

  it('stores features exactly, dense and sparse', async () => {
    const store = await fresh();
    const features: StoredFeature[] = [imageFeature(4), textFeature([3, 17, 999])];
    const { id } = await store.addItem(makeItem(4, { features }));
    expect(store.getFeatures(id)).toEqual(features);
  });

  it('reports unchanged for the same item again and writes nothing', async () => {
    const store = await fresh();
    const input = makeItem(2, { captions: [{ text: 'kite', source: 'sidecar' }], thumbnail: webp });
    const { id } = await store.addItem(input);
    const before = store.getItem(id);
    expect(await store.addItem(makeItem(2, { captions: [{ text: 'kite', source: 'sidecar' }], thumbnail: webp }))).toEqual({
      id,
      status: 'unchanged',
    });
    expect(store.getItem(id)).toEqual(before);
    expect(store.stats().items).toBe(1);
  });

  it('stores a file once: the same content under another externalId is a duplicate', async () => {
    const store = await fresh();
    const { id } = await store.addItem(makeItem(2));
    expect(await store.addItem(makeItem(2, { externalId: 'copy/2.jpg' }))).toEqual({ id, status: 'duplicate' });
    expect(store.stats().items).toBe(1);
    await expectCode(() => store.getItem('copy/2.jpg'), 'NOT_FOUND', 'copy/2.jpg');
  });

  it('replaces every feature and the vector when the content of an externalId changes', async () => {
    const store = await fresh();
    const { id } = await store.addItem(makeItem(2, { features: [imageFeature(2), textFeature([1, 2])] }));
    const changed = makeItem(2, { contentHash: sha('new bytes'), features: [imageFeature(500)] });
    expect(await store.addItem(changed)).toEqual({ id, status: 'updated' });
    expect(store.getFeatures(id)).toEqual([imageFeature(500)]);
    expect(store.findByHash(sha('content 2'))).toBeUndefined();
    const hit = (await store.search(queryFor(changed), 1))[0];
    expect(hit.id).toBe(id);
    expect(hit.score).toBeCloseTo(1, 5);
    expect(store.stats().vectors).toBe(1);
  });

  it('adds a new encoder feature to an unchanged file without dropping the others', async () => {
    const store = await fresh();
    const { id } = await store.addItem(makeItem(2));
    expect(await store.addItem(makeItem(2, { features: [textFeature([5])] }))).toEqual({ id, status: 'updated' });
    expect(store.getFeatures(id).map((f) => f.modality)).toEqual(['image', 'text']);
  });

  it('replaces manifest and sidecar captions on a re-add and keeps user captions', async () => {
    const store = await fresh();
    const { id } = await store.addItem(makeItem(2, { captions: [{ text: 'old sidecar', source: 'sidecar' }] }));
    await store.updateItem(id, {
      captions: [
        { text: 'old sidecar', source: 'sidecar' },
        { text: 'my kite', source: 'user' },
      ],
    });
    const res = await store.addItem(
      makeItem(2, {
        captions: [
          { text: 'new manifest', source: 'manifest' },
          { text: 'my kite', source: 'user' },
        ],
      }),
    );
    expect(res.status).toBe('updated');
    expect(store.getItem(id).captions).toEqual([
      { text: 'my kite', source: 'user' },
      { text: 'new manifest', source: 'manifest' },
    ]);
  });

  it('stores an item the projector cannot place, unindexed and unsearchable', async () => {
    const projector = testProjector('images-only', SPACE_DIM, [IMAGE_ENCODER]);
    const store = await fresh(projector);
    const { id } = await store.addItem(makeItem(3));
    expect(store.getItem(id).indexed).toBe(false);
    await store.addItem(makeItem(2));
    expect((await store.search(queryFor(makeItem(2), projector), 10)).map((h) => h.item.externalId)).toEqual(['image/2']);
    expect(store.stats()).toMatchObject({ items: 2, vectors: 1 });
  });

  it('rejects bad items with INVALID_ARGUMENT naming the field, and writes nothing', async () => {
    const store = await fresh();
    const bad: [Partial<NewItem> | Record<string, unknown>, string][] = [
      [{ externalId: '' }, 'externalId'],
      [{ contentHash: 'abc' }, 'contentHash'],
      [{ contentHash: sha('x').toUpperCase() }, 'contentHash'],
      [{ modality: 'video' }, 'modality'],
      [{ sourcePath: '' }, 'sourcePath'],
      [{ width: -3 }, 'width'],
      [{ duration: Number.NaN }, 'duration'],
      [{ captions: [{ text: 'x', source: 'ocr' }] }, 'source'],
      [{ captions: [{ text: ' ', source: 'user' }] }, 'text'],
      [{ thumbnail: Buffer.from('not a webp image at all') }, 'thumbnail'],
      [{ features: [imageFeature(1), imageFeature(2)] }, 'repeats'],
      [{ features: [{ ...imageFeature(1), modality: 'smell' }] }, 'modality'],
      [{ features: [{ ...textFeature([1]), dim: 1 }] }, 'sparse'],
      [{ features: [{ ...imageFeature(1), encoder: '' }] }, 'encoder'],
    ];
    for (const [override, word] of bad) {
      await expectCode(store.addItem({ ...makeItem(2), ...override } as NewItem), 'INVALID_ARGUMENT', word);
    }
    expect(store.stats().items).toBe(0);
  });

  it('rejects a dense feature whose length is not its dim with DIMENSION_MISMATCH', async () => {
    const store = await fresh();
    await expectCode(
      store.addItem(makeItem(2, { features: [{ ...imageFeature(1), dim: 33 }] })),
      'DIMENSION_MISMATCH',
      '32',
      '33',
    );
  });

  it('rejects a feature whose dim differs from the stored ones of its encoder, writing nothing', async () => {
    const store = await fresh();
    await store.addItem(makeItem(2));
    const wrong = { kind: 'dense', modality: 'image', encoder: IMAGE_ENCODER, dim: 8, vector: new Float32Array(8).fill(1) } as const;
    await expectCode(store.addItem(makeItem(4, { features: [wrong] })), 'DIMENSION_MISMATCH', '8', '32', IMAGE_ENCODER);
    expect(store.stats().items).toBe(1);
    await expectCode(() => store.getItem('image/4'), 'NOT_FOUND');
  });
});

describe('a projector that misbehaves', () => {
  it('fails the add that made it return a vector of the wrong size, writing nothing', async () => {
    const good = testProjector();
    const store = await fresh({
      version: good.version,
      dim: good.dim,
      project: (item) => (item.modality === 'audio' ? new Float32Array(3).fill(1) : good.project(item)),
    });
    await store.addItem(makeItem(2));
    await expectCode(store.addItem(makeItem(3)), 'DIMENSION_MISMATCH', '3', String(SPACE_DIM));
    expect(store.stats()).toMatchObject({ items: 1, vectors: 1, byModality: { image: 1, audio: 0 } });
    await expectCode(() => store.getItem('audio/3'), 'NOT_FOUND');
  });

  it('fails the add it threw on, writing nothing', async () => {
    const good = testProjector();
    const store = await fresh({
      version: good.version,
      dim: good.dim,
      project: (item) => {
        if (item.modality === 'audio') throw new Error('no audio head');
        return good.project(item);
      },
    });
    expect((await failure(store.addItem(makeItem(3)))).message).toBe('no audio head');
    expect(store.stats()).toMatchObject({ items: 0, vectors: 0 });
  });
});

describe('updateItem, deleteItem and getItem', () => {
  it('updates fields and replaces all captions, and removes the thumbnail with null', async () => {
    const store = await fresh();
    const { id } = await store.addItem(makeItem(2, { captions: [{ text: 'kite', source: 'manifest' }], thumbnail: webp }));
    const res = await store.updateItem('image/2', {
      sourcePath: '/moved/2.jpg',
      width: 10,
      captions: [{ text: 'a blue kite', source: 'user' }],
      thumbnail: null,
    });
    expect(res).toEqual({ id, status: 'updated' });
    expect(store.getItem(id)).toMatchObject({
      sourcePath: '/moved/2.jpg',
      width: 10,
      height: 480,
      captions: [{ text: 'a blue kite', source: 'user' }],
      hasThumbnail: false,
    });
    await expectCode(() => store.getThumbnail(id), 'NOT_FOUND', 'thumbnail');
    expect(await store.updateItem(id, { sourcePath: '/moved/2.jpg' })).toEqual({ id, status: 'unchanged' });
  });

  it('gives page summaries that follow every caption, thumbnail, re-add and delete after a first read', async () => {
    const store = await fresh();
    const { id } = await store.addItem(makeItem(2, { captions: [{ text: 'kite', source: 'manifest' }], thumbnail: webp }));
    const { id: other } = await store.addItem(makeItem(3));
    const summary = () => store.getSummaries([id, other, 999]).get(id);
    expect(summary()).toEqual({ id, externalId: 'image/2', modality: 'image', caption: 'kite', hasThumbnail: true });
    expect(store.getSummaries([id, other, 999]).size).toBe(2);

    await store.updateItem(id, { captions: [{ text: 'a blue kite', source: 'user' }] });
    expect(summary()).toMatchObject({ caption: 'a blue kite', hasThumbnail: true });
    await store.updateItem(id, { thumbnail: null });
    expect(summary()).toMatchObject({ caption: 'a blue kite', hasThumbnail: false });
    // A re-add of the same externalId replaces its manifest captions, keeping the user's first.
    await store.addItem(makeItem(2, { captions: [{ text: 'a red kite', source: 'manifest' }], thumbnail: webp }));
    expect(summary()).toMatchObject({ caption: 'a blue kite', hasThumbnail: true });
    await store.updateItem(id, { captions: [] });
    expect(summary()).toMatchObject({ caption: null });
    // A write that fails is rolled back, and the summary stays the committed one.
    await expectCode(store.updateItem(id, { captions: [{ text: 'lost', source: 'user' }], features: [{ ...imageFeature(5), dim: 31 }] }), 'DIMENSION_MISMATCH');
    expect(summary()).toMatchObject({ caption: null });
    await store.deleteItem(id);
    expect(summary()).toBeUndefined();
    expect(store.getSummaries([other]).get(other)).toMatchObject({ externalId: 'audio/3' });
  });

  it('re-projects an item whose features are updated', async () => {
    const store = await fresh();
    const { id } = await store.addItem(makeItem(2));
    await store.addItem(makeItem(4));
    await store.updateItem(id, { features: [imageFeature(4)] });
    const hits = await store.search(queryFor(makeItem(4)), 2);
    expect(hits.map((h) => h.score)).toEqual([expect.closeTo(1, 5), expect.closeTo(1, 5)]);
  });

  it('deletes an item with its captions, features, thumbnail and vector', async () => {
    const store = await fresh();
    const input = makeItem(2, { captions: [{ text: 'kite', source: 'manifest' }], thumbnail: webp });
    const { id } = await store.addItem(input);
    await store.addItem(makeItem(3));
    await store.deleteItem('image/2');
    await expectCode(() => store.getItem(id), 'NOT_FOUND', String(id));
    expect((await store.search(queryFor(input), 10)).map((h) => h.id)).not.toContain(id);
    expect(store.stats()).toMatchObject({ items: 1, vectors: 1, captions: 0, thumbnails: 0 });
    expect(store.keywordSearch('kite')).toEqual([]);
  });

  it('never reuses the id of a deleted item', async () => {
    const store = await fresh();
    const first = await store.addItem(makeItem(2));
    await store.deleteItem(first.id);
    const second = await store.addItem(makeItem(2));
    expect(second.id).toBeGreaterThan(first.id);
    expect((await store.search(queryFor(makeItem(2)), 1))[0].id).toBe(second.id);
  });

  it('rejects unknown items with NOT_FOUND naming them', async () => {
    const store = await fresh();
    await expectCode(() => store.getItem(42), 'NOT_FOUND', '42');
    await expectCode(() => store.getItem('no/such'), 'NOT_FOUND', 'no/such');
    await expectCode(store.deleteItem(42), 'NOT_FOUND', '42');
    await expectCode(store.updateItem('no/such', { mime: 'image/png' }), 'NOT_FOUND', 'no/such');
    await expectCode(() => store.getItem(1.5), 'INVALID_ARGUMENT');
  });
});

describe('search', () => {
  async function seeded(): Promise<CollectionStore> {
    const store = await fresh();
    for (let n = 0; n < 20; n++) await store.addItem(makeItem(n));
    return store;
  }

  it('filters by modality and by a caller filter', async () => {
    const store = await seeded();
    const q = queryFor(makeItem(6));
    const images = await store.search(q, 20, { modalities: ['image'] });
    expect(images).toHaveLength(10);
    expect(images.every((h) => h.item.modality === 'image')).toBe(true);
    const audio = await store.search(q, 3, { modalities: ['audio'] });
    expect(audio).toHaveLength(3);
    expect(audio.every((h) => h.item.modality === 'audio')).toBe(true);
    const some = await store.search(q, 20, { filter: (id) => id <= 5 });
    expect(some.map((h) => h.id).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);
    expect(await store.search(q, 20, { modalities: ['image', 'audio'] })).toHaveLength(20);
  });

  it('answers a modality with fewer items than k, or none, without error', async () => {
    const store = await fresh();
    for (let n = 0; n < 3; n++) await store.addItem(makeItem(n * 2));
    await store.addItem(makeItem(1));
    expect(await store.search(queryFor(makeItem(1)), 10, { modalities: ['audio'] })).toHaveLength(1);
    await store.deleteItem('audio/1');
    expect(await store.search(queryFor(makeItem(1)), 10, { modalities: ['audio'] })).toEqual([]);
    await expectCode(store.search(new Float32Array(3), 10, { modalities: ['audio'] }), 'DIMENSION_MISMATCH');
    await expectCode(store.search(queryFor(makeItem(1)), 0), 'INVALID_ARGUMENT', 'k');
    expect(store.stats().byModality).toEqual({ image: 3, audio: 0 });
  });

  it('rejects a query of another dimension with DIMENSION_MISMATCH naming both', async () => {
    const store = await seeded();
    await expectCode(store.search(new Float32Array(5).fill(1), 3), 'DIMENSION_MISMATCH', '5', String(SPACE_DIM));
  });

  it('rejects unknown or empty modalities with INVALID_ARGUMENT', async () => {
    const store = await seeded();
    const q = queryFor(makeItem(6));
    await expectCode(store.search(q, 3, { modalities: ['sketch' as 'image'] }), 'INVALID_ARGUMENT', 'modalities');
    await expectCode(store.search(q, 3, { modalities: [] }), 'INVALID_ARGUMENT', 'modalities');
  });
});

describe('keywordSearch', () => {
  it('finds items by caption words, a half-typed last word, and follows edits and deletes', async () => {
    const store = await fresh();
    const a = await store.addItem(makeItem(2, { captions: [{ text: 'A red kite over the Dünen', source: 'manifest' }] }));
    const b = await store.addItem(makeItem(3, { captions: [{ text: 'rain on a red roof', source: 'sidecar' }] }));
    expect(store.keywordSearch('red kite').map((h) => h.id)).toEqual([a.id, b.id]);
    expect(store.keywordSearch('dunen').map((h) => h.id)).toEqual([a.id]);
    expect(store.keywordSearch('roo').map((h) => h.id)).toEqual([b.id]);
    await store.updateItem(a.id, { captions: [{ text: 'a green balloon', source: 'user' }] });
    expect(store.keywordSearch('kite')).toEqual([]);
    expect(store.keywordSearch('balloon')[0].item.externalId).toBe('image/2');
    await store.deleteItem(b.id);
    expect(store.keywordSearch('rain')).toEqual([]);
  });

  it('rejects a query with no words with EMPTY_INPUT, and a bad limit with INVALID_ARGUMENT', async () => {
    const store = await fresh();
    await expectCode(() => store.keywordSearch('"*" ( )'), 'EMPTY_INPUT');
    await expectCode(() => store.keywordSearch('kite', 0), 'INVALID_ARGUMENT', 'limit');
  });
});

describe('listFeatures', () => {
  it('yields every feature of one encoder in id order, across pages', async () => {
    const store = await fresh();
    for (let n = 0; n < 9; n++) await store.addItem(makeItem(n));
    const seen = [...store.listFeatures('image', IMAGE_ENCODER, 2)];
    expect(seen.map((s) => s.itemId)).toEqual([1, 3, 5, 7, 9]);
    expect(seen[1].feature).toEqual(imageFeature(2));
    expect([...store.listFeatures('audio', 'nobody@0#0')]).toEqual([]);
  });
});

describe('jobs', () => {
  it('records a job, its per-file errors and its outcome', async () => {
    const store = await fresh();
    const id = store.startJob('index', { root: '/library' });
    store.recordError(id, { path: '/library/bad.jpg', code: 'CORRUPT_MEDIA', message: 'truncated JPEG' });
    store.recordError(id, { path: '/library/big.wav', code: 'INPUT_TOO_LARGE', message: 'over 50 MB' });
    expect(store.getJob(id)).toMatchObject({ kind: 'index', status: 'running', errorCount: 2, finishedAt: null });
    store.finishJob(id, { status: 'succeeded', counts: { added: 10, failed: 2 } });
    expect(store.getJob(id)).toMatchObject({ status: 'succeeded', counts: { added: 10, failed: 2 }, args: { root: '/library' } });
    expect(store.getJob(id).finishedAt).not.toBeNull();
    expect(store.listJobErrors(id, { limit: 1, offset: 1 })).toEqual([
      { path: '/library/big.wav', code: 'INPUT_TOO_LARGE', message: 'over 50 MB' },
    ]);
    const later = store.startJob('reproject');
    expect(store.listJobs().map((j) => j.id)).toEqual([later, id]);
  });

  it('rejects unknown jobs, a second finish and a bad status', async () => {
    const store = await fresh();
    await expectCode(() => store.recordError(99, { path: 'x', code: 'X', message: 'x' }), 'NOT_FOUND', '99');
    await expectCode(() => store.getJob(99), 'NOT_FOUND', '99');
    const id = store.startJob('index');
    await expectCode(() => store.finishJob(id, { status: 'running' as 'failed' }), 'INVALID_ARGUMENT', 'running');
    store.finishJob(id, { status: 'failed' });
    await expectCode(() => store.finishJob(id, { status: 'succeeded' }), 'INVALID_ARGUMENT', 'already');
    await expectCode(() => store.startJob(''), 'INVALID_ARGUMENT', 'kind');
  });

  it('marks a job left running by a closed process as interrupted on the next open', async () => {
    const store = await fresh();
    const id = store.startJob('index');
    await store.close();
    const again = await openStore(store.dir, { projector: testProjector() });
    open.push(again);
    expect(again.getJob(id).status).toBe('interrupted');
  });
});

describe('stats, save and close', () => {
  it('counts items, vectors and features, and unsaved changes until a save', async () => {
    const store = await fresh();
    for (let n = 0; n < 5; n++) await store.addItem(makeItem(n, n === 0 ? { features: [imageFeature(0), textFeature([1])] } : {}));
    expect(store.stats()).toMatchObject({
      items: 5,
      byModality: { image: 3, audio: 2 },
      vectors: 5,
      unsaved: 5,
      space: { version: 'space-1', dim: SPACE_DIM },
    });
    expect(store.stats().features).toEqual(
      expect.arrayContaining([
        { modality: 'image', encoder: IMAGE_ENCODER, dim: 32, count: 3 },
        { modality: 'text', encoder: expect.any(String), dim: 1000, count: 1 },
      ]),
    );
    await store.flush();
    expect(store.stats().unsaved).toBe(0);
  });

  it('saves on close, and a reopen loads the same vectors without re-projecting', async () => {
    const store = await fresh();
    for (let n = 0; n < 30; n++) await store.addItem(makeItem(n));
    await store.deleteItem('image/4');
    const q = queryFor(makeItem(8));
    const before = await store.search(q, 5);
    await store.close();
    const again = await openStore(store.dir, { projector: testProjector() });
    open.push(again);
    expect(again.openReport).toEqual({ action: 'loaded', reprojected: 0, removed: 0 });
    expect(await again.search(q, 5)).toEqual(before);
    expect(again.stats()).toMatchObject({ items: 29, vectors: 29 });
  });

  it('rejects calls after close with INVALID_ARGUMENT', async () => {
    const store = await fresh();
    await store.close();
    await expectCode(() => store.getItem(1), 'INVALID_ARGUMENT', 'closed');
    await expectCode(store.addItem(makeItem(1)), 'INVALID_ARGUMENT', 'closed');
    await store.close();
  });

  it('accepts audio items with a duration and no size', async () => {
    const store = await fresh();
    const { id } = await store.addItem(makeItem(5, { features: [audioFeature(5)] }));
    expect(store.getItem(id)).toMatchObject({ modality: 'audio', duration: 2.5, width: null, mime: 'audio/wav' });
  });
});
