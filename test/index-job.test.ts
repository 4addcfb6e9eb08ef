// The bulk indexing job end to end: real files in temp directories, the built-in encoders
// (ONNX CNN, audio descriptor, lexical text), a real store with a random linear projector.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../bin/config.ts';
import { registerIndexCommand } from '../bin/commands/index-command.ts';
import { FILE_STATS_FILE, runIndexJob, type IndexEncoders, type IndexJobOptions, type IndexSummary } from '../indexer/job/index.ts';
import { dumpCollection, makeImage, makeWav } from '../indexer/job/testing.ts';
import type { CollectionStore } from '../indexer/store/index.ts';
import { identityKey } from '../models/types.ts';
import { runWithStdoutClosedEarly } from './helpers/cli.ts';
import { loadTestEncoders, openTestStore } from './helpers/index-child.ts';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'rosetta-index-job-'));
let encoders: IndexEncoders;
let prepared = 0;

beforeAll(async () => {
  const real = await loadTestEncoders();
  // Count decodes: a skipped file must never reach `prepare`.
  const counted = <E extends IndexEncoders['image'] | IndexEncoders['audio']>(e: E): E =>
    ({ ...e, prepare: (input: Parameters<E['prepare']>[0]) => (prepared++, e.prepare(input)) }) as E;
  encoders = { image: counted(real.image), audio: counted(real.audio), text: real.text };
});
afterAll(async () => {
  await Promise.allSettled([encoders?.image.close(), encoders?.audio.close(), encoders?.text.close()]);
  rmSync(root, { recursive: true, force: true });
});

let dirs = 0;
const fresh = (name: string) => join(root, `${name}-${++dirs}`);

/** Writes files (Buffer or text) under a new directory. */
function library(files: Record<string, Buffer | string>): string {
  const dir = fresh('lib');
  for (const [rel, data] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), data);
  }
  return dir;
}

const fixture = (rel: string) => readFileSync(join(fixtures, rel));

/** Opens the collection in `db`, runs one job, closes it. */
async function index(db: string, options: IndexJobOptions): Promise<IndexSummary> {
  const store = await openTestStore(db);
  try {
    return await runIndexJob(store, encoders, { batchSize: 4, ...options });
  } finally {
    await store.close();
  }
}

async function withStore<T>(db: string, fn: (store: CollectionStore) => T | Promise<T>): Promise<T> {
  const store = await openTestStore(db);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

const counts = (s: IndexSummary) => ({
  added: s.added,
  updated: s.updated,
  unchanged: s.unchanged,
  duplicates: s.duplicates,
  failed: s.failed,
});

describe('indexing a library', () => {
  it('indexes a directory tree of images and audio, with ids relative to the root, sizes, durations and thumbnails', async () => {
    const dir = library({
      'photos/a.jpg': await makeImage(1, 96),
      'photos/trips/b.png': await makeImage(2, 64, 'png'),
      'photos/wide.jpg': await sharp(await makeImage(3, 300)).resize(300, 120, { fit: 'fill' }).jpeg().toBuffer(),
      'sounds/tone.wav': makeWav(1, 1.5),
    });
    const db = fresh('db');
    const summary = await index(db, { paths: [dir] });
    expect(counts(summary)).toEqual({ added: 4, updated: 0, unchanged: 0, duplicates: 0, failed: 0 });
    expect(summary).toMatchObject({ status: 'succeeded', total: 4, indexed: 4 });
    await withStore(db, (store) => {
      const a = store.getItem('photos/a.jpg');
      expect(a).toMatchObject({ modality: 'image', mime: 'image/jpeg', width: 96, height: 96, sourcePath: join(dir, 'photos/a.jpg'), hasThumbnail: true, indexed: true });
      expect(a.contentHash).toBe(sha256(readFileSync(join(dir, 'photos/a.jpg'))));
      expect(store.getItem('photos/trips/b.png')).toMatchObject({ mime: 'image/png', width: 64, height: 64 });
      const wide = store.getItem('photos/wide.jpg');
      expect([wide.width, wide.height]).toEqual([300, 120]);
      const tone = store.getItem('sounds/tone.wav');
      expect(tone).toMatchObject({ modality: 'audio', mime: 'audio/wav', hasThumbnail: false, indexed: true });
      expect(tone.duration).toBeCloseTo(1.5, 2);
      const image = store.getFeatures('photos/a.jpg');
      expect(image.map((f) => [f.modality, f.encoder, f.dim])).toEqual([['image', identityKey(encoders.image.identity), 384]]);
      expect(store.getFeatures('sounds/tone.wav').map((f) => [f.modality, f.encoder])).toEqual([['audio', identityKey(encoders.audio.identity)]]);
      expect(store.stats()).toMatchObject({ items: 4, vectors: 4, thumbnails: 3 });
      expect(store.listJobs(1)[0]).toMatchObject({ kind: 'index', status: 'succeeded', counts: { total: 4, added: 4, failed: 0 } });
    });
    const thumb = await withStore(db, (s) => s.getThumbnail('photos/wide.jpg'));
    expect(await sharp(thumb).metadata()).toMatchObject({ format: 'webp', width: 256, height: 102 });
    const small = await withStore(db, (s) => s.getThumbnail('photos/trips/b.png'));
    expect(await sharp(small).metadata()).toMatchObject({ width: 64, height: 64 }); // never enlarged
  });

  it('indexes every supported format: JPEG, PNG, WebP, GIF, TIFF, AVIF, SVG, WAV, OGG, MP3, FLAC', async () => {
    const files = ['quadrants.jpg', 'alpha.png', 'quadrants.webp', 'animated.gif', 'quadrants.tiff', 'quadrants.avif', 'quadrants.svg'];
    const sounds = ['speech.wav', 'speech.ogg', 'speech.mp3', 'speech.flac'];
    const dir = library(Object.fromEntries([...files.map((f) => [f, fixture(`images/${f}`)]), ...sounds.map((f) => [f, fixture(`audio/${f}`)])]));
    const db = fresh('db');
    const summary = await index(db, { paths: [dir] });
    expect(summary.errors).toEqual({});
    expect(summary.added).toBe(11);
    let svgThumb: Buffer | undefined;
    await withStore(db, (store) => {
      expect(store.getItem('quadrants.svg')).toMatchObject({ mime: 'image/svg+xml', hasThumbnail: true });
      svgThumb = store.getThumbnail('quadrants.svg');
      expect(store.getItem('quadrants.avif').mime).toBe('image/avif');
      expect(store.getItem('speech.mp3')).toMatchObject({ modality: 'audio', mime: 'audio/mpeg' });
      expect(store.getItem('speech.flac').mime).toBe('audio/flac');
    });
    // A vector image is rendered for its thumbnail at the thumbnail's size, not at 72 dpi.
    const meta = await sharp(svgThumb!).metadata();
    expect(Math.max(meta.width, meta.height)).toBe(256);
  });

  it('decides the type by content: a PNG named .jpg and a WAV named .mp3 are indexed as what they are', async () => {
    const dir = library({ 'really-png.jpg': await makeImage(4, 48, 'png'), 'really-wav.mp3': makeWav(2, 1) });
    const db = fresh('db');
    expect((await index(db, { paths: [dir] })).added).toBe(2);
    await withStore(db, (store) => {
      expect(store.getItem('really-png.jpg')).toMatchObject({ modality: 'image', mime: 'image/png' });
      expect(store.getItem('really-wav.mp3')).toMatchObject({ modality: 'audio', mime: 'audio/wav' });
    });
  });

  it('takes captions from sidecar .txt files and manifests, and stores their sparse text features', async () => {
    const dir = library({
      'media/cat.jpg': await makeImage(5, 64),
      'media/cat.txt': '  a grey cat on a sofa \n',
      'media/bell.wav': makeWav(3, 1),
      'media/bell.wav.txt': 'a bell rings twice',
      'media/dog.jpg': await makeImage(6, 64),
      'media/dog.txt': '!!!',
      'items.jsonl': [
        { id: 'cat-1', path: 'media/cat.jpg', modality: 'image', caption: 'my cat' },
        { id: 'bell-1', path: 'media/bell.wav', modality: 'audio' },
        { id: 'dog-1', path: 'media/dog.jpg', modality: 'image' },
      ]
        .map((l) => JSON.stringify(l))
        .join('\n'),
    });
    const db = fresh('db');
    const summary = await index(db, { paths: [], manifests: [{ path: join(dir, 'items.jsonl') }] });
    expect(counts(summary)).toEqual({ added: 3, updated: 0, unchanged: 0, duplicates: 0, failed: 0 });
    await withStore(db, (store) => {
      expect(store.getItem('cat-1').captions).toEqual([
        { text: 'my cat', source: 'manifest' },
        { text: 'a grey cat on a sofa', source: 'sidecar' },
      ]);
      expect(store.getItem('bell-1').captions).toEqual([{ text: 'a bell rings twice', source: 'sidecar' }]);
      const text = store.getFeatures('cat-1').find((f) => f.modality === 'text');
      expect(text).toMatchObject({ kind: 'sparse', encoder: identityKey(encoders.text.identity), dim: encoders.text.dim });
      // A caption of only punctuation is kept, but has no words to featurize.
      expect(store.getItem('dog-1').captions).toEqual([{ text: '!!!', source: 'sidecar' }]);
      expect(store.getFeatures('dog-1').map((f) => f.modality)).toEqual(['image']);
      expect(store.keywordSearch('bell').map((h) => h.item.externalId)).toEqual(['bell-1']);
    });
  });

  it('stores identical content once and reports the other copies as duplicates', async () => {
    const jpeg = await makeImage(7, 64);
    const dir = library({ 'a.jpg': jpeg, 'copy/a.jpg': jpeg, 'copy/b.jpg': jpeg, 'c.jpg': await makeImage(8, 64) });
    const db = fresh('db');
    const summary = await index(db, { paths: [dir] });
    expect(counts(summary)).toEqual({ added: 2, updated: 0, unchanged: 0, duplicates: 2, failed: 0 });
    await withStore(db, (store) => {
      expect(store.stats().items).toBe(2);
      expect(store.findByHash(sha256(jpeg))?.externalId).toBe('a.jpg');
    });
    // And again: still duplicates, nothing written.
    expect(counts(await index(db, { paths: [dir] }))).toEqual({ added: 0, updated: 0, unchanged: 2, duplicates: 2, failed: 0 });
  });
});

describe('two files, one id', () => {
  it('refuses a file from another folder whose id an item with other content holds, with ID_TAKEN naming both files', async () => {
    const parent = library({ 'A/scene.jpg': await makeImage(60, 64), 'A/scene.txt': 'a red scene', 'B/scene.jpg': await makeImage(61, 64) });
    const [a, b] = [join(parent, 'A'), join(parent, 'B')];
    const db = fresh('db');
    await index(db, { paths: [a] });
    const second = await index(db, { paths: [b] });
    expect(counts(second)).toEqual({ added: 0, updated: 0, unchanged: 0, duplicates: 0, failed: 1 });
    expect(second.status).toBe('succeeded');
    const [failure] = second.errors.ID_TAKEN.examples;
    expect(failure.path).toBe(join(b, 'scene.jpg'));
    expect(failure.message).toContain(join(a, 'scene.jpg'));
    expect(failure.message).toContain(join(b, 'scene.jpg'));
    expect(failure.message).toMatch(/common parent folder.*manifest/);
    await withStore(db, (store) => {
      expect(store.getItem('scene.jpg')).toMatchObject({ sourcePath: join(a, 'scene.jpg'), captions: [{ text: 'a red scene', source: 'sidecar' }] });
    });
    // Both are indexed from their common parent, under ids that differ by folder.
    const both = await index(fresh('db'), { paths: [parent] });
    expect(counts(both)).toEqual({ added: 2, updated: 0, unchanged: 0, duplicates: 0, failed: 0 });
  });

  it('re-points an item to its moved folder (same id, same content, or other content when the old file is gone), and updates an edited file at its path', async () => {
    const a = library({ 'scene.jpg': await makeImage(62, 64), 'scene.txt': 'a blue scene' });
    const db = fresh('db');
    await index(db, { paths: [a] });
    const moved = fresh('moved');
    execFileSync('cp', ['-r', a, moved]);
    expect(counts(await index(db, { paths: [moved] }))).toEqual({ added: 0, updated: 1, unchanged: 0, duplicates: 0, failed: 0 });
    await withStore(db, (store) => expect(store.getItem('scene.jpg').sourcePath).toBe(join(moved, 'scene.jpg')));
    writeFileSync(join(moved, 'scene.jpg'), await makeImage(63, 64));
    expect(counts(await index(db, { paths: [moved] }))).toEqual({ added: 0, updated: 1, unchanged: 0, duplicates: 0, failed: 0 });
    // Moved again, edited on the way, and the old copy deleted: nothing is lost by re-pointing.
    const again = fresh('again');
    execFileSync('cp', ['-r', moved, again]);
    execFileSync('rm', ['-r', moved]);
    writeFileSync(join(again, 'scene.jpg'), await makeImage(61, 64));
    expect(counts(await index(db, { paths: [again] }))).toEqual({ added: 0, updated: 1, unchanged: 0, duplicates: 0, failed: 0 });
    await withStore(db, (store) => expect(store.getItem('scene.jpg').sourcePath).toBe(join(again, 'scene.jpg')));
  });
});

describe('duplicates', () => {
  it('reports which item a manifest duplicate matched, adds its caption there once, and stores the file once', async () => {
    const jpeg = await makeImage(64, 64);
    const dir = library({ 'lib/1F415.jpg': jpeg, 'mine/dog.jpg': jpeg, 'items.jsonl': JSON.stringify({ id: 'my-dog', path: 'mine/dog.jpg', modality: 'image', caption: 'rex the family pet' }) + '\n' });
    const db = fresh('db');
    await index(db, { paths: [join(dir, 'lib')] });
    const seen: unknown[] = [];
    const run = () => index(db, { paths: [], manifests: [{ path: join(dir, 'items.jsonl') }], keepDuplicateCaptions: true, onDuplicate: (d) => seen.push(d) });
    const first = await run();
    expect(counts(first)).toEqual({ added: 0, updated: 0, unchanged: 0, duplicates: 1, failed: 0 });
    const expected = {
      path: join(dir, 'mine/dog.jpg'),
      externalId: 'my-dog',
      origin: `${join(dir, 'items.jsonl')}:1`,
      of: { externalId: '1F415.jpg', path: join(dir, 'lib/1F415.jpg') },
      captionsAdded: 1,
    };
    expect(seen).toMatchObject([expected]);
    expect(first.duplicatesOf).toMatchObject([expected]);
    await withStore(db, (store) => {
      expect(store.stats().items).toBe(1);
      expect(store.getItem('1F415.jpg').captions).toEqual([{ text: 'rex the family pet', source: 'user' }]);
      expect(store.keywordSearch('rex pet').map((h) => h.item.externalId)).toEqual(['1F415.jpg']);
      expect(store.getFeatures('1F415.jpg').map((f) => f.modality).sort()).toEqual(['image', 'text']);
    });
    // Again, and after the holder's own folder is indexed again: the caption stays, nothing changes.
    expect((await run()).duplicatesOf).toMatchObject([{ ...expected, captionsAdded: 0 }]);
    expect(counts(await index(db, { paths: [join(dir, 'lib')] }))).toEqual({ added: 0, updated: 0, unchanged: 1, duplicates: 0, failed: 0 });
    await withStore(db, (store) => expect(store.getItem('1F415.jpg').captions).toHaveLength(1));
  });

  it('names the manifest line of a repeated id, a modality mismatch and a missing file', async () => {
    const dir = library({
      'a.jpg': await makeImage(65, 48),
      'b.jpg': await makeImage(66, 48),
      'tone.wav': makeWav(9, 1),
      'items.jsonl': [
        { id: 'x', path: 'a.jpg', modality: 'image' },
        { id: 'x', path: 'b.jpg', modality: 'image' },
        { id: 'y', path: 'tone.wav', modality: 'image' },
        { id: 'z', path: 'gone.jpg', modality: 'image' },
      ].map((l) => JSON.stringify(l)).join('\n'),
    });
    const manifest = join(dir, 'items.jsonl');
    const summary = await index(fresh('db'), { paths: [manifest] });
    expect(summary.failed).toBe(3);
    const messages = Object.values(summary.errors).flatMap((g) => g.examples.map((e) => e.message));
    expect(messages.find((m) => m.includes('already gave'))).toMatch(new RegExp(`^${manifest}:2: .*${manifest}:1`));
    expect(messages.find((m) => m.includes('its content is audio'))).toMatch(new RegExp(`^${manifest}:3: `));
    expect(messages.find((m) => m.includes('gone.jpg'))).toMatch(new RegExp(`^${manifest}:4: .*does not exist`));
  });
});

describe('bad files', () => {
  it('records each bad file with its reason, skips it, indexes the rest, and exits the job as succeeded', async () => {
    const dir = library({
      'good/a.jpg': await makeImage(9, 64),
      'good/b.wav': makeWav(4, 1),
      'bad/corrupt.png': fixture('images/corrupt.png'),
      'bad/truncated.jpg': fixture('images/truncated.jpg'),
      'bad/empty.jpg': fixture('images/empty.jpg'),
      'bad/not-an-image.jpg': fixture('images/not-an-image.jpg'),
      'bad/bomb.png': fixture('images/bomb.png'),
      'bad/tiny.bmp': fixture('images/tiny.bmp'),
      'bad/header-only.wav': fixture('audio/header-only.wav'),
      'bad/garbage.ogg': fixture('audio/garbage-after-magic.ogg'),
      'bad/text-named.wav': fixture('audio/text-named.wav'),
      'bad/readme.md': '# not media',
    });
    execFileSync('mkfifo', [join(dir, 'bad/pipe.jpg')]);
    symlinkSync(join(dir, 'bad'), join(dir, 'bad/loop'));
    symlinkSync('self.jpg', join(dir, 'bad/self.jpg'));
    symlinkSync(join(dir, 'bad/missing.jpg'), join(dir, 'bad/dangling.jpg'));
    writeFileSync(
      join(dir, 'items.jsonl'),
      [
        { id: 'escape', path: '../../etc/passwd', modality: 'image' },
        { id: 'wrong-kind', path: 'good/b.wav', modality: 'image' },
        'not json',
      ]
        .map((l) => (typeof l === 'string' ? l : JSON.stringify(l)))
        .join('\n'),
    );
    const db = fresh('db');
    const summary = await index(db, { paths: [join(dir, 'good'), join(dir, 'bad'), join(dir, 'items.jsonl')] });
    const byCode = Object.fromEntries(Object.entries(summary.errors).map(([code, g]) => [code, g.count]));
    expect(byCode).toEqual({
      CORRUPT_MEDIA: 4, // corrupt.png, truncated.jpg, header-only.wav, garbage.ogg
      EMPTY_INPUT: 1,
      UNSUPPORTED_MEDIA: 4, // not-an-image.jpg, tiny.bmp, text-named.wav, readme.md
      INPUT_TOO_LARGE: 1,
      NOT_A_FILE: 1,
      SYMLINK_LOOP: 2,
      NOT_FOUND: 1,
      OUTSIDE_ROOT: 1,
      INVALID_ARGUMENT: 2, // the wrong-kind line and the line that is not JSON
    } satisfies Record<string, number>);
    expect(summary).toMatchObject({ status: 'succeeded', added: 2, failed: 17 });
    await withStore(db, (store) => {
      expect(store.stats().items).toBe(2);
      const job = store.listJobs(1)[0];
      expect(job).toMatchObject({ status: 'succeeded', errorCount: 17 });
      const errors = store.listJobErrors(job.id, { limit: 100 });
      const find = (suffix: string) => errors.find((e) => e.path.endsWith(suffix));
      expect(find('bad/bomb.png')).toMatchObject({ code: 'INPUT_TOO_LARGE' });
      expect(find('bad/bomb.png')?.message).toContain('decompression bomb');
      expect(find('bad/truncated.jpg')?.message).toContain('truncated');
      expect(find('bad/pipe.jpg')).toMatchObject({ code: 'NOT_A_FILE' });
      expect(find('bad/loop')).toMatchObject({ code: 'SYMLINK_LOOP' });
      expect(find('bad/self.jpg')).toMatchObject({ code: 'SYMLINK_LOOP' });
      expect(find('bad/dangling.jpg')).toMatchObject({ code: 'NOT_FOUND' });
      expect(find('items.jsonl:1')).toMatchObject({ code: 'OUTSIDE_ROOT' });
      expect(errors.find((e) => e.message.includes('"wrong-kind"'))).toMatchObject({ path: join(dir, 'good/b.wav'), code: 'INVALID_ARGUMENT' });
      expect(find('items.jsonl:3')).toMatchObject({ code: 'INVALID_ARGUMENT' });
      expect(find('bad/tiny.bmp')?.message).toContain('BMP');
    });
  });

  it('rejects a markdown file in a library with UNSUPPORTED_MEDIA like any other unsupported type', async () => {
    const dir = library({ 'readme.md': '# hello', 'notes.json': '{"a":1}' });
    const summary = await index(fresh('db'), { paths: [dir] });
    expect(summary.errors.UNSUPPORTED_MEDIA?.count).toBe(2);
  });

  // chmod 000 does not stop root, which is who runs this suite in CI: the case is then covered
  // by indexer/job/media.test.ts, which reads the file from a child that dropped root.
  it.skipIf(process.getuid?.() === 0)('records an unreadable file (chmod 000) as UNREADABLE', async () => {
    const dir = library({ 'a.jpg': await makeImage(10, 48) });
    execFileSync('chmod', ['000', join(dir, 'a.jpg')]);
    const summary = await index(fresh('db'), { paths: [dir] });
    expect(summary.errors.UNREADABLE?.count).toBe(1);
  });
});

describe('running again', () => {
  it('changes nothing and decodes nothing when run a second time', async () => {
    const dir = library({
      'a.jpg': await makeImage(11, 64),
      'a.txt': 'first caption',
      'b.png': await makeImage(12, 64, 'png'),
      'c.wav': makeWav(5, 1),
      'bad.jpg': fixture('images/truncated.jpg'),
    });
    const db = fresh('db');
    const first = await index(db, { paths: [dir] });
    expect(counts(first)).toEqual({ added: 3, updated: 0, unchanged: 0, duplicates: 0, failed: 1 });
    const before = dumpCollection(db);
    const stamps = await withStore(db, (s) => ['a.jpg', 'b.png', 'c.wav'].map((id) => s.getItem(id).updatedAt));
    const decodes = prepared;
    const second = await index(db, { paths: [dir] });
    expect(counts(second)).toEqual({ added: 0, updated: 0, unchanged: 3, duplicates: 0, failed: 1 });
    expect(prepared - decodes).toBe(1); // only the bad file is tried again
    expect(dumpCollection(db)).toEqual(before);
    expect(await withStore(db, (s) => ['a.jpg', 'b.png', 'c.wav'].map((id) => s.getItem(id).updatedAt))).toEqual(stamps);
  });

  it('trusts an unchanged path, size and mtime without reading the file, and the content hash otherwise', async () => {
    const dir = library({ 'a.png': await makeImage(13, 64, 'png') });
    const path = join(dir, 'a.png');
    // Whole seconds, so that utimes can set exactly the same mtime again below.
    const mtime = 1_700_000_000;
    utimesSync(path, mtime, mtime);
    const db = fresh('db');
    await index(db, { paths: [dir] });
    const { size } = statSync(path);
    // Same size, same mtime, other pixels: only the stat is compared, as rsync and make do.
    const other = await makeImage(14, 64, 'png');
    writeFileSync(path, Buffer.concat([other, Buffer.alloc(Math.max(0, size - other.length))]).subarray(0, size));
    utimesSync(path, mtime, mtime);
    expect(counts(await index(db, { paths: [dir] }))).toMatchObject({ unchanged: 1 });
    // Without the stat cache the bytes are hashed, found changed, and the item re-encoded.
    rmSync(join(db, FILE_STATS_FILE));
    const decodes = prepared;
    const summary = await index(db, { paths: [dir] });
    expect(counts(summary).updated + counts(summary).failed).toBe(1);
    expect(prepared - decodes).toBe(1);
  });

  it('re-encodes a file whose content changed, under the same id, and replaces its features', async () => {
    const dir = library({ 'a.jpg': await makeImage(15, 64), 'b.jpg': await makeImage(16, 64) });
    const db = fresh('db');
    await index(db, { paths: [dir] });
    const old = await withStore(db, (s) => ({ item: s.getItem('a.jpg'), features: s.getFeatures('a.jpg') }));
    writeFileSync(join(dir, 'a.jpg'), await makeImage(17, 80));
    const decodes = prepared;
    expect(counts(await index(db, { paths: [dir] }))).toEqual({ added: 0, updated: 1, unchanged: 1, duplicates: 0, failed: 0 });
    expect(prepared - decodes).toBe(1);
    await withStore(db, (s) => {
      const item = s.getItem('a.jpg');
      expect(item.id).toBe(old.item.id);
      expect(item.contentHash).not.toBe(old.item.contentHash);
      expect(item.width).toBe(80);
      const [f] = s.getFeatures('a.jpg');
      expect(f.kind === 'dense' && old.features[0].kind === 'dense' && Buffer.from(f.vector.buffer).equals(Buffer.from(old.features[0].vector.buffer))).toBe(false);
    });
  });

  it('updates captions and the text feature without decoding the media when only a sidecar changed', async () => {
    const dir = library({ 'a.jpg': await makeImage(18, 64), 'a.txt': 'a red kite' });
    const db = fresh('db');
    await index(db, { paths: [dir] });
    writeFileSync(join(dir, 'a.txt'), 'a blue boat');
    const decodes = prepared;
    expect(counts(await index(db, { paths: [dir] }))).toMatchObject({ updated: 1 });
    expect(prepared - decodes).toBe(0);
    await withStore(db, (s) => {
      expect(s.getItem('a.jpg').captions).toEqual([{ text: 'a blue boat', source: 'sidecar' }]);
      expect(s.keywordSearch('boat').map((h) => h.item.externalId)).toEqual(['a.jpg']);
      expect(() => s.keywordSearch('kite')).not.toThrow();
      expect(s.keywordSearch('kite')).toEqual([]);
    });
    expect(counts(await index(db, { paths: [dir] }))).toMatchObject({ unchanged: 1 });
  });

  it('re-encodes every item when the encoder identity changed, keeping the old features beside the new', async () => {
    const dir = library({ 'a.jpg': await makeImage(19, 64), 'b.wav': makeWav(6, 1) });
    const db = fresh('db');
    await index(db, { paths: [dir] });
    const v2 = { ...encoders.image, identity: { ...encoders.image.identity, version: `${encoders.image.identity.version}-v2` } };
    const store = await openTestStore(db);
    try {
      const summary = await runIndexJob(store, { ...encoders, image: v2 }, { paths: [dir] });
      expect(counts(summary)).toEqual({ added: 0, updated: 1, unchanged: 1, duplicates: 0, failed: 0 });
      expect(store.getFeatures('a.jpg').map((f) => f.encoder).sort()).toEqual(
        [identityKey(encoders.image.identity), identityKey(v2.identity)].sort(),
      );
      const again = await runIndexJob(store, { ...encoders, image: v2 }, { paths: [dir] });
      expect(again.unchanged).toBe(2);
    } finally {
      await store.close();
    }
  });
});

describe('the job itself', () => {
  it('reports progress with done, total, rate and ETA, ending at done == total', async () => {
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < 6; i++) files[`${i}.jpg`] = await makeImage(30 + i, 48);
    const dir = library(files);
    const seen: { done: number; total: number; rate: number; etaSeconds: number | null }[] = [];
    const starts: { jobId: number; total: number }[] = [];
    await index(fresh('db'), { paths: [dir], batchSize: 2, progressIntervalMs: 0, onProgress: (p) => seen.push(p), onStart: (s) => starts.push(s) });
    expect(starts).toEqual([{ jobId: 1, total: 6 }]);
    // The last batch's report already says 6 of 6: the job's final one is not repeated.
    expect(seen.map((p) => p.done)).toEqual([2, 4, 6]);
    expect(seen.every((p) => p.total === 6 && p.rate > 0)).toBe(true);
    expect(seen.at(-1)?.etaSeconds).toBe(0);
  });

  it('stops after the batch in flight when cancelled, records the job as cancelled, and a re-run finishes', async () => {
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < 8; i++) files[`${i}.jpg`] = await makeImage(40 + i, 48);
    const dir = library(files);
    const db = fresh('db');
    const abort = new AbortController();
    const summary = await index(db, { paths: [dir], batchSize: 2, signal: abort.signal, progressIntervalMs: 0, onProgress: () => abort.abort() });
    expect(summary.status).toBe('cancelled');
    // The batch being decoded when the signal came is finished too: 2 + 2.
    expect(summary.added).toBe(4);
    expect(await withStore(db, (s) => s.listJobs(1)[0].status)).toBe('cancelled');
    expect(counts(await index(db, { paths: [dir] }))).toMatchObject({ added: 4, unchanged: 4 });
  });

  it('refuses a batch size out of range and an image encoder that is not staged, with INVALID_ARGUMENT', async () => {
    await withStore(fresh('db'), async (store) => {
      await expect(runIndexJob(store, encoders, { paths: [], batchSize: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      const { prepare: _, ...plain } = encoders.image;
      await expect(runIndexJob(store, { ...encoders, image: plain as IndexEncoders['image'] }, { paths: [] })).rejects.toThrow(/staged/);
    });
  });
});

describe('the rosetta index command', () => {
  /** Runs `rosetta index ...args` in this process; returns stdout lines, stderr and the exit code. */
  async function cli(args: string[]): Promise<{ stdout: string[]; stderr: string; exitCode: number | undefined }> {
    const program = new Command('rosetta').exitOverride();
    registerIndexCommand(program, { config: () => loadConfig({}, {}), openStore: (dir) => openTestStore(dir) });
    let stdout = '';
    let stderr = '';
    const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
    const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
    try {
      await program.parseAsync(['index', ...args], { from: 'user' });
      return { stdout: stdout.split('\n').filter(Boolean), stderr, exitCode: process.exitCode === undefined ? undefined : Number(process.exitCode) };
    } finally {
      out.mockRestore();
      err.mockRestore();
      process.exitCode = undefined;
    }
  }

  it('prints JSON lines (start, error, progress, summary) with --json, and exits 1 with --strict when a file failed', async () => {
    const dir = library({ 'a.jpg': await makeImage(50, 48), 'b.wav': makeWav(7, 1), 'bad.png': fixture('images/corrupt.png') });
    const db = fresh('db');
    const run = await cli([dir, '--db', db, '--json', '--strict', '--batch', '2']);
    expect(run.exitCode).toBe(1);
    const events = run.stdout.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events[0]).toEqual({ event: 'start', jobId: 1, job: 1, total: 3 });
    expect(events.find((e) => e.event === 'error')).toMatchObject({ path: join(dir, 'bad.png'), code: 'CORRUPT_MEDIA' });
    const progress = events.filter((e) => e.event === 'progress');
    expect(progress.at(-1)).toMatchObject({ done: 3, total: 3, eta_s: 0 });
    expect(progress.filter((e) => e.done === 3)).toHaveLength(1);
    expect(Object.keys(progress[0]).sort()).toEqual(['done', 'eta_s', 'event', 'rate', 'total']);
    expect(events.at(-1)).toMatchObject({ event: 'summary', status: 'succeeded', indexed: 2, failed: 1, errors: { CORRUPT_MEDIA: { count: 1 } } });
    expect(run.stderr).toBe('');
  });

  it('prints a text summary without a progress bar when stderr is not a terminal, and exits 0 despite bad files', async () => {
    const dir = library({ 'a.jpg': await makeImage(51, 48), 'bad.png': fixture('images/corrupt.png') });
    const db = fresh('db');
    const run = await cli([dir, '--db', db]);
    expect(run.exitCode).toBe(0);
    expect(run.stdout[0]).toMatch(/^indexed 1 \(1 new, 0 updated\), unchanged 0, duplicates 0, failed 1 of 2 files in [\d.]+ s \(job 1\)$/);
    expect(run.stdout[1].trim()).toBe('CORRUPT_MEDIA  1');
    expect(run.stderr).toBe('');
    expect((await cli([dir, '--db', db])).stdout[0]).toMatch(/^indexed 0 \(0 new, 0 updated\), unchanged 1,/);
  });

  it('refuses a path, --manifest or --root that does not exist with NOT_FOUND naming it, before any work', async () => {
    const dir = library({ 'a.jpg': await makeImage(52, 48), 'items.jsonl': '' });
    const db = fresh('db');
    await expect(cli([join(dir, 'nope'), '--db', db])).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining(join(dir, 'nope')) as unknown });
    await expect(cli(['--manifest', join(dir, 'none.jsonl'), '--db', db])).rejects.toMatchObject({ message: `--manifest ${join(dir, 'none.jsonl')} does not exist` });
    await expect(cli([dir, '--root', join(dir, 'no-root'), '--db', db])).rejects.toMatchObject({ message: `--root ${join(dir, 'no-root')} does not exist` });
    await expect(cli([dir, '--root', join(dir, 'a.jpg'), '--db', db])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('--root') as unknown });
    // Nothing was done: not even the collection was created.
    expect(() => statSync(db)).toThrow();
  });

  it('refuses a --db that is a regular file with INVALID_ARGUMENT "is not a directory"', async () => {
    const dir = library({ 'a.jpg': await makeImage(53, 48), 'file': 'x' });
    await expect(cli([dir, '--db', join(dir, 'file')])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: `--db ${join(dir, 'file')} is not a directory` });
  });

  it('finishes the job, quietly, when stdout is closed after the first line (| head -1)', async () => {
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < 10; i++) files[`${i}.jpg`] = await makeImage(70 + i, 48);
    const dir = library(files);
    const db = fresh('db');
    const child = fileURLToPath(new URL('./helpers/index-child.ts', import.meta.url));
    // Like `head -1`: read the first line, then close the pipe.
    const { code, stderr } = await runWithStdoutClosedEarly(['--import', 'tsx', child, 'index', dir, '--db', db, '--json', '--batch', '1']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    await withStore(db, (store) => {
      expect(store.listJobs(1)[0]).toMatchObject({ status: 'succeeded', counts: { added: 10 } });
      expect(store.stats().items).toBe(10);
    });
  });

  it('refuses to run with nothing to index, and a batch size that is not a positive integer', async () => {
    await expect(cli(['--db', fresh('db')])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(cli(['x', '--batch', '0'])).rejects.toMatchObject({ code: 'commander.invalidArgument' });
  });
});

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
