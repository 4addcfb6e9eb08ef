/**
 * What the API refuses, over HTTP: every client mistake gets a 4xx with {error: {code, message}}
 * naming what was wrong, never a 500. The server runs with a 100 kB body limit so that
 * oversized bodies are cheap to send, and without an API key.
 */
import { connect } from 'node:net';
import sharp from 'sharp';
import { EMPTY_QUERY_MESSAGE } from '../../server/api/schemas.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/index.ts';
import { buildSmallDemo, dataUrl, demoFile, demoItems, expectClientError, form, removeTemp, request, search, serve, type Answer } from './helpers.ts';

const LIMIT = 100_000;
let dataDir: string;
let server: RunningServer;
let url: string;
let png: Buffer;
let wav: Buffer;

beforeAll(async () => {
  dataDir = await buildSmallDemo('bad-input');
  server = await serve(dataDir, { maxBodyBytes: LIMIT });
  url = server.url;
  const items = demoItems(dataDir);
  png = demoFile(dataDir, items.find((i) => i.modality === 'image')!.path);
  // The shortest clip keeps data URLs under the body limit.
  const sounds = items.filter((i) => i.modality === 'audio').map((i) => demoFile(dataDir, i.path));
  wav = sounds.reduce((a, b) => (b.length < a.length ? b : a));
});

afterAll(async () => {
  await server?.close();
  removeTemp(dataDir);
});

/** A PNG signature and IHDR start followed by bytes that are no image. */
const corruptPng = () => Buffer.concat([png.subarray(0, 16), Buffer.alloc(600, 0x5a)]);
const textBytes = Buffer.from('This is a plain text file, not a picture or a sound.\n'.repeat(4));
const post = (body: FormData, route = '/api/search') => request(url, route, { method: 'POST', body });
const messageOf = (r: Answer) => (r.body as { error: { message: string } }).error.message;

/** Sends `head` as it is (fetch always frames a body) and reads the JSON reply. */
async function rawRequest(head: string): Promise<Answer> {
  const { port } = new URL(url);
  const raw = await new Promise<string>((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.end(head));
    let data = '';
    socket.on('data', (c) => (data += c.toString()));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
  const [top, ...rest] = raw.split('\r\n\r\n');
  const status = Number(/^HTTP\/1\.1 (\d+)/.exec(top)?.[1]);
  const headers = new Headers(top.split('\r\n').slice(1).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()] as [string, string]));
  const text = rest.join('\r\n\r\n');
  // The reply may be chunked: its JSON is the part between the braces.
  const json = text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1);
  return { status, headers, body: JSON.parse(json) } as Answer;
}

describe('malformed and mistyped JSON', () => {
  it.each([
    ['a truncated body', '{"text": "cat"'],
    ['a bare string', '"cat"'],
    ['null', 'null'],
    ['trailing garbage', '{"text": "cat"} x'],
    ['single quotes', "{'text': 'cat'}"],
  ])('rejects malformed JSON (%s) with INVALID_ARGUMENT', async (_name, body) => {
    const r = await search(url, body);
    expectClientError(r, 400, 'INVALID_ARGUMENT');
    expect(messageOf(r)).toMatch(/JSON/);
  });

  it('rejects a JSON array instead of an object', async () => {
    expectClientError(await search(url, [{ text: 'cat' }]), 400, 'INVALID_ARGUMENT');
  });

  it.each([
    ['text', { text: 42 }],
    ['k', { text: 'cat', k: '10' }],
    ['offset', { text: 'cat', offset: true }],
    ['modalities', { text: 'cat', modalities: 'image' }],
    ['modalities', { text: 'cat', modalities: ['video'] }],
    ['weights.text', { text: 'cat', weights: { text: 'high' } }],
    ['filter.captioned', { text: 'cat', filter: { captioned: 'yes' } }],
    ['hybrid', { text: 'cat', hybrid: 'no' }],
    ['itemId', { itemId: true }],
    ['image', { image: 123 }],
    ['negativeText', { text: 'cat', negativeText: ['dog'] }],
  ])('rejects a wrong type and names the field: %s', async (field, body) => {
    const r = await search(url, body);
    expectClientError(r, 400, 'INVALID_ARGUMENT');
    expect(messageOf(r)).toContain(field);
  });

  it.each([
    ['at the top', { text: 'cat', colour: 'red' }, 'colour'],
    ['in weights', { text: 'cat', weights: { text: 1, video: 1 } }, 'video'],
    ['in filter', { text: 'cat', filter: { path: '/etc' } }, 'path'],
  ])('rejects an unknown field %s, naming it', async (_where, body, field) => {
    const r = await search(url, body);
    expectClientError(r, 400, 'INVALID_ARGUMENT');
    expect(messageOf(r)).toContain(`"${field}"`);
  });
});

describe('empty queries and out-of-range numbers', () => {
  it.each([
    ['no fields', {}],
    ['only paging', { k: 5, offset: 0 }],
    ['only negativeText', { negativeText: 'dog' }],
    ['only weights and filters', { weights: { text: 1 }, filter: { captioned: true }, modalities: ['image'] }],
  ])('rejects an empty query (%s)', async (_name, body) => {
    const r = await search(url, body);
    expectClientError(r, 400, 'INVALID_ARGUMENT');
    expect(messageOf(r)).toBe(EMPTY_QUERY_MESSAGE);
  });

  it('rejects an empty query the same way as a multipart form, and as a request with no body at all', async () => {
    for (const r of [
      await post(form({}, {})),
      await post(form({}, { k: '2' })),
      await request(url, '/api/search', { method: 'POST' }),
      // No Content-Length and no body: type-is sees no content type on such a request.
      await rawRequest('POST /api/search HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n'),
    ]) {
      expectClientError(r, 400, 'INVALID_ARGUMENT');
      expect(messageOf(r)).toBe(EMPTY_QUERY_MESSAGE);
    }
  });

  it.each([
    ['blank text', { text: '   ' }, 'text'],
    ['text over 1000 characters', { text: 'cat '.repeat(300) }, 'text'],
    ['k = 0', { text: 'cat', k: 0 }, 'k'],
    ['k = -1', { text: 'cat', k: -1 }, 'k'],
    ['k = 1001', { text: 'cat', k: 1001 }, 'k'],
    ['k = 2.5', { text: 'cat', k: 2.5 }, 'k'],
    ['offset = -1', { text: 'cat', offset: -1 }, 'offset'],
    ['offset = 10001', { text: 'cat', offset: 10_001 }, 'offset'],
    ['a negative weight', { text: 'cat', weights: { text: -1 } }, 'weights.text'],
    ['itemId = 0', { itemId: 0 }, 'itemId'],
    ['an empty modalities list', { text: 'cat', modalities: [] }, 'modalities'],
  ])('rejects %s', async (_name, body, field) => {
    const r = await search(url, body);
    expectClientError(r, 400, 'INVALID_ARGUMENT');
    expect(messageOf(r)).toContain(field);
  });

  it.each([
    ['text', { text: '!!! ???' }],
    ['text', { text: '!!! ???', hybrid: false }],
    ['negativeText', { text: 'red heart', negativeText: '...' }],
  ])('rejects %s of only punctuation with EMPTY_INPUT, naming the field', async (field, body) => {
    const r = await search(url, body);
    expectClientError(r, 400, 'EMPTY_INPUT');
    expect(messageOf(r).startsWith(`${field}:`)).toBe(true);
  });

  it('rejects weights that leave nothing to search with, and a negative that cancels the query', async () => {
    expectClientError(await search(url, { text: 'cat', image: dataUrl('image/png', png), weights: { text: 0, image: 0 } }), 400, 'INVALID_ARGUMENT');
    // A single part is not mixed with anything, but its weight of 0 still leaves nothing.
    const alone = await search(url, { text: 'cat', weights: { text: 0 } });
    expectClientError(alone, 400, 'INVALID_ARGUMENT');
    expect(messageOf(alone)).toMatch(/^weights:/);
    expectClientError(await search(url, { text: 'red heart', negativeText: 'red heart', weights: { text: 1, negativeText: 1 } }), 400, 'INVALID_ARGUMENT');
  });
});

describe('oversized bodies', () => {
  it('rejects a JSON body over the limit with INPUT_TOO_LARGE (413)', async () => {
    const big = Buffer.alloc(LIMIT, 1);
    const r = await search(url, { image: dataUrl('image/png', big) });
    expectClientError(r, 413, 'INPUT_TOO_LARGE');
    expect(messageOf(r)).toContain(String(LIMIT));
  });

  it('rejects an uploaded search file over the limit', async () => {
    const big = Buffer.concat([png, Buffer.alloc(LIMIT, 0)]);
    expectClientError(await post(form({ image: [big, 'big.png', 'image/png'] })), 413, 'INPUT_TOO_LARGE');
  });

  it('rejects an uploaded item over the limit', async () => {
    const big = Buffer.concat([png, Buffer.alloc(LIMIT, 0)]);
    expectClientError(await post(form({ file: [big, 'big.png', 'image/png'] }), '/api/items'), 413, 'INPUT_TOO_LARGE');
  });

  it('applies the limit to the whole multipart body, not to each part', async () => {
    const third = Buffer.concat([png, Buffer.alloc(Math.ceil(LIMIT / 3), 0)]);
    const files = form({ image: [third, 'a.png', 'image/png'], sketch: [third, 'b.png', 'image/png'], audio: [third, 'c.wav', 'audio/wav'] });
    expectClientError(await post(files), 413, 'INPUT_TOO_LARGE');
    const fields = form({}, { text: 'cat', caption: 'x'.repeat(LIMIT / 2), colour: 'y'.repeat(LIMIT / 2) });
    expectClientError(await post(fields), 413, 'INPUT_TOO_LARGE');
    // A chunked body declares no length: what multer read is counted.
    const encoded = new Response(files);
    const body = Buffer.from(await encoded.arrayBuffer());
    const chunked = await request(url, '/api/search', {
      method: 'POST',
      headers: { 'content-type': encoded.headers.get('content-type')! },
      body: new ReadableStream({ start: (c) => (c.enqueue(body), c.close()) }),
      duplex: 'half',
    } as RequestInit);
    expectClientError(chunked, 413, 'INPUT_TOO_LARGE');
    expect(messageOf(chunked)).toContain(String(LIMIT));
  });

  it('still answers after refusing them', async () => {
    expect((await search(url, { text: 'cat' })).status).toBe(200);
  });
});

describe('media that cannot be used', () => {
  it.each(['image', 'sketch'] as const)('rejects a corrupt PNG (a PNG header followed by garbage) in %s with CORRUPT_MEDIA (422)', async (field) => {
    expectClientError(await search(url, { [field]: dataUrl('image/png', corruptPng()) }), 422, 'CORRUPT_MEDIA');
  });

  it('rejects a truncated PNG and a JPEG cut short with CORRUPT_MEDIA', async () => {
    expectClientError(await search(url, { image: dataUrl('image/png', png.subarray(0, Math.floor(png.length / 2))) }), 422, 'CORRUPT_MEDIA');
    const jpeg = await sharp(png).flatten({ background: '#fff' }).jpeg().toBuffer();
    expectClientError(await search(url, { image: dataUrl('image/jpeg', jpeg.subarray(0, Math.floor(jpeg.length / 3))) }), 422, 'CORRUPT_MEDIA');
  });

  it('rejects a WAV whose data is cut off, and a WAV header with no format chunk', async () => {
    expectClientError(await search(url, { audio: dataUrl('audio/wav', wav.subarray(0, 60)) }), 422, 'CORRUPT_MEDIA');
    expectClientError(await search(url, { audio: dataUrl('audio/wav', wav.subarray(0, 12)) }), 422, 'CORRUPT_MEDIA');
  });

  it('rejects WAV headers that declare no channels, no sample rate or an impossible one', async () => {
    const withFormat = (channels: number, rate: number) => {
      const b = Buffer.from(wav);
      // The demo clips are plain 44-byte-header PCM: channels at 22, sample rate at 24.
      b.writeUInt16LE(channels, 22);
      b.writeUInt32LE(rate, 24);
      return b;
    };
    expect(wav.subarray(12, 16).toString()).toBe('fmt ');
    expectClientError(await search(url, { audio: dataUrl('audio/wav', withFormat(0, 22050)) }), 422, 'CORRUPT_MEDIA');
    expectClientError(await search(url, { audio: dataUrl('audio/wav', withFormat(1, 0)) }), 422, 'CORRUPT_MEDIA');
    expectClientError(await search(url, { audio: dataUrl('audio/wav', withFormat(1, 4_000_000_000)) }), 415, 'UNSUPPORTED_MEDIA');
  });

  it('decodes an SVG that declares a huge canvas without running out of memory (or refuses it as too large)', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="100000"><rect width="50000" height="50000"/></svg>');
    const r = await search(url, { image: dataUrl('image/svg+xml', svg), k: 3 });
    if (r.status !== 200) expectClientError(r, 413, 'INPUT_TOO_LARGE');
  });

  it.each(['image', 'sketch', 'audio'] as const)('rejects text bytes sent as %s with UNSUPPORTED_MEDIA (415)', async (field) => {
    const r = await search(url, { [field]: dataUrl(field === 'audio' ? 'audio/wav' : 'image/png', textBytes) });
    expectClientError(r, 415, 'UNSUPPORTED_MEDIA');
    expect(messageOf(r)).toMatch(/text/);
  });

  it('reads a data URL whatever the case of its scheme and base64 token (RFC 2397)', async () => {
    const r = await search(url, { image: `DATA:image/PNG;BASE64,${png.toString('base64')}`, k: 3 });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  });

  it('rejects a data URL that says image/png but holds a WAV', async () => {
    const r = await search(url, { image: dataUrl('image/png', wav) });
    expectClientError(r, 415, 'UNSUPPORTED_MEDIA');
    expect(messageOf(r)).toMatch(/audio\/wav/);
  });

  it('rejects a data URL that says image/jpeg but holds a PNG, and audio/wav holding a PNG', async () => {
    expectClientError(await search(url, { image: dataUrl('image/jpeg', png) }), 415, 'UNSUPPORTED_MEDIA');
    expectClientError(await search(url, { audio: dataUrl('audio/wav', png) }), 415, 'UNSUPPORTED_MEDIA');
  });

  it('rejects audio in the image or sketch field and an image in the audio field, even when declared honestly', async () => {
    expectClientError(await search(url, { image: dataUrl('audio/wav', wav) }), 415, 'UNSUPPORTED_MEDIA');
    expectClientError(await search(url, { sketch: dataUrl('audio/wav', wav) }), 415, 'UNSUPPORTED_MEDIA');
    expectClientError(await search(url, { audio: dataUrl('image/png', png) }), 415, 'UNSUPPORTED_MEDIA');
  });

  it('rejects an empty file, a URL that is not a data URL, and base64 that is not base64', async () => {
    expectClientError(await search(url, { image: 'data:image/png;base64,' }), 400, 'EMPTY_INPUT');
    expectClientError(await search(url, { image: 'https://example.com/cat.png' }), 400, 'INVALID_ARGUMENT');
    expectClientError(await search(url, { image: 'file:///etc/passwd' }), 400, 'INVALID_ARGUMENT');
    expectClientError(await search(url, { image: 'data:image/png;base64,%%%not-base64%%%' }), 400, 'INVALID_ARGUMENT');
  });

  it('refuses the same media as uploaded files', async () => {
    expectClientError(await post(form({ image: [corruptPng(), 'c.png', 'image/png'] })), 422, 'CORRUPT_MEDIA');
    expectClientError(await post(form({ image: [textBytes, 'notes.png', 'image/png'] })), 415, 'UNSUPPORTED_MEDIA');
    expectClientError(await post(form({ image: [wav, 'sound.png', 'image/png'] })), 415, 'UNSUPPORTED_MEDIA');
    expectClientError(await post(form({ audio: [png, 'picture.wav'] })), 415, 'UNSUPPORTED_MEDIA');
    expectClientError(await post(form({ image: [Buffer.alloc(0), 'empty.png', 'image/png'] })), 400, 'EMPTY_INPUT');
  });

  it('refuses them as new items too, and stores nothing', async () => {
    const before = ((await request(url, '/api/info')).body as { items: number }).items;
    expectClientError(await post(form({ file: [corruptPng(), 'c.png', 'image/png'] }), '/api/items'), 422, 'CORRUPT_MEDIA');
    expectClientError(await post(form({ file: [textBytes, 'notes.txt', 'text/plain'] }), '/api/items'), 415, 'UNSUPPORTED_MEDIA');
    expectClientError(await post(form({ file: [Buffer.alloc(0), 'empty.png', 'image/png'] }), '/api/items'), 400, 'EMPTY_INPUT');
    expect(((await request(url, '/api/info')).body as { items: number }).items).toBe(before);
  });
});

describe('unknown ids and routes', () => {
  it('rejects an unknown itemId in a search with NOT_FOUND (404), numeric or external', async () => {
    expectClientError(await search(url, { itemId: 987_654 }), 404, 'NOT_FOUND');
    expectClientError(await search(url, { itemId: 'no/such/item.png' }), 404, 'NOT_FOUND');
  });

  it('answers GET of an unknown item with 404 and of a non-numeric id with 400', async () => {
    expectClientError(await request(url, '/api/items/987654'), 404, 'NOT_FOUND');
    expectClientError(await request(url, '/api/items/cat.png'), 400, 'INVALID_ARGUMENT');
    expectClientError(await request(url, '/api/items/-3'), 400, 'INVALID_ARGUMENT');
    expectClientError(await request(url, '/api/items/12345678901234567890'), 400, 'INVALID_ARGUMENT');
  });

  it.each([
    ['GET', '/api/nothing-here'],
    ['GET', '/api/items/1/other'],
    ['GET', '/no/such/page'],
  ])('answers %s %s with NOT_FOUND as JSON', async (method, route) => {
    expectClientError(await request(url, route, { method }), 404, 'NOT_FOUND');
  });

  it.each([
    ['GET', '/api/search', 'POST, OPTIONS'],
    ['PUT', '/api/search', 'POST, OPTIONS'],
    ['DELETE', '/api/items', 'POST, OPTIONS'],
    ['PATCH', '/api/items/1', 'GET, DELETE, HEAD, OPTIONS'],
    ['POST', '/api/items/1', 'GET, DELETE, HEAD, OPTIONS'],
    ['DELETE', '/api/items/1/content', 'GET, HEAD, OPTIONS'],
    ['POST', '/api/health', 'GET, HEAD, OPTIONS'],
  ])('answers %s %s with METHOD_NOT_ALLOWED (405) and the methods it takes', async (method, route, allow) => {
    const r = await request(url, route, { method });
    expectClientError(r, 405, 'METHOD_NOT_ALLOWED');
    expect(r.headers.get('allow')).toBe(allow);
    expect(messageOf(r)).toContain(allow);
  });

  it('answers OPTIONS on an API route with 204 and its methods', async () => {
    const r = await fetch(`${url}/api/search`, { method: 'OPTIONS' });
    expect(r.status).toBe(204);
    expect(r.headers.get('allow')).toBe('POST, OPTIONS');
  });
});

describe('wrong content types and forms', () => {
  it.each([
    ['text/plain', 'text=cat'],
    ['application/xml', '<search><text>cat</text></search>'],
    ['application/x-www-form-urlencoded', 'text=cat'],
  ])('rejects a search sent as %s with UNSUPPORTED_MEDIA', async (type, body) => {
    expectClientError(await request(url, '/api/search', { method: 'POST', headers: { 'content-type': type }, body }), 415, 'UNSUPPORTED_MEDIA');
  });

  it('rejects JSON in a charset it cannot read, and a body that claims a compression it does not have', async () => {
    expectClientError(await search(url, '{"text":"cat"}', { 'content-type': 'application/json; charset=latin1' }), 415, 'UNSUPPORTED_MEDIA');
    const gzip = await search(url, '{"text":"cat"}', { 'content-encoding': 'gzip' });
    expectClientError(gzip, 400, 'INVALID_ARGUMENT');
    expect(messageOf(gzip)).toMatch(/^the body could not be decompressed as its Content-Encoding says/);
    const br = await search(url, '{"text":"cat"}', { 'content-encoding': 'br' });
    expectClientError(br, 400, 'INVALID_ARGUMENT');
    expect(messageOf(br)).toMatch(/^the body could not be decompressed as its Content-Encoding says/);
  });

  it('rejects malformed multipart bodies', async () => {
    const multipart = (body: string, boundary = 'xyz') => request(url, '/api/search', { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, body });
    expectClientError(await multipart('no parts at all'), 400, 'INVALID_ARGUMENT');
    expectClientError(await multipart('--xyz\r\nContent-Disposition: form-data; name="text"\r\n\r\ncat'), 400, 'INVALID_ARGUMENT');
    expectClientError(await request(url, '/api/search', { method: 'POST', headers: { 'content-type': 'multipart/form-data' }, body: '{"text":"cat"}' }), 400, 'INVALID_ARGUMENT');
  });

  it('rejects bad multipart search fields: unknown, mistyped, not JSON, a file in an unknown field, two images', async () => {
    const image: [Buffer, string, string] = [png, 'q.png', 'image/png'];
    expectClientError(await post(form({ image }, { colour: 'red' })), 400, 'INVALID_ARGUMENT');
    expectClientError(await post(form({ image }, { k: 'ten' })), 400, 'INVALID_ARGUMENT');
    expectClientError(await post(form({ image }, { k: '5000' })), 400, 'INVALID_ARGUMENT');
    expectClientError(await post(form({ image }, { weights: '{image: 1' })), 400, 'INVALID_ARGUMENT');
    expectClientError(await post(form({ image }, { filter: '"captioned"' })), 400, 'INVALID_ARGUMENT');
    expectClientError(await post(form({ image }, { hybrid: 'maybe' })), 400, 'INVALID_ARGUMENT');
    expectClientError(await post(form({ picture: image })), 400, 'INVALID_ARGUMENT');
    const two = form({ image });
    two.append('image', new Blob([png], { type: 'image/png' }), 'second.png');
    const twice = await post(two);
    expectClientError(twice, 400, 'INVALID_ARGUMENT');
    expect(messageOf(twice)).toMatch(/"image" is not taken here or was sent twice/);
    const asText = await post(form({}, { image: 'not a file' }));
    expectClientError(asText, 400, 'INVALID_ARGUMENT');
    expect(messageOf(asText)).toBe('image: send the file as a file part of the form (with a filename), not as a text field');
  });

  it('POST /api/items needs multipart with a file in "file"', async () => {
    expectClientError(await request(url, '/api/items', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"caption":"x"}' }), 415, 'UNSUPPORTED_MEDIA');
    expectClientError(await post(form({}, { caption: 'a caption and no file' }), '/api/items'), 400, 'INVALID_ARGUMENT');
    expectClientError(await post(form({ image: [png, 'a.png', 'image/png'] }), '/api/items'), 400, 'INVALID_ARGUMENT');
    expectClientError(await post(form({ file: [png, 'a.png', 'image/png'] }, { tags: 'x' }), '/api/items'), 400, 'INVALID_ARGUMENT');
    expectClientError(await post(form({ file: [png, 'a.png', 'image/png'] }, { caption: ' ' }), '/api/items'), 400, 'INVALID_ARGUMENT');
  });
});

describe('after all of it', () => {
  it('answered no request with a 5xx', async () => {
    const res = await fetch(`${url}/metrics`);
    const text = await res.text();
    const lines = text.split('\n').filter((l) => l.startsWith('rosetta_http_requests_total{'));
    expect(lines.length).toBeGreaterThan(5);
    expect(lines.filter((l) => /status="5\d\d"/.test(l))).toEqual([]);
    expect((await search(url, { text: 'grinning face', k: 3 })).status).toBe(200);
  });
});
