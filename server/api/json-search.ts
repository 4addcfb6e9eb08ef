/**
 * POST /api/search with a JSON body, answered on node's own request and response objects.
 *
 * It is the hottest route by far, and on the 2-core box express's router, body parser and
 * res.json were a third of the main thread's CPU for a text query. A stand-in route with the
 * same 4.8 kB reply at 500 req/s took 0.46-0.56 ms of CPU per request through express and
 * 0.15-0.22 ms through node:http; the real server's main thread went from 0.78-0.89 to
 * 0.55-0.60 ms per text query (issue 5, session 10). Only the plain case comes here: the exact
 * path, a JSON content type in UTF-8, no content encoding, and a declared length within the
 * body limit. Everything else (multipart uploads, chunked or compressed
 * bodies, a body over the limit, /api/search/ or /api/search?x) goes to express, which answers
 * it as before. Both ways share the request tracking, the query schema and the error replies,
 * and test/api/json-search.test.ts checks they answer alike.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RosettaError } from '../../models/errors.ts';
import type { MediaInput } from '../../models/types.ts';
import { fromDataUrl, type EngineQuery, type QueryEngine, type QueryMediaField } from '../engine/index.ts';
import { errorReply, parseWith } from './errors.ts';
import type { ServerMetrics } from './metrics.ts';
import type { TrackRequest } from './request-tracking.ts';
import { searchRequestSchema, type SearchResponse } from './schemas.ts';

/** The query fields that carry media, as data URLs here and as uploaded files on express's route. */
export const mediaFields: QueryMediaField[] = ['image', 'sketch', 'audio'];

export interface JsonSearchOptions {
  engine: () => QueryEngine;
  metrics: ServerMetrics;
  track: TrackRequest;
  maxBodyBytes: number;
}

/** A JSON search body, checked against the schema, with its data URLs decoded and checked. */
export function jsonSearchQuery(body: unknown): EngineQuery {
  const request = parseWith(searchRequestSchema, body);
  const media: Partial<Record<QueryMediaField, MediaInput>> = {};
  for (const m of mediaFields) {
    const url = request[m];
    if (url !== undefined) media[m] = fromDataUrl(m, url);
  }
  return { ...request, ...media } as EngineQuery;
}

/** The engine's answer to `query`, its time observed under its query type (both ways in). */
export async function observedSearch(engine: QueryEngine, metrics: ServerMetrics, query: EngineQuery): Promise<SearchResponse> {
  const started = performance.now();
  const response = await engine.search(query);
  metrics.observeSearch(response.queryType, (performance.now() - started) / 1000);
  return response;
}

/**
 * The route as a request listener that answers only what it takes and returns whether it did.
 *
 * @example
 * const search = jsonSearchRoute({ engine, metrics, track, maxBodyBytes });
 * http.createServer((req, res) => search(req, res) || app(req, res));
 */
export function jsonSearchRoute(options: JsonSearchOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { engine, metrics, track, maxBodyBytes } = options;
  const takes = (req: IncomingMessage): boolean => {
    if (req.method !== 'POST' || req.url !== '/api/search') return false;
    const { headers } = req;
    if (!isUtf8Json(headers['content-type']) || headers['transfer-encoding'] !== undefined) return false;
    if (headers['content-encoding'] !== undefined && headers['content-encoding'].toLowerCase() !== 'identity') return false;
    const length = Number(headers['content-length']);
    return headers['content-length'] !== undefined && Number.isSafeInteger(length) && length >= 0 && length <= maxBodyBytes;
  };

  const send = (res: ServerResponse, status: number, body: unknown): void => {
    const json = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json) });
    res.end(json);
  };

  const answer = async (req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> => {
    try {
      const query = jsonSearchQuery(parseStrictJson(raw));
      send(res, 200, await observedSearch(engine(), metrics, query));
    } catch (err) {
      const reply = errorReply(err, maxBodyBytes, String(req.id ?? ''));
      if (reply.log) req.log?.error({ err }, reply.log);
      // A reply that failed half-way cannot be followed by another: end the connection instead.
      if (res.headersSent) res.destroy();
      else {
        for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
        send(res, reply.status, reply.body);
      }
    }
  };

  return (req, res) => {
    if (!takes(req)) return false;
    track(req, res, () => 'search');
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    // An aborted request has no one to answer; its socket is gone, as on the express path.
    req.on('end', () => void answer(req, res, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    return true;
  };
}

/** application/json with no charset or UTF-8, the only kind this route reads itself. */
function isUtf8Json(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const [type, ...params] = contentType.split(';').map((p) => p.trim().toLowerCase());
  if (type !== 'application/json') return false;
  return params.every((p) => p === '' || p === 'charset=utf-8' || p === 'charset="utf-8"');
}

/**
 * JSON.parse as express.json({strict: true}) (body-parser 2) reads a body, with the same
 * messages: an empty body is {}, a leading byte order mark is dropped, and a body that starts
 * with anything but an object or an array is refused where it starts.
 */
function parseStrictJson(raw: Buffer): unknown {
  let text = raw.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.length === 0) return {};
  try {
    const first = /^[\x20\x09\x0a\x0d]*([^\x20\x09\x0a\x0d])/.exec(text)?.[1];
    if (first !== '{' && first !== '[') {
      // body-parser's wording: the parser's own error for the text cut where it goes wrong.
      const at = first === undefined ? -1 : text.indexOf(first);
      const partial = at < 0 ? '' : text.slice(0, at) + '#'.repeat(text.length - at);
      try {
        JSON.parse(partial);
      } catch (err) {
        throw new SyntaxError((err as Error).message.replace(/#+/g, (hashes) => text.slice(at, at + hashes.length)));
      }
    }
    return JSON.parse(text);
  } catch (err) {
    throw new RosettaError('INVALID_ARGUMENT', `the body is not valid JSON: ${(err as Error).message}`.trim());
  }
}
