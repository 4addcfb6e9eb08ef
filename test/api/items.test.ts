/**
 * The item routes over HTTP on a server with an API key: reading items, their files and
 * thumbnails; adding an upload that is searchable at once; deleting it so that it is gone
 * everywhere; and the key on the write routes.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pcm16Wav } from '../../indexer/job/testing.ts';
import { itemSchema, type ItemView, type RunningServer } from '../../server/index.ts';
import {
  buildSmallDemo,
  dataUrl,
  demoFile,
  demoItems,
  expectClientError,
  form,
  rankOf,
  removeTemp,
  request,
  results,
  search,
  serve,
  type DemoItem,
} from './helpers.ts';

const KEY = 'test-key-0123456789';
let dataDir: string;
let server: RunningServer;
let url: string;
let items: DemoItem[];

beforeAll(async () => {
  dataDir = await buildSmallDemo('items');
  server = await serve(dataDir, { apiKey: KEY });
  url = server.url;
  items = demoItems(dataDir);
});

afterAll(async () => {
  await server?.close();
  removeTemp(dataDir);
});

const auth = (key = KEY) => ({ authorization: `Bearer ${key}` });
/** The numeric id of a demo item (the API's ids are the store's). */
async function numericId(externalId: string): Promise<number> {
  // More like this never returns the item itself; a search restricted to its external id does.
  const r = await results(url, { text: 'item', hybrid: false, k: 50, filter: { externalIdPrefix: externalId } });
  const hit = r.results.find((x) => x.externalId === externalId);
  expect(hit, `${externalId} not found`).toBeDefined();
  return hit!.id;
}

/** A 16-bit mono WAV of a sine tone: new bytes, so never a duplicate of a demo clip. */
function toneWav(hz: number, seconds = 0.5, rate = 22050): Buffer {
  const samples = Int16Array.from({ length: Math.round(seconds * rate) }, (_, i) => Math.round(12000 * Math.sin((2 * Math.PI * hz * i) / rate)));
  return pcm16Wav(samples, rate);
}

describe('reading items', () => {
  it('GET /api/items/:id answers the item in the documented shape, without a key', async () => {
    const demo = items.find((i) => i.modality === 'image' && i.caption)!;
    const id = await numericId(demo.id);
    const r = await request<ItemView>(url, `/api/items/${id}`);
    expect(r.status).toBe(200);
    expect(itemSchema.parse(r.body)).toEqual(r.body);
    expect(r.body).toMatchObject({ id, externalId: demo.id, modality: 'image', caption: demo.caption, mime: 'image/png', indexed: true });
    expect(r.body.captions.map((c) => c.text)).toContain(demo.caption);
    expect(r.body.width).toBeGreaterThan(0);
    expect(r.body.contentUrl).toBe(`/api/items/${id}/content`);
    expect(r.body.thumbnailUrl).toBe(`/api/items/${id}/thumbnail`);
  });

  it('GET content serves the original bytes with their media type, for images and audio', async () => {
    for (const demo of [items.find((i) => i.modality === 'image')!, items.find((i) => i.modality === 'audio')!]) {
      const id = await numericId(demo.id);
      const res = await fetch(`${url}/api/items/${id}/content`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(demo.modality === 'image' ? /^image\/png/ : /^audio\/(x-)?wav/);
      expect(Buffer.from(await res.arrayBuffer()).equals(demoFile(dataDir, demo.path))).toBe(true);
    }
  });

  it('GET thumbnail serves a WebP for images; an audio item has none (404)', async () => {
    const image = await numericId(items.find((i) => i.modality === 'image')!.id);
    const res = await fetch(`${url}/api/items/${image}/thumbnail`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/webp');
    const webp = Buffer.from(await res.arrayBuffer());
    expect(webp.subarray(0, 4).toString()).toBe('RIFF');
    expect(webp.subarray(8, 12).toString()).toBe('WEBP');
    const meta = await sharp(webp).metadata();
    expect(Math.max(meta.width!, meta.height!)).toBeLessThanOrEqual(256);

    const audio = await numericId(items.find((i) => i.modality === 'audio')!.id);
    const item = await request<ItemView>(url, `/api/items/${audio}`);
    expect(item.body.thumbnailUrl).toBeNull();
    expectClientError(await request(url, `/api/items/${audio}/thumbnail`), 404, 'NOT_FOUND');
  });

  it('an unknown or non-numeric id is 404 or 400 on every item route', async () => {
    for (const suffix of ['', '/content', '/thumbnail']) {
      expectClientError(await request(url, `/api/items/987654${suffix}`), 404, 'NOT_FOUND');
      expectClientError(await request(url, `/api/items/abc${suffix}`), 400, 'INVALID_ARGUMENT');
      expectClientError(await request(url, `/api/items/0${suffix}`), 400, 'INVALID_ARGUMENT');
      expectClientError(await request(url, `/api/items/1.5${suffix}`), 400, 'INVALID_ARGUMENT');
      expectClientError(await request(url, `/api/items/..%2F..%2Fetc%2Fpasswd${suffix}`), 400, 'INVALID_ARGUMENT');
    }
  });
});

describe('the API key on write routes', () => {
  it('POST /api/items is 401 without a key, with a wrong key, or with another scheme', async () => {
    const png = demoFile(dataDir, items[0].path);
    const post = (headers: Record<string, string>) => request(url, '/api/items', { method: 'POST', headers, body: form({ file: [png, 'a.png', 'image/png'] }) });
    expectClientError(await post({}), 401, 'UNAUTHENTICATED');
    expectClientError(await post(auth('wrong-key')), 401, 'UNAUTHENTICATED');
    expectClientError(await post(auth(`${KEY}x`)), 401, 'UNAUTHENTICATED');
    const basic = await post({ authorization: `Basic ${Buffer.from(`u:${KEY}`).toString('base64')}` });
    expectClientError(basic, 401, 'UNAUTHENTICATED');
    expect((basic.body as { error: { message: string } }).error.message).toMatch(/uses the Basic scheme; send the API key as Authorization: Bearer/);
    // RFC 9110: a 401 says which scheme to use.
    expect(basic.headers.get('www-authenticate')).toBe('Bearer realm="rosetta"');
    expect((await post({})).headers.get('www-authenticate')).toBe('Bearer realm="rosetta"');
  });

  it('DELETE /api/items/:id is 401 without or with a wrong key, and deletes nothing', async () => {
    const demo = items.find((i) => i.modality === 'audio')!;
    const id = await numericId(demo.id);
    expectClientError(await request(url, `/api/items/${id}`, { method: 'DELETE' }), 401, 'UNAUTHENTICATED');
    expectClientError(await request(url, `/api/items/${id}`, { method: 'DELETE', headers: auth('nope') }), 401, 'UNAUTHENTICATED');
    expect((await request(url, `/api/items/${id}`)).status).toBe(200);
  });

  it('takes the key with the scheme in any case', async () => {
    const demo = items.filter((i) => i.modality === 'audio' && i.split === 'train').at(-1)!;
    const id = await numericId(demo.id);
    const r = await request(url, `/api/items/${id}`, { method: 'DELETE', headers: { authorization: `bearer ${KEY}` } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expectClientError(await request(url, `/api/items/${id}`), 404, 'NOT_FOUND');
  });

  it('read routes need no key', async () => {
    expect((await search(url, { text: 'face' })).status).toBe(200);
    expect((await request(url, '/api/info')).status).toBe(200);
  });
});

describe('adding and deleting items', () => {
  it('POST /api/items adds an image that the very next search finds, by its caption and by its pixels', async () => {
    const base = items.find((i) => i.modality === 'image' && i.split === 'eval')!;
    const flipped = await sharp(demoFile(dataDir, base.path)).flop().png().toBuffer();
    const r = await request<{ status: string; item: ItemView }>(url, '/api/items', {
      method: 'POST',
      headers: auth(),
      body: form({ file: [flipped, 'mirror.png', 'image/png'] }, { caption: 'a mirrored zorbleflux glyph', externalId: 'tests/mirror.png' }),
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.status).toBe('added');
    expect(itemSchema.parse(r.body.item)).toEqual(r.body.item);
    expect(r.body.item).toMatchObject({ externalId: 'tests/mirror.png', modality: 'image', caption: 'a mirrored zorbleflux glyph', indexed: true });
    expect(r.body.item.captions).toEqual([{ text: 'a mirrored zorbleflux glyph', source: 'user' }]);

    // Keyword rank 1 (1/61 in the fusion) ties with the vector ranking's first: first or second.
    const byWord = await results(url, { text: 'zorbleflux', k: 5 });
    expect(byWord.results.slice(0, 2).map((x) => x.id)).toContain(r.body.item.id);
    const byPixels = await results(url, { image: dataUrl('image/png', flipped), k: 5 });
    expect(byPixels.results[0].id).toBe(r.body.item.id);
    expect(byPixels.results[0].score).toBeCloseTo(1, 2);

    const content = await fetch(`${url}${r.body.item.contentUrl}`);
    expect(Buffer.from(await content.arrayBuffer()).equals(flipped)).toBe(true);
    expect((await fetch(`${url}${r.body.item.thumbnailUrl}`)).status).toBe(200);

    // The same bytes again change nothing.
    const again = await request<{ status: string; item: ItemView }>(url, '/api/items', { method: 'POST', headers: auth(), body: form({ file: [flipped, 'mirror.png', 'image/png'] }, { externalId: 'tests/mirror.png' }) });
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body.item.id).toBe(r.body.item.id);
  });

  it('POST /api/items adds an audio clip without a caption, found by an audio search and named upload/<hash>', async () => {
    const tone = toneWav(523.25);
    const r = await request<{ status: string; item: ItemView }>(url, '/api/items', { method: 'POST', headers: auth(), body: form({ file: [tone, 'tone.wav', 'audio/wav'] }) });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.item).toMatchObject({ modality: 'audio', caption: null, thumbnailUrl: null });
    expect(r.body.item.externalId).toMatch(/^upload\/[0-9a-f]{16}$/);
    expect(r.body.item.duration).toBeCloseTo(0.5, 2);
    const found = await results(url, { audio: dataUrl('audio/wav', tone), modalities: ['audio'], k: 3 });
    expect(found.results[0].id).toBe(r.body.item.id);
  });

  it('serves an uploaded SVG sandboxed: a script in it cannot run with the UI\'s origin', async () => {
    const svg = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><script>fetch("/api/items/1",{method:"DELETE"})</script>' +
        '<rect x="8" y="8" width="48" height="48" fill="none" stroke="black" stroke-width="4"/></svg>',
    );
    const added = await request<{ item: ItemView }>(url, '/api/items', { method: 'POST', headers: auth(), body: form({ file: [svg, 'box.svg', 'image/svg+xml'] }) });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    for (const link of [added.body.item.contentUrl, added.body.item.thumbnailUrl!]) {
      const res = await fetch(`${url}${link}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-security-policy')).toMatch(/(^|; )sandbox($|;)/);
      expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
    const content = await fetch(`${url}${added.body.item.contentUrl}`);
    expect(content.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(Buffer.from(await content.arrayBuffer()).equals(svg)).toBe(true);
  });

  it('DELETE /api/items/:id removes an upload from search, from the item routes and from disk', async () => {
    const image = await sharp({ create: { width: 96, height: 96, channels: 3, background: { r: 250, g: 250, b: 250 } } })
      .composite([{ input: Buffer.from('<svg width="96" height="96"><circle cx="48" cy="48" r="30" fill="none" stroke="black" stroke-width="6"/></svg>') }])
      .png()
      .toBuffer();
    const added = await request<{ item: ItemView }>(url, '/api/items', { method: 'POST', headers: auth(), body: form({ file: [image, 'ring.png', 'image/png'] }, { caption: 'quuxwobble ring' }) });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    const { id } = added.body.item;
    const uploads = path.join(dataDir, 'uploads');
    const filesBefore = readdirSync(uploads).length;
    expect((await results(url, { image: dataUrl('image/png', image), k: 3 })).results[0].id).toBe(id);

    const del = await request<{ deleted: number }>(url, `/api/items/${id}`, { method: 'DELETE', headers: auth() });
    expect(del.status, JSON.stringify(del.body)).toBe(200);
    expect(del.body).toEqual({ deleted: id });

    for (const suffix of ['', '/content', '/thumbnail']) expectClientError(await request(url, `/api/items/${id}${suffix}`), 404, 'NOT_FOUND');
    expectClientError(await search(url, { itemId: id }), 404, 'NOT_FOUND');
    const byPixels = await results(url, { image: dataUrl('image/png', image), k: 1000 });
    expect(byPixels.results.map((x) => x.id)).not.toContain(id);
    const byWord = await results(url, { text: 'quuxwobble', k: 1000 });
    expect(byWord.results.map((x) => x.id)).not.toContain(id);
    expect(readdirSync(uploads).length).toBe(filesBefore - 1);
    expectClientError(await request(url, `/api/items/${id}`, { method: 'DELETE', headers: auth() }), 404, 'NOT_FOUND');
  });

  it('keeps no uploaded file that no item uses: a duplicate of a demo file, or one an update replaced', async () => {
    const uploads = path.join(dataDir, 'uploads');
    const stored = () => new Set(existsSync(uploads) ? readdirSync(uploads) : []);
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    const before = stored();

    const demo = demoFile(dataDir, items.find((i) => i.modality === 'image')!.path);
    const dup = await request<{ status: string }>(url, '/api/items', { method: 'POST', headers: auth(), body: form({ file: [demo, 'copy.png', 'image/png'] }, { externalId: 'tests/copy.png' }) });
    expect(dup.status, JSON.stringify(dup.body)).toBe(200);
    expect(dup.body.status).toBe('duplicate');
    expect(stored().has(sha(demo))).toBe(false);

    const tone = toneWav(311.13);
    const first = await request<{ item: ItemView }>(url, '/api/items', { method: 'POST', headers: auth(), body: form({ file: [tone, 'one.wav', 'audio/wav'] }, { externalId: 'tests/one' }) });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(stored().has(sha(tone))).toBe(true);
    const image = await sharp({ create: { width: 40, height: 40, channels: 3, background: { r: 10, g: 200, b: 90 } } }).png().toBuffer();
    const second = await request<{ status: string; item: ItemView }>(url, '/api/items', { method: 'POST', headers: auth(), body: form({ file: [image, 'one.png', 'image/png'] }, { externalId: 'tests/one' }) });
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    expect(second.body).toMatchObject({ status: 'updated', item: { id: first.body.item.id, modality: 'image' } });
    expect(stored().has(sha(tone))).toBe(false);
    expect(stored().has(sha(image))).toBe(true);

    expect((await request(url, `/api/items/${first.body.item.id}`, { method: 'DELETE', headers: auth() })).status).toBe(200);
    expect(stored()).toEqual(before);
  });

  it('takes the same bytes sent at once as one item: one added, the others duplicates of it', async () => {
    const bytes = await sharp({ create: { width: 36, height: 36, channels: 3, background: { r: 230, g: 20, b: 140 } } }).png().toBuffer();
    const answers = await Promise.all(
      [1, 2, 3, 4, 5].map((k) =>
        request<{ status: string; item: ItemView }>(url, '/api/items', { method: 'POST', headers: auth(), body: form({ file: [bytes, `same${k}.png`, 'image/png'] }, { externalId: `tests/same-${k}` }) }),
      ),
    );
    for (const a of answers) expect([200, 201], JSON.stringify(a.body)).toContain(a.status);
    expect(answers.map((a) => a.body.status).sort()).toEqual(['added', 'duplicate', 'duplicate', 'duplicate', 'duplicate']);
    const ids = new Set(answers.map((a) => a.body.item.id));
    expect(ids.size).toBe(1);
    const content = await fetch(`${url}/api/items/${[...ids][0]}/content`);
    expect(Buffer.from(await content.arrayBuffer()).equals(bytes)).toBe(true);
    const found = await results(url, { image: dataUrl('image/png', bytes), k: 1 });
    expect(found.results[0].id).toBe([...ids][0]);
  });

  it('sweeps out upload files no item uses and part files a crash left, keeping the ones in use', async () => {
    const uploads = path.join(dataDir, 'uploads');
    const inUse = readdirSync(uploads);
    expect(inUse.length).toBeGreaterThan(0);
    const stray = createHash('sha256').update('no item has these bytes').digest('hex');
    writeFileSync(path.join(uploads, stray), 'no item has these bytes');
    writeFileSync(path.join(uploads, `${inUse[0]}.part-0b1d`), 'half an upload');
    expect(await (await server.ready).sweepUploads()).toBe(2);
    expect(readdirSync(uploads).sort()).toEqual([...inUse].sort());
  });

  it('filtered searches keep answering 200 while the items they would find are being deleted', async () => {
    const base = await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 255, g: 255, b: 255 } } }).png().toBuffer();
    const ids: number[] = [];
    for (let i = 0; i < 8; i++) {
      // Distinct bytes per upload (a PNG ignores what follows its IEND chunk).
      const png = Buffer.concat([base, Buffer.from(`race-${i}`)]);
      const r = await request<{ item: ItemView }>(url, '/api/items', { method: 'POST', headers: auth(), body: form({ file: [png, `r${i}.png`, 'image/png'] }, { caption: `plonkwhistle ${i}`, externalId: `race/${i}` }) });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      ids.push(r.body.item.id);
    }
    const filtered = [
      { text: 'plonkwhistle', k: 10, filter: { externalIdPrefix: 'race/' } },
      { text: 'plonkwhistle', k: 10, hybrid: false, filter: { captioned: true } },
      { itemId: ids[0], k: 5, filter: { externalIdPrefix: 'race/' } },
    ];
    const answers = await Promise.all(
      ids.slice(1).flatMap((id) => [request(url, `/api/items/${id}`, { method: 'DELETE', headers: auth() }), ...filtered.map((q) => search(url, q))]),
    );
    for (const a of answers) expect(a.status, JSON.stringify(a.body)).toBe(200);
    const left = await results(url, { text: 'plonkwhistle', k: 10, filter: { externalIdPrefix: 'race/' } });
    expect(left.results.map((x) => x.id)).toEqual([ids[0]]);
  });

  it('DELETE of a demo item keeps its file (the collection does not own it) and drops it from results', async () => {
    const demo = items.find((i) => i.modality === 'image' && i.split === 'train')!;
    const id = await numericId(demo.id);
    const before = await results(url, { image: dataUrl('image/png', demoFile(dataDir, demo.path)), k: 1 });
    expect(before.results[0].id).toBe(id);
    expect((await request(url, `/api/items/${id}`, { method: 'DELETE', headers: auth() })).status).toBe(200);
    const after = await results(url, { image: dataUrl('image/png', demoFile(dataDir, demo.path)), k: 1000 });
    expect(rankOf(after, demo.id)).toBe(-1);
    expect(existsSync(path.join(dataDir, 'demo', demo.path))).toBe(true);
  });
});
