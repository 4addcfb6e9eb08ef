import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { isRosettaError } from '../models/errors.ts';
import { migrate, openStore, randomLinearProjector, type CollectionStore, type NewItem, type Projector } from '../indexer/store/index.ts';
import { fingerprint } from '../indexer/store/index-file.ts';
import { toBlob } from '../indexer/store/codec.ts';
import { IMAGE_ENCODER, imageFeature, makeItem, sha, testProjector } from '../indexer/store/testing.ts';

const root = mkdtempSync(join(tmpdir(), 'rosetta-recovery-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const open: CollectionStore[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});
let dirs = 0;
const COUNT = 40;

async function reopen(dir: string, projector: Projector = testProjector()): Promise<CollectionStore> {
  const store = await openStore(dir, { projector });
  open.push(store);
  return store;
}

/** A closed collection of COUNT items, saved. */
async function seeded(): Promise<string> {
  const dir = join(root, `c${++dirs}`);
  const store = await openStore(dir, { projector: testProjector() });
  for (let n = 0; n < COUNT; n++) await store.addItem(makeItem(n));
  await store.close();
  return dir;
}

/** Every item is found first by its own projected features. */
async function expectSearchable(store: CollectionStore, ns: number[], projector = testProjector()): Promise<void> {
  for (const n of ns) {
    const item: NewItem = makeItem(n);
    const hit = (await store.search(projector.project({ modality: item.modality, features: item.features })!, 1))[0];
    expect(hit.item.externalId).toBe(item.externalId);
    expect(hit.score).toBeCloseTo(1, 5);
  }
}

const all = [...Array(COUNT).keys()];

describe('opening a collection whose index file is damaged', () => {
  it('rebuilds a deleted index file from the stored features', async () => {
    const dir = await seeded();
    rmSync(join(dir, 'vectors.hnsw'));
    const store = await reopen(dir);
    expect(store.openReport).toMatchObject({ action: 'rebuilt', reprojected: COUNT });
    expect(store.openReport.reason).toContain('missing');
    expect(existsSync(join(dir, 'vectors.hnsw'))).toBe(true);
    await expectSearchable(store, all);
  });

  it('rebuilds a truncated index file', async () => {
    const dir = await seeded();
    const path = join(dir, 'vectors.hnsw');
    truncateSync(path, Math.floor(statSync(path).size / 2));
    const store = await reopen(dir);
    expect(store.openReport).toMatchObject({ action: 'rebuilt', reprojected: COUNT });
    expect(store.openReport.reason).toContain('bytes');
    await expectSearchable(store, all);
  });

  it('rebuilds an index file with one flipped byte, which hnswlib would trust', async () => {
    const dir = await seeded();
    const path = join(dir, 'vectors.hnsw');
    const bytes = readFileSync(path);
    bytes[bytes.length - 10] ^= 0xff;
    writeFileSync(path, bytes);
    const store = await reopen(dir);
    expect(store.openReport).toMatchObject({ action: 'rebuilt' });
    expect(store.openReport.reason).toContain('checksum');
    await expectSearchable(store, all);
  });

  it('rebuilds an index file that matches its record but cannot be loaded', async () => {
    const dir = await seeded();
    const path = join(dir, 'vectors.hnsw');
    const bytes = readFileSync(path);
    bytes.writeBigUInt64LE(3n, 32); // hnswlib's label offset: the header no longer adds up
    writeFileSync(path, bytes);
    // Record the damaged file as if the store had written it, so only the load can object.
    const db = new Database(join(dir, 'collection.sqlite'));
    const state = JSON.parse(db.prepare(`SELECT value FROM meta WHERE key = 'index_file'`).pluck().get() as string);
    db.prepare(`UPDATE meta SET value = ? WHERE key = 'index_file'`).run(JSON.stringify({ ...state, ...(await fingerprint(path)) }));
    db.close();
    const store = await reopen(dir);
    expect(store.openReport).toMatchObject({ action: 'rebuilt' });
    expect(store.openReport.reason).toContain('cannot be loaded');
    await expectSearchable(store, all);
  });
});

describe('opening a collection whose database moved on after the last save', () => {
  it('adds an item row written without saving the index', async () => {
    const dir = await seeded();
    const db = new Database(join(dir, 'collection.sqlite'));
    const seq = Number(db.prepare(`SELECT value FROM meta WHERE key = 'change_seq'`).pluck().get()) + 1;
    const id = db
      .prepare(
        `INSERT INTO items (external_id, modality, source_path, content_hash, mime, created_at, updated_at, vector_seq, projected)
         VALUES ('image/1000', 'image', '/x.jpg', ?, 'image/jpeg', 'now', 'now', ?, 1)`,
      )
      .run(sha('content 1000'), seq).lastInsertRowid;
    db.prepare(`INSERT INTO features (item_id, modality, encoder, dim, kind, vector) VALUES (?, 'image', ?, 32, 'dense', ?)`).run(
      id,
      IMAGE_ENCODER,
      toBlob((imageFeature(1000) as { vector: Float32Array }).vector),
    );
    db.close();
    const store = await reopen(dir);
    expect(store.openReport).toMatchObject({ action: 'repaired', reprojected: 1, removed: 0 });
    await expectSearchable(store, [...all, 1000]);
    expect(store.stats().vectors).toBe(COUNT + 1);
    await store.close();
    expect((await reopen(dir)).openReport.action).toBe('loaded');
  });

  it('drops the vector of an item row deleted without saving the index', async () => {
    const dir = await seeded();
    const db = new Database(join(dir, 'collection.sqlite'));
    db.pragma('foreign_keys = ON');
    db.prepare(`DELETE FROM items WHERE external_id = 'image/4'`).run();
    db.close();
    const store = await reopen(dir);
    expect(store.openReport).toMatchObject({ action: 'repaired', reprojected: 0, removed: 1 });
    expect(store.stats()).toMatchObject({ items: COUNT - 1, vectors: COUNT - 1 });
    const q = testProjector().project({ modality: 'image', features: makeItem(4).features })!;
    expect((await store.search(q, COUNT)).map((h) => h.item.externalId)).not.toContain('image/4');
  });

  it('catches up adds, updates and deletes made after the last save (a copy taken mid-session)', async () => {
    const dir = await seeded();
    const store = await reopen(dir);
    for (let n = COUNT; n < COUNT + 5; n++) await store.addItem(makeItem(n));
    await store.updateItem('image/2', { features: [imageFeature(777)] });
    await store.deleteItem('audio/3');
    // What a crash leaves: the committed database, and the index file of the last save.
    const copy = join(root, `crash${++dirs}`);
    mkdirSync(copy);
    for (const f of ['collection.sqlite', 'collection.sqlite-wal', 'vectors.hnsw']) {
      if (existsSync(join(dir, f))) copyFileSync(join(dir, f), join(copy, f));
    }
    const recovered = await reopen(copy);
    expect(recovered.openReport).toMatchObject({ action: 'repaired', reprojected: 6, removed: 1 });
    await expectSearchable(recovered, [...all.filter((n) => n !== 2 && n !== 3), COUNT, COUNT + 4]);
    const q = testProjector().project({ modality: 'image', features: [imageFeature(777)] })!;
    const hit = (await recovered.search(q, 1))[0];
    expect(hit.item.externalId).toBe('image/2');
    expect(hit.score).toBeCloseTo(1, 5);
    expect(recovered.stats()).toMatchObject({ items: COUNT + 4, vectors: COUNT + 4 });
  });

  it('recovers after the process is killed mid-session, taking over its stale lock', async () => {
    const dir = await seeded();
    const script = `
      import { openStore } from ${JSON.stringify(resolve('indexer/store/index.ts'))};
      import { makeItem, testProjector } from ${JSON.stringify(resolve('indexer/store/testing.ts'))};
      const store = await openStore(${JSON.stringify(dir)}, { projector: testProjector() });
      for (let n = ${COUNT}; n < ${COUNT + 10}; n++) await store.addItem(makeItem(n));
      await store.deleteItem('image/0');
      process.kill(process.pid, 'SIGKILL');
    `;
    const child = promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script]);
    const err = await child.catch((e: { signal?: string }) => e);
    expect((err as { signal?: string }).signal).toBe('SIGKILL');
    expect(existsSync(join(dir, 'LOCK'))).toBe(true);
    const store = await reopen(dir);
    expect(store.openReport).toMatchObject({ action: 'repaired', reprojected: 10, removed: 1 });
    await expectSearchable(store, [...all.slice(1), COUNT, COUNT + 9]);
  });
});

describe('opening a collection with another projector', () => {
  it('re-projects everything when the projector version changes', async () => {
    const dir = await seeded();
    // Another seed: the same items land elsewhere, so stale vectors would not be found.
    const v2 = randomLinearProjector({ version: 'space-2', dim: 16, seed: 99 });
    const store = await reopen(dir, v2);
    expect(store.openReport).toMatchObject({ action: 'rebuilt', reprojected: COUNT });
    expect(store.openReport.reason).toMatch(/space-1.*space-2/);
    expect(store.space.version).toBe('space-2');
    await expectSearchable(store, all, v2);
    await store.close();
    expect((await reopen(dir, v2)).openReport.action).toBe('loaded');
  });

  it('re-projects into a space of another dimension and refuses queries of the old one', async () => {
    const dir = await seeded();
    const wide = testProjector('space-wide', 24);
    const store = await reopen(dir, wide);
    expect(store.openReport).toMatchObject({ action: 'rebuilt', reprojected: COUNT });
    expect(store.space).toEqual({ version: 'space-wide', dim: 24 });
    await expectSearchable(store, all, wide);
    const err = await store.search(new Float32Array(16).fill(1), 1).catch((e: unknown) => e);
    expect(isRosettaError(err, 'DIMENSION_MISMATCH')).toBe(true);
    await store.close();
    expect((await reopen(dir, wide)).openReport.action).toBe('loaded');
  });

  it('leaves out items the new projector cannot place, and records that', async () => {
    const dir = await seeded();
    const imagesOnly = testProjector('images-only', 16, [IMAGE_ENCODER]);
    const store = await reopen(dir, imagesOnly);
    expect(store.stats()).toMatchObject({ items: COUNT, vectors: COUNT / 2 });
    expect(store.getItem('audio/1').indexed).toBe(false);
    expect(store.getItem('image/2').indexed).toBe(true);
    await store.close();
    expect((await reopen(dir, imagesOnly)).openReport.action).toBe('loaded');
  });
});

describe('opening older or broken databases', () => {
  it('upgrades a version 1 collection and builds its index and caption search', async () => {
    const dir = join(root, `old${++dirs}`);
    mkdirSync(dir);
    const db = new Database(join(dir, 'collection.sqlite'));
    migrate(db, 1);
    const id = db
      .prepare(
        `INSERT INTO items (external_id, modality, source_path, content_hash, mime, created_at, updated_at, projected)
         VALUES ('image/2', 'image', '/2.jpg', ?, 'image/jpeg', 'then', 'then', 1)`,
      )
      .run(sha('content 2')).lastInsertRowid;
    db.prepare(`INSERT INTO captions (item_id, text, source) VALUES (?, 'a heron at dawn', 'manifest')`).run(id);
    db.prepare(`INSERT INTO features (item_id, modality, encoder, dim, kind, vector) VALUES (?, 'image', ?, 32, 'dense', ?)`).run(
      id,
      IMAGE_ENCODER,
      toBlob((imageFeature(2) as { vector: Float32Array }).vector),
    );
    db.close();
    const store = await reopen(dir);
    expect(store.openReport).toMatchObject({ action: 'rebuilt', reprojected: 1 });
    expect(store.keywordSearch('heron').map((h) => h.item.externalId)).toEqual(['image/2']);
    await expectSearchable(store, [2]);
  });

  it('refuses a database file that is not SQLite with INVALID_ARGUMENT, releasing the lock', async () => {
    const dir = join(root, `junk${++dirs}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'collection.sqlite'), Buffer.alloc(4096, 7));
    const err = await openStore(dir, { projector: testProjector() }).catch((e: unknown) => e);
    expect(isRosettaError(err, 'INVALID_ARGUMENT')).toBe(true);
    expect((err as Error).message).toContain('collection.sqlite');
    expect(existsSync(join(dir, 'LOCK'))).toBe(false);
  });
});
