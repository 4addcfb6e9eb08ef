/**
 * The server's life cycle over HTTP: a SIGTERM lets the request in flight finish before the
 * process exits 0, and searches keep answering while the collection moves into another space
 * (called directly, or by a new CURRENT in the models folder).
 */
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadCurrentSpace, readCurrentVersion, setCurrentSpace, spacesDir, SPACE_FILE } from '../../models/space/index.ts';
import { unalignedProjector } from '../../server/eval/index.ts';
import type { QueryEngine, RunningServer } from '../../server/index.ts';
import { runRosetta } from '../helpers/cli.ts';
import { spawnServe as spawnProcess } from '../helpers/serve-process.ts';
import { buildSmallDemo, dataUrl, demoFile, demoItems, modelsDir, removeTemp, request, root, search, serve, tempDir, type SearchBody } from './helpers.ts';

let dataDir: string;

beforeAll(async () => {
  dataDir = await buildSmallDemo('lifecycle');
});

afterAll(() => removeTemp(dataDir));

/** `rosetta serve` on the collection, resolved with its URL once /api/health would answer 200. */
const spawnServe = (env: NodeJS.ProcessEnv = {}) => spawnProcess(dataDir, env);

/** A multipart image search sent in two halves, so the test decides when it is in flight. */
function slowImageSearch(url: string, image: Buffer, agent: http.Agent | false = false): { sendRest: () => void; response: Promise<{ status: number; body: string; connection?: string }> } {
  const boundary = 'rosetta-test-boundary';
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="k"\r\n\r\n5\r\n`),
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="q.png"\r\nContent-Type: image/png\r\n\r\n`),
    image,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const half = Math.floor(body.length / 2);
  const req = http.request(`${url}/api/search`, {
    method: 'POST',
    agent,
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': body.length },
  });
  const response = new Promise<{ status: number; body: string; connection?: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, connection: res.headers.connection }));
    });
    req.on('error', reject);
  });
  req.write(body.subarray(0, half));
  return { sendRest: () => req.end(body.subarray(half)), response };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('graceful shutdown', () => {
  it('on SIGTERM refuses new connections, finishes the request in flight with 200, then exits 0', async () => {
    const { child, url, stderr, exited } = await spawnServe();
    const image = demoItems(dataDir).find((i) => i.modality === 'image')!;
    const slow = slowImageSearch(url, demoFile(dataDir, image.path));
    // Headers and half the body are in: the request is in flight.
    await sleep(500);
    child.kill('SIGTERM');
    for (let i = 0; i < 100 && !/SIGTERM: finishing requests/.test(stderr()); i++) await sleep(50);
    expect(stderr()).toMatch(/SIGTERM: finishing requests in flight/);
    await expect(fetch(`${url}/api/health`)).rejects.toThrow();
    expect(child.exitCode).toBeNull();

    slow.sendRest();
    const { status, body } = await slow.response;
    expect(status, body).toBe(200);
    const parsed = JSON.parse(body) as SearchBody;
    expect(parsed.results[0].externalId).toBe(image.id);
    expect(await exited).toBe(0);
  });
});

describe('a server that cannot start', () => {
  const noStack = (stderr: string) => expect(stderr).not.toMatch(/^\s+at /m);

  it('exits 2 with the lock error when another server holds the collection, instead of listening on', async () => {
    const holder = await serve(dataDir);
    try {
      const second = await runRosetta('serve', '--db', dataDir, '--port', '0');
      expect(second.code).toBe(2);
      expect(second.stderr).toMatch(/rosetta: INVALID_ARGUMENT: collection lock .* is held by process/);
      noStack(second.stderr);
      // The first one goes on answering.
      expect((await search(holder.url, { text: 'face', k: 1 })).status).toBe(200);
    } finally {
      await holder.close();
    }
  });

  it('says in one line that its port is taken, and exits 2', async () => {
    const taken = http.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const r = await runRosetta('serve', '--db', dataDir, '--port', String(port));
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`rosetta: INVALID_ARGUMENT: port ${port} on 127.0.0.1 is in use`);
      noStack(r.stderr);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});

describe('request logs (ROSETTA_LOG_LEVEL)', () => {
  /** The JSON log lines the server wrote for requests, once it has exited. */
  const requestLines = (stdout: string) =>
    stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { level: number; msg: string; req?: { id: string; url: string }; res?: { statusCode: number } })
      .filter((l) => l.req !== undefined);

  it('info (the default) writes a JSON line per request with its request id; warn keeps the failed ones; silent writes none', async () => {
    const lines: Record<string, ReturnType<typeof requestLines>> = {};
    for (const level of ['', 'warn', 'silent']) {
      const { child, url, stdout, exited } = await spawnServe({ ROSETTA_LOG_LEVEL: level });
      const ok = await fetch(`${url}/api/search`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'req-ok' }, body: JSON.stringify({ text: 'red heart' }) });
      expect(ok.status).toBe(200);
      const bad = await fetch(`${url}/api/search`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'req-bad' }, body: JSON.stringify({ k: 5 }) });
      expect(bad.status).toBe(400);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      lines[level] = requestLines(stdout());
    }
    expect(lines[''].map((l) => [l.req!.id, l.res!.statusCode])).toEqual([
      ['req-ok', 200],
      ['req-bad', 400],
    ]);
    expect(lines['warn'].map((l) => l.req!.id)).toEqual(['req-bad']);
    expect(lines['silent']).toEqual([]);
  });

  it('refuses an unknown level by name before it listens', async () => {
    // spawnServe rejects with the exit code and everything the process wrote to stderr.
    const failure = await spawnServe({ ROSETTA_LOG_LEVEL: 'loud' }).then(
      () => 'it became ready',
      (err: Error) => err.message,
    );
    expect(failure).toMatch(/exited with (?!0 )\S+ before it was ready/);
    expect(failure).toMatch(/ROSETTA_LOG_LEVEL must be one of .*silent; got "loud"/);
    expect(failure).not.toMatch(/listening on/);
  });
});

describe('closing the server in process', () => {
  it('finishes a request in flight on a keep-alive socket, tells the client to hang up, and closes without waiting for the socket to time out', async () => {
    const server = await serve(dataDir);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const image = demoItems(dataDir).find((i) => i.modality === 'image')!;
      // A first request leaves the socket open and idle; the slow one reuses it.
      const warm = slowImageSearch(server.url, demoFile(dataDir, image.path), agent);
      warm.sendRest();
      expect((await warm.response).connection).toBe('keep-alive');
      const slow = slowImageSearch(server.url, demoFile(dataDir, image.path), agent);
      await sleep(300);
      let closed = false;
      const closing = server.close().then(() => (closed = true));
      await sleep(200);
      expect(closed).toBe(false);
      slow.sendRest();
      const { status, body, connection } = await slow.response;
      expect(status, body).toBe(200);
      expect(connection).toBe('close');
      await closing;
      expect(closed).toBe(true);
    } finally {
      agent.destroy();
      await server.close();
    }
  });
});

/** Searches of several kinds, over and over, until stopped; every answer is kept. */
function searchLoop(url: string, queries: object[]): { stop: () => Promise<{ status: number; body: unknown }[]> } {
  let running = true;
  const answers: { status: number; body: unknown }[] = [];
  const workers = queries.map(async (q) => {
    while (running) answers.push(await search(url, q));
  });
  return {
    stop: async () => {
      running = false;
      await Promise.all(workers);
      return answers;
    },
  };
}

describe('moving into another space while searching', () => {
  let server: RunningServer | undefined;
  let models: string;

  beforeAll(async () => {
    // A models folder of our own, so the test can write its CURRENT: the repository's space
    // as it is, and a copy of it under another version.
    models = path.join(tempDir('models'), 'models');
    const version = (await readCurrentVersion(modelsDir))!;
    const from = path.join(spacesDir(modelsDir), version);
    mkdirSync(spacesDir(models), { recursive: true });
    symlinkSync(from, path.join(spacesDir(models), version));
    const copy = path.join(spacesDir(models), `${version}~copy`);
    mkdirSync(copy);
    for (const f of readdirSync(from)) if (f !== SPACE_FILE) symlinkSync(path.join(from, f), path.join(copy, f));
    const manifest = JSON.parse(readFileSync(path.join(from, SPACE_FILE), 'utf8')) as { version: string };
    writeFileSync(path.join(copy, SPACE_FILE), JSON.stringify({ ...manifest, version: `${version}~copy` }));
    await setCurrentSpace(models, version);
  });
  afterAll(() => removeTemp(models));

  const queries = () => {
    const items = demoItems(dataDir);
    const image = items.find((i) => i.modality === 'image')!;
    const sound = items.find((i) => i.modality === 'audio')!;
    return [
      { text: 'grinning face' },
      { text: 'laser zap', hybrid: false, modalities: ['audio'] },
      { image: dataUrl('image/png', demoFile(dataDir, image.path)), k: 5 },
      { audio: dataUrl('audio/wav', demoFile(dataDir, sound.path)), k: 5 },
      { itemId: image.id, k: 5 },
    ];
  };

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('answers every search while the engine moves to a space of another width and back', async () => {
    server = await serve(dataDir, { modelsDir: models, watchSpace: false });
    const engine: QueryEngine = await server.ready;
    const original = (await loadCurrentSpace(models))!;
    const loop = searchLoop(server.url, queries());
    await sleep(300);
    const baseline = unalignedProjector({ dim: 64, encoders: engine.projector.encoders });
    await engine.useProjector(baseline);
    await sleep(500);
    expect((await request<{ space: string }>(server.url, '/api/health')).body.space).toBe(baseline.version);
    await engine.useSpace(original);
    await sleep(300);
    const answers = await loop.stop();
    const failed = answers.filter((a) => a.status !== 200);
    expect(failed.slice(0, 3)).toEqual([]);
    const spaces = new Set(answers.map((a) => (a.body as SearchBody).space));
    expect(spaces).toEqual(new Set([original.manifest.version, baseline.version]));
    expect((await request<{ space: string }>(server.url, '/api/health')).body.space).toBe(original.manifest.version);
  });

  it('follows a new CURRENT in the models folder, answering every search throughout', async () => {
    server = await serve(dataDir, { modelsDir: models, watchSpace: true });
    const before = (await readCurrentVersion(models))!;
    const next = `${before}~copy`;
    const loop = searchLoop(server.url, queries());
    await sleep(300);
    await setCurrentSpace(models, next);
    let space = before;
    for (let i = 0; i < 100 && space !== next; i++) {
      await sleep(200);
      space = (await request<{ space: string }>(server.url, '/api/health')).body.space;
    }
    expect(space).toBe(next);
    await sleep(300);
    const answers = await loop.stop();
    expect(answers.filter((a) => a.status !== 200).slice(0, 3)).toEqual([]);
    expect(new Set(answers.map((a) => (a.body as SearchBody).space))).toEqual(new Set([before, next]));
    const info = await request<{ space: { version: string } }>(server.url, '/api/info');
    expect(info.body.space.version).toBe(next);
  });
});
