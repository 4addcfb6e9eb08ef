/**
 * The JSON search route that answers plain JSON searches without express
 * (server/api/json-search.ts): what it takes and what it leaves to express, and that both ways
 * answer the same request alike, over HTTP against a live server on the small demo collection.
 */
import http, { type Server } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RosettaError } from '../../models/errors.ts';
import { jsonSearchRoute } from '../../server/api/json-search.ts';
import { ServerMetrics } from '../../server/api/metrics.ts';
import { requestTracking } from '../../server/api/request-tracking.ts';
import type { RunningServer } from '../../server/index.ts';
import { buildSmallDemo, dataUrl, demoFile, demoItems, removeTemp, request, serve, type Answer } from './helpers.ts';

describe('which requests the JSON search route takes', () => {
  const LIMIT = 1000;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    // Taken requests meet an engine that is still loading (503 NOT_READY); the rest get 418.
    const metrics = new ServerMetrics();
    const route = jsonSearchRoute({
      engine: () => {
        throw new RosettaError('NOT_READY', 'still loading');
      },
      metrics,
      track: requestTracking(pino({ level: 'silent' }), metrics),
      maxBodyBytes: LIMIT,
    });
    server = http.createServer((req, res) => {
      if (!route(req, res)) res.writeHead(418).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const post = (init: { route?: string; type?: string; body?: RequestInit['body']; headers?: Record<string, string> } = {}) =>
    fetch(`${url}${init.route ?? '/api/search'}`, {
      method: 'POST',
      headers: { ...(init.type === undefined ? { 'content-type': 'application/json' } : init.type ? { 'content-type': init.type } : {}), ...init.headers },
      body: init.body ?? '{"text":"cat"}',
    });

  it.each([
    ['application/json', 'application/json'],
    ['a UTF-8 charset', 'application/json; charset=utf-8'],
    ['a quoted, upper-case charset', 'Application/JSON; Charset="UTF-8"'],
  ])('takes a JSON search with %s', async (_name, type) => {
    const r = await post({ type });
    expect(r.status).toBe(503);
    expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('NOT_READY');
    expect(r.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("keeps the client's request id when it is a safe token", async () => {
    const r = await post({ headers: { 'x-request-id': 'trace-42' } });
    expect(r.status).toBe(503);
    expect(r.headers.get('x-request-id')).toBe('trace-42');
  });

  it.each([
    ['a query string', { route: '/api/search?via=express' }],
    ['a trailing slash', { route: '/api/search/' }],
    ['another charset', { type: 'application/json; charset=latin1' }],
    ['another content type', { type: 'text/plain' }],
    ['no content type', { type: '' }],
    ['a multipart form', { type: 'multipart/form-data; boundary=x', body: '--x--\r\n' }],
    ['a compressed body', { headers: { 'content-encoding': 'gzip' }, body: gzipSync('{"text":"cat"}') }],
    ['a body over the limit', { body: JSON.stringify({ text: 'x'.repeat(LIMIT) }) }],
  ])('leaves to express a search with %s', async (_name, init) => {
    expect((await post(init)).status).toBe(418);
  });

  it('leaves to express a body of unknown length (chunked)', async () => {
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"text":"cat"}'));
        controller.close();
      },
    });
    const r = await fetch(`${url}/api/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, duplex: 'half' } as RequestInit);
    expect(r.status).toBe(418);
  });

  it('leaves other methods and routes to express', async () => {
    expect((await fetch(`${url}/api/search`)).status).toBe(418);
    expect((await post({ route: '/api/items' })).status).toBe(418);
  });
});

describe('the JSON search route and express answer alike', () => {
  let dataDir: string;
  let server: RunningServer;
  let url: string;

  beforeAll(async () => {
    dataDir = await buildSmallDemo('json-search');
    server = await serve(dataDir, { maxBodyBytes: 100_000 });
    url = server.url;
  });

  afterAll(async () => {
    await server?.close();
    removeTemp(dataDir);
  });

  /** The same POST on the JSON search route and (with a query string, which it leaves) on express. */
  async function both(body: string | Buffer): Promise<[Answer, Answer]> {
    const send = (route: string) => request(url, route, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    return [await send('/api/search'), await send('/api/search?via=express')];
  }

  /** What must agree: the status, the content type and the body, less its timing and request id. */
  function comparable(r: Answer) {
    const body = structuredClone(r.body) as { took_ms?: number; error?: { requestId?: string } };
    delete body.took_ms;
    delete body.error?.requestId;
    return { status: r.status, type: r.headers.get('content-type'), requestId: Boolean(r.headers.get('x-request-id')), body };
  }

  it.each([
    ['a text query', '{"text": "red heart"}'],
    ['paging and modalities', '{"text": "face", "k": 3, "offset": 2, "modalities": ["image"]}'],
    ['vector only', '{"text": "sound", "hybrid": false}'],
    ['an unknown item id', '{"itemId": 999999}'],
    ['an unknown field', '{"text": "cat", "colour": "red"}'],
    ['a wrong type', '{"text": 42}'],
    ['k out of range', '{"text": "cat", "k": 5000}'],
    ['an empty query', '{}'],
    ['an empty body', ''],
    ['a body of spaces', '   '],
    ['a truncated body', '{"text": "cat"'],
    ['a bare string', '"cat"'],
    ['null', 'null'],
    ['trailing garbage', '{"text": "cat"} x'],
    ['single quotes', "{'text': 'cat'}"],
    ['an array', '[{"text": "cat"}]'],
    ['a byte order mark', '\ufeff{"text": "red heart"}'],
  ])('answers %s alike', async (_name, body) => {
    const [fast, express] = await both(body);
    expect(comparable(fast)).toEqual(comparable(express));
  });

  it('answers an image query (data URL) alike, and a data URL that lies about its type', async () => {
    const image = demoItems(dataDir).find((i) => i.modality === 'image')!;
    const png = demoFile(dataDir, image.path);
    for (const body of [{ image: dataUrl('image/png', png), k: 5 }, { image: dataUrl('audio/wav', png) }]) {
      const [fast, express] = await both(JSON.stringify(body));
      expect(fast.status).toBe(express.status);
      expect(comparable(fast)).toEqual(comparable(express));
    }
  });

  it('survives a client that hangs up half-way through its body, and answers the next search', async () => {
    const { port } = new URL(url);
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect(Number(port), '127.0.0.1', () => {
        socket.write('POST /api/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"text": "ca');
        setTimeout(() => socket.destroy(), 50);
      });
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });
    const [fast] = await both('{"text": "cat"}');
    expect(fast.status).toBe(200);
  });

  it('counts its searches in /metrics under the search route, as express does', async () => {
    const count = async () => {
      const text = (await request<string>(url, '/metrics')).body;
      return Number(/rosetta_http_requests_total\{route="search",method="POST",status="200"\} (\d+)/.exec(text)?.[1] ?? 0);
    };
    const before = await count();
    await both('{"text": "cat"}');
    expect(await count()).toBe(before + 2);
  });
});
