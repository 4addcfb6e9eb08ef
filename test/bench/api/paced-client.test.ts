import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { pacedLoad } from './paced-client.ts';

/** A server answering each body's `{ms, status}` after `ms`, with the body it got echoed back. */
async function serve(options: { closeEvery?: number; chunked?: boolean } = {}): Promise<{ url: string; bodies: string[]; sockets: Set<unknown>; close(): Promise<void> }> {
  const bodies: string[] = [];
  const sockets = new Set<unknown>();
  let count = 0;
  const server = http.createServer((req, res) => {
    sockets.add(req.socket);
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      bodies.push(body);
      const { ms = 0, status = 200 } = JSON.parse(body) as { ms?: number; status?: number };
      const reply = JSON.stringify({ echo: body, pad: 'x'.repeat(40_000) });
      setTimeout(() => {
        const headers: Record<string, string | number> = { 'content-type': 'application/json' };
        if (!options.chunked) headers['content-length'] = Buffer.byteLength(reply);
        if (options.closeEvery && ++count % options.closeEvery === 0) headers.connection = 'close';
        res.writeHead(status, headers).end(reply);
      }, ms);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, bodies, sockets, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('pacedLoad', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it('sends every request at its rate, each body in turn, and times 2xx answers from when they were due', async () => {
    const s = await serve();
    close = s.close;
    const bodies = [JSON.stringify({ ms: 20 }), JSON.stringify({ ms: 20, n: 2 })];
    const r = await pacedLoad({ url: s.url, path: '/api/search', bodies, connections: 4, seconds: 1, rate: 40 });
    expect(r).toMatchObject({ completed: 40, non2xx: 0, errors: 0, statusCodes: { 200: 40 } });
    expect(s.bodies).toHaveLength(40);
    expect(s.bodies.slice(0, 4)).toEqual([bodies[0], bodies[1], bodies[0], bodies[1]]);
    expect(r.latencies).toHaveLength(40);
    expect(Math.min(...r.latencies)).toBeGreaterThanOrEqual(19);
    // 40 requests due over one second: the run lasts about that long, not 40 x 20 ms.
    expect(r.seconds).toBeGreaterThan(0.95);
    expect(r.seconds).toBeLessThan(1.6);
    expect(s.sockets.size).toBeLessThanOrEqual(4);
  });

  it('charges a server that falls behind for the wait: requests queue for the sockets, their latency counts from when they were due', async () => {
    const s = await serve();
    close = s.close;
    // One socket, 100 ms per answer, 10 due at once-ish (every 10 ms): the last waits ~0.9 s.
    const r = await pacedLoad({ url: s.url, path: '/x', bodies: [JSON.stringify({ ms: 100 })], connections: 1, seconds: 0.1, rate: 100 });
    expect(r.completed).toBe(10);
    expect(s.sockets.size).toBe(1);
    const sorted = [...r.latencies].sort((a, b) => a - b);
    expect(sorted[0]).toBeGreaterThanOrEqual(99);
    expect(sorted[9]).toBeGreaterThan(900);
  });

  it('counts non-2xx answers apart, by status, without their latencies', async () => {
    const s = await serve();
    close = s.close;
    const r = await pacedLoad({ url: s.url, path: '/x', bodies: [JSON.stringify({ status: 400 }), JSON.stringify({})], connections: 2, seconds: 0.5, rate: 20 });
    expect(r).toMatchObject({ completed: 10, non2xx: 5, errors: 0, statusCodes: { 200: 5, 400: 5 } });
    expect(r.latencies).toHaveLength(5);
  });

  it('opens a new socket when the server closes one after answering', async () => {
    const s = await serve({ closeEvery: 3 });
    close = s.close;
    const r = await pacedLoad({ url: s.url, path: '/x', bodies: [JSON.stringify({ ms: 1 })], connections: 2, seconds: 0.5, rate: 40 });
    expect(r).toMatchObject({ completed: 20, non2xx: 0, errors: 0 });
    expect(s.sockets.size).toBeGreaterThan(2);
  });

  it('counts as errors the answers it cannot frame (no Content-Length) and requests to a server that is gone', async () => {
    const s = await serve({ chunked: true });
    close = s.close;
    const r = await pacedLoad({ url: s.url, path: '/x', bodies: ['{}'], connections: 2, seconds: 0.25, rate: 20 });
    expect(r).toMatchObject({ completed: 0, errors: 5 });
    await s.close();
    close = undefined;
    const gone = await pacedLoad({ url: s.url, path: '/x', bodies: ['{}'], connections: 2, seconds: 0.25, rate: 20 });
    expect(gone).toMatchObject({ completed: 0, errors: 5 });
  });
});
