/**
 * The operational routes over HTTP: health (503 while loading or after a failed load), info,
 * the OpenAPI document and its agreement with the routes and schemas, Prometheus metrics,
 * request ids in responses and logs, and the web UI's static files.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RosettaError } from '../../models/errors.ts';
import { ServerMetrics } from '../../server/api/metrics.ts';
import {
  buildOpenApi,
  createApp,
  errorSchema,
  healthSchema,
  infoSchema,
  itemSchema,
  newItemFieldsSchema,
  searchFieldsSchema,
  searchResponseSchema,
  startServer,
  TUNING_FILE,
  type AppOptions,
  type RunningServer,
} from '../../server/index.ts';
import { buildSmallDemo, cacheDir, demoItems, expectClientError, modelsDir, removeTemp, request, root, search, tempDir } from './helpers.ts';

let dataDir: string;
let server: RunningServer;
let url: string;
const logLines: Record<string, unknown>[] = [];

beforeAll(async () => {
  dataDir = await buildSmallDemo('ops');
});

afterAll(async () => {
  await server?.close();
  removeTemp(dataDir);
});

/** A pino logger whose JSON lines the test can read. */
function capturingLogger() {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return pino({ level: 'info' }, sink);
}

describe('health', () => {
  it('answers 503 "starting" while the collection loads, then 200 with the collection\'s size and space', async () => {
    server = await startServer({ dataDir, modelsDir, cacheDir, port: 0, logger: capturingLogger(), watchSpace: false });
    url = server.url;
    // startServer listens before it loads: the encoders and the space take far longer than one request.
    const early = await request(url, '/api/health');
    expect(early.status).toBe(503);
    expect(healthSchema.parse(early.body)).toEqual({ status: 'starting' });
    expect(early.headers.get('retry-after')).toBe('2');
    // Both ways in say when to ask again: express (info) and the JSON search route.
    for (const r of [await request(url, '/api/info'), await search(url, { text: 'cat' })]) {
      expectClientErrorOr503(r);
      expect(r.headers.get('retry-after')).toBe('2');
    }
    // Loading is a state, not a failure: one warning line per request, and no error lines.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const early503 = logLines.filter((l) => (l.res as { statusCode?: number } | undefined)?.statusCode === 503);
    expect(early503.length).toBeGreaterThanOrEqual(3);
    expect(early503.every((l) => l.level === 40)).toBe(true);
    expect(logLines.filter((l) => (l.level as number) >= 50)).toEqual([]);

    await server.ready;
    const ready = await request<{ status: string; items: number; space: string }>(url, '/api/health');
    expect(ready.status).toBe(200);
    expect(healthSchema.parse(ready.body)).toEqual(ready.body);
    expect(ready.body.status).toBe('ok');
    expect(ready.body.items).toBe(demoItems(dataDir).length);
    expect(ready.body.space).toMatch(/\S/);
  });

  it('answers 503 "failed" with the reason when the collection cannot be opened, and keeps serving the other routes', async () => {
    const locked = path.join(tempDir('locked'), 'collection');
    mkdirSync(locked, { recursive: true });
    // Another live Node process holds the collection.
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    writeFileSync(path.join(locked, 'LOCK'), String(holder.pid));
    const failing = await startServer({ dataDir: locked, modelsDir, cacheDir, port: 0, logger: pino({ level: 'silent' }), watchSpace: false });
    try {
      await expect(failing.ready).rejects.toThrow(/lock/);
      const health = await request<{ status: string; message: string }>(failing.url, '/api/health');
      expect(health.status).toBe(503);
      expect(health.body.status).toBe('failed');
      expect(health.body.message).toMatch(/lock/);
      // Waiting will not mend a failed load: no Retry-After.
      expect(health.headers.get('retry-after')).toBeNull();
      const info = await request(failing.url, '/api/info');
      expectClientErrorOr503(info);
      expect(info.headers.get('retry-after')).toBeNull();
      expect((info.body as { error: { message: string } }).error.message).toMatch(/failed to load/);
      expect((await request(failing.url, '/api/openapi.json')).status).toBe(200);
      expect((await request(failing.url, '/metrics')).status).toBe(200);
    } finally {
      holder.kill();
      await failing.close();
      removeTemp(locked);
    }
  });
});

/** NOT_READY: 503 with the error body (a server state, not a client mistake). */
function expectClientErrorOr503(r: { status: number; body: unknown }) {
  expect(r.status).toBe(503);
  expect(errorSchema.parse(r.body).error.code).toBe('NOT_READY');
}

describe('info', () => {
  it('describes the collection, its space, the tuned composed weight, the upload limit and the data credits', async () => {
    const r = await request<Record<string, unknown>>(url, '/api/info');
    expect(r.status).toBe(200);
    const info = infoSchema.parse(r.body);
    const items = demoItems(dataDir);
    expect(info.items).toBe(items.length);
    expect(info.byModality).toEqual({ image: items.filter((i) => i.modality === 'image').length, audio: items.filter((i) => i.modality === 'audio').length });
    const tuning = JSON.parse(readFileSync(path.join(dataDir, TUNING_FILE), 'utf8')) as { composedTextWeight: number };
    expect(info.composedTextWeight).toBe(tuning.composedTextWeight);
    expect(info.maxUploadBytes).toBe(25 * 1024 * 1024);
    expect(info.space.modalities).toEqual(expect.arrayContaining(['image', 'sketch', 'audio', 'text']));
    expect(info.space.dim).toBeGreaterThan(0);
    expect(info.credits.map((c) => c.name)).toEqual(expect.arrayContaining(['OpenMoji']));
    expect(info.credits.find((c) => c.name === 'OpenMoji')!.license).toBe('CC BY-SA 4.0');
  });
});

/** The app's options with no collection behind it: enough for routes that never reach the engine. */
function enginelessApp(webDir: string): AppOptions {
  return {
    engine: () => {
      throw new RosettaError('NOT_READY', 'no engine in this test');
    },
    health: () => ({ status: 'starting' }),
    info: () => ({ name: 'rosetta', version: '0', maxUploadBytes: 1, credits: [] }),
    logger: pino({ level: 'silent' }),
    metrics: new ServerMetrics(),
    maxBodyBytes: 1000,
    webDir,
  };
}

describe('the OpenAPI document', () => {
  /** Every route the express app registers, as "METHOD /path" in OpenAPI's path syntax. */
  function appRoutes(): string[] {
    const app = createApp(enginelessApp(path.join(root, 'test/api/no-web-ui-here'))) as unknown as { router: { stack: { route?: { path: string; methods: Record<string, boolean> } }[] } };
    return app.router.stack
      .flatMap((layer) => (layer.route ? [layer.route] : []))
      // The catch-all 404 and the web UI are not API routes.
      .filter((r) => !r.path.includes('{*') && r.path !== '/')
      .flatMap((r) => Object.keys(r.methods).map((m) => `${m.toUpperCase()} ${r.path.replace(/:(\w+)/g, '{$1}')}`))
      .sort();
  }

  it('is served at /api/openapi.json as OpenAPI 3.1, the same document buildOpenApi makes', async () => {
    const r = await request<{ openapi: string }>(url, '/api/openapi.json');
    expect(r.status).toBe(200);
    expect(r.body.openapi).toBe('3.1.0');
    expect(r.body).toEqual(JSON.parse(JSON.stringify(buildOpenApi())));
  });

  it('lists exactly the routes the app registers, with the same methods', () => {
    const doc = buildOpenApi() as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths)
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`))
      .sort();
    const registered = appRoutes();
    expect(registered.length).toBeGreaterThanOrEqual(10);
    expect(documented).toEqual(registered);
  });

  it('documents the SearchRequest with exactly the fields the zod schema takes, and no others', () => {
    const doc = buildOpenApi() as { components: { schemas: Record<string, { properties: Record<string, unknown>; additionalProperties?: unknown }> }; paths: Record<string, Record<string, { requestBody: { content: Record<string, { schema: { properties: Record<string, unknown> } }> } }>> };
    const request = doc.components.schemas.SearchRequest;
    const keys = Object.keys(searchFieldsSchema.shape).sort();
    expect(Object.keys(request.properties).sort()).toEqual(keys);
    expect(request.additionalProperties).toBe(false);
    const multipart = doc.paths['/api/search'].post.requestBody.content['multipart/form-data'].schema;
    expect(Object.keys(multipart.properties).sort()).toEqual(keys);
    for (const name of ['SearchResponse', 'Item', 'Info', 'Health', 'Error']) expect(doc.components.schemas[name]).toBeTypeOf('object');
  });

  it('every $ref in it resolves within the document to a component that exists', () => {
    const doc = buildOpenApi() as { components: { schemas: Record<string, unknown> } };
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]*)"/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThan(5);
    for (const ref of refs) {
      expect(ref).toMatch(/^#\/components\/schemas\/\w+$/);
      expect(doc.components.schemas, ref).toHaveProperty(ref.split('/').pop()!);
    }
    expect(JSON.stringify(doc)).not.toContain('$defs');
  });

  it('documents the POST /api/items form with the file and exactly the fields the zod schema takes', () => {
    const doc = buildOpenApi() as { paths: Record<string, Record<string, { requestBody: { content: Record<string, { schema: { properties: Record<string, unknown>; required: string[] } }> } }>> };
    const form = doc.paths['/api/items'].post.requestBody.content['multipart/form-data'].schema;
    expect(Object.keys(form.properties).sort()).toEqual(['file', ...Object.keys(newItemFieldsSchema.shape)].sort());
    expect(form.required).toEqual(['file']);
  });

  it('describes real responses: search, item and error bodies parse with the schemas it was made from', async () => {
    const found = await search(url, { text: 'grinning face', k: 3 });
    expect(found.status).toBe(200);
    const parsed = searchResponseSchema.parse(found.body);
    expect(parsed).toEqual(found.body);
    const item = await request(url, `/api/items/${parsed.results[0].id}`);
    expect(itemSchema.parse(item.body)).toEqual(item.body);
    const bad = await search(url, { k: 0 });
    expect(errorSchema.parse(bad.body)).toEqual(bad.body);
    // Strict: a field the document does not name would fail here.
    expect(searchResponseSchema.strict().safeParse(found.body).success).toBe(true);
  });
});

describe('metrics', () => {
  it('serves Prometheus text with request counts by route, search latency by query type, and the collection size', async () => {
    await search(url, { text: 'red heart', k: 2 });
    await search(url, { itemId: demoItems(dataDir)[0].id, k: 2 });
    await request(url, '/api/items/abc');
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^rosetta_http_requests_total\{route="search",method="POST",status="200"\} \d+$/m);
    expect(text).toMatch(/^rosetta_http_requests_total\{route="items\.get",method="GET",status="400"\} 1$/m);
    expect(text).toMatch(/^rosetta_http_request_duration_seconds_bucket\{le="0\.1",route="search",method="POST"\} \d+$/m);
    expect(text).toMatch(/^rosetta_search_duration_seconds_count\{query_type="text"\} [1-9]\d*$/m);
    expect(text).toMatch(/^rosetta_search_duration_seconds_count\{query_type="item"\} [1-9]\d*$/m);
    const items = demoItems(dataDir);
    expect(text).toContain(`rosetta_collection_items{modality="image"} ${items.filter((i) => i.modality === 'image').length}`);
    expect(text).toContain(`rosetta_collection_items{modality="audio"} ${items.filter((i) => i.modality === 'audio').length}`);
    expect(text).toMatch(/^rosetta_process_cpu_seconds_total \d/m);
  });
});

describe('request ids and logs', () => {
  it('echoes a given x-request-id in the header, the error body and the JSON log line', async () => {
    const r = await search(url, { text: 'cat', k: 5000 }, { 'x-request-id': 'test-req-42' });
    expect(r.headers.get('x-request-id')).toBe('test-req-42');
    expectClientError(r, 400, 'INVALID_ARGUMENT');
    expect((r.body as unknown as { error: { requestId: string } }).error.requestId).toBe('test-req-42');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const line = logLines.find((l) => (l.req as { id?: string } | undefined)?.id === 'test-req-42');
    expect(line).toBeDefined();
    expect(line!.level).toBe(40);
    expect((line!.res as { statusCode: number }).statusCode).toBe(400);
    expect(line!.responseTime).toBeTypeOf('number');
  });

  it('writes credentials to the log as [redacted], on both ways in', async () => {
    const secret = 'key-that-must-not-be-logged';
    const headers = { authorization: `Bearer ${secret}`, cookie: `session=${secret}`, 'proxy-authorization': `Basic ${secret}` };
    await search(url, { text: 'cat', k: 1 }, { ...headers, 'x-request-id': 'test-req-redact-json' });
    // A GET goes through express, not the JSON search route.
    await fetch(`${url}/api/info`, { headers: { ...headers, 'x-request-id': 'test-req-redact-express' } });
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (const id of ['test-req-redact-json', 'test-req-redact-express']) {
      const line = logLines.find((l) => (l.req as { id?: string } | undefined)?.id === id);
      expect(line, id).toBeDefined();
      const logged = (line!.req as { headers: Record<string, string> }).headers;
      expect(logged.authorization).toBe('[redacted]');
      expect(logged.cookie).toBe('[redacted]');
      expect(logged['proxy-authorization']).toBe('[redacted]');
      expect(logged['x-request-id']).toBe(id);
      expect(JSON.stringify(line)).not.toContain(secret);
    }
  });

  it('makes up a request id when none (or an unsafe one) is given', async () => {
    const plain = await search(url, { text: 'cat', k: 1 });
    expect(plain.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const unsafe = await search(url, { text: 'cat', k: 1 }, { 'x-request-id': 'a b\tc<script>' });
    expect(unsafe.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const line = logLines.find((l) => (l.req as { id?: string } | undefined)?.id === plain.headers.get('x-request-id'));
    expect(line?.level).toBe(30);
  });
});

describe('the web UI', () => {
  /** The app alone on a free port, for routes that need no collection. */
  async function bareApp(webDir: string) {
    const app = createApp(enginelessApp(webDir));
    const listener = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    return { url: `http://127.0.0.1:${(listener.address() as AddressInfo).port}`, close: () => new Promise((r) => listener.close(r)) };
  }

  it('serves the built UI at / when there is one, with its assets, and nothing outside it', async () => {
    const web = path.join(tempDir('web'), 'dist');
    mkdirSync(web, { recursive: true });
    writeFileSync(path.join(web, 'index.html'), '<!doctype html><title>Rosetta test UI</title>');
    writeFileSync(path.join(web, 'app.js'), 'console.log(1)');
    const app = await bareApp(web);
    try {
      const index = await request<string>(app.url, '/');
      expect(index.status).toBe(200);
      expect(index.headers.get('content-type')).toMatch(/^text\/html/);
      expect(index.body).toContain('Rosetta test UI');
      const js = await fetch(`${app.url}/app.js`);
      expect(js.status).toBe(200);
      expect(js.headers.get('content-type')).toMatch(/javascript/);
      expectClientError(await request(app.url, '/..%2F..%2Fetc%2Fpasswd'), 404, 'NOT_FOUND');
      expectClientError(await request(app.url, '/missing.js'), 404, 'NOT_FOUND');
      // The API stays JSON next to the UI.
      expectClientError(await request(app.url, '/api/nothing'), 404, 'NOT_FOUND');
    } finally {
      await app.close();
      removeTemp(web);
    }
  });

  it('says how to build the UI when it is not built', async () => {
    const app = await bareApp(path.join(root, 'test/api/no-web-ui-here'));
    try {
      const r = await request<string>(app.url, '/');
      expect(r.status).toBe(503);
      expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(r.body).toMatch(/build:web/);
    } finally {
      await app.close();
    }
  });

  it('the real server answers / with the UI or the build hint, never an error', async () => {
    const r = await request<string>(url, '/');
    expect([200, 503]).toContain(r.status);
    expect(r.headers.get('content-type')).toMatch(r.status === 200 ? /^text\/html/ : /^text\/plain/);
  });
});
