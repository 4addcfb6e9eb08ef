/**
 * The express application: the JSON API, /metrics, and the web UI's static files. It holds no
 * state of its own; the engine (which owns the collection) comes from `engine()`, which throws
 * NOT_READY until it is loaded, so the routes answer 503 rather than wait while it starts.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { RequestListener } from 'node:http';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import multer from 'multer';
import type { Logger } from 'pino';
import { RosettaError } from '../../models/errors.ts';
import type { MediaInput } from '../../models/types.ts';
import { checkMedia, type EngineQuery, type QueryEngine, type QueryMediaField } from '../engine/index.ts';
import { errorBody, errorHandler, parseWith, RETRY_WHILE_STARTING } from './errors.ts';
import type { ServerMetrics } from './metrics.ts';
import { jsonSearchQuery, jsonSearchRoute, mediaFields, observedSearch } from './json-search.ts';
import { searchFieldsFromMultipart } from './multipart.ts';
import { buildOpenApi } from './openapi.ts';
import { requestTracking, type TrackRequest } from './request-tracking.ts';
import { EMPTY_QUERY_MESSAGE, hasQueryPart, newItemFieldsSchema, searchFieldsSchema, type Info } from './schemas.ts';

/**
 * Headers for files users uploaded, served from the UI's own origin. An SVG may carry scripts,
 * and opened on its own it would run them with the UI's origin; the sandbox runs none and
 * fetches nothing, while an <img> or <audio> in the UI shows the file as before. nosniff keeps
 * a browser from reading a file as another type than the one stored for it.
 */
const UNTRUSTED_FILE_HEADERS = {
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox",
  'X-Content-Type-Options': 'nosniff',
} as const;

export interface AppOptions {
  /** The engine, or a throw of NOT_READY (503) while it loads. */
  engine: () => QueryEngine;
  /** What GET /api/health says while the engine is not there. */
  health: () => { status: 'ok' | 'starting' | 'failed'; message?: string };
  info: () => Omit<Info, 'space' | 'items' | 'byModality' | 'composedTextWeight'>;
  logger: Logger;
  metrics: ServerMetrics;
  /** Write routes need `Authorization: Bearer <apiKey>` when set. */
  apiKey?: string;
  /** Largest request body or uploaded file, in bytes. */
  maxBodyBytes: number;
  /** The built web UI (index.html at its root); not served when missing. */
  webDir?: string;
}

/**
 * What the server listens with: the JSON search route of json-search.ts for the plain JSON
 * searches it takes, express for every other request.
 *
 * @example http.createServer(createRequestHandler(options)).listen(8080)
 */
export function createRequestHandler(options: AppOptions): RequestListener {
  const track = requestTracking(options.logger, options.metrics);
  const app = createApp(options, track);
  const search = jsonSearchRoute({ engine: options.engine, metrics: options.metrics, track, maxBodyBytes: options.maxBodyBytes });
  return (req, res) => {
    if (!search(req, res)) app(req, res);
  };
}

/**
 * The express application alone: every route, including a JSON search that json-search.ts did
 * not take. `track` is shared with that route when createRequestHandler builds both.
 */
export function createApp(options: AppOptions, track: TrackRequest = requestTracking(options.logger, options.metrics)): express.Express {
  const { engine, metrics, maxBodyBytes } = options;
  const app = express();
  app.disable('x-powered-by');
  // No ETag on JSON: search is a POST (never revalidated), and hashing every body costs CPU on
  // the hot path. Thumbnails set their own; files and the web UI get theirs from `send`.
  app.set('etag', false);
  app.set('query parser', 'simple');

  app.use((req, res, next) => {
    track(req, res, () => (res.locals.route as string | undefined) ?? (req.path.startsWith('/api/') ? 'unmatched' : 'static'));
    next();
  });

  const json = express.json({ limit: maxBodyBytes, strict: true });
  // multer limits each part, not the body: the declared length is checked before it reads, and
  // what it read after (a chunked body declares none). Text fields are short (a query is at
  // most 1,000 characters), so a body of many large fields is refused as it arrives.
  const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: maxBodyBytes, fieldSize: MAX_FIELD_BYTES, files: 3, fields: 20, parts: 24 } });
  const withinLimit = (what: string): RequestHandler => (req, _res, next) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxBodyBytes) return next(tooLarge(what, declared, maxBodyBytes));
    next();
  };
  const readWithinLimit = (what: string, parts: RequestHandler): RequestHandler[] => [
    withinLimit(what),
    parts,
    (req, _res, next) => {
      const files = req.file ? [req.file] : Object.values((req.files ?? {}) as Record<string, Express.Multer.File[]>).flat();
      const fields = Object.values((req.body ?? {}) as Record<string, unknown>).flat();
      const total = files.reduce((n, f) => n + f.size, 0) + fields.reduce<number>((n, v) => n + Buffer.byteLength(String(v)), 0);
      next(total > maxBodyBytes ? tooLarge(what, total, maxBodyBytes) : undefined);
    },
  ];
  const searchFiles = readWithinLimit('the search', upload.fields(mediaFields.map((name) => ({ name, maxCount: 1 }))));
  const itemFile = readWithinLimit('the upload', upload.single('file'));
  const route = (name: string): RequestHandler => (_req, res, next) => {
    res.locals.route = name;
    next();
  };
  const requireKey: RequestHandler = (req, res, next) => {
    if (options.apiKey === undefined) return next();
    const header = req.headers.authorization ?? '';
    // The scheme is case-insensitive (RFC 9110 §11.1): "bearer <key>" is the same credential.
    const given = Buffer.from(/^bearer +(.*\S) *$/i.exec(header)?.[1] ?? '');
    const want = Buffer.from(options.apiKey);
    if (given.length !== want.length || !timingSafeEqual(given, want)) {
      // RFC 9110 §11.6.1: a 401 names the scheme the client should use.
      res.set('WWW-Authenticate', 'Bearer realm="rosetta"');
      const scheme = /^(\S+)/.exec(header)?.[1];
      const message = !header
        ? 'this route needs Authorization: Bearer <API key>'
        : scheme && !/^bearer$/i.test(scheme)
          ? `the Authorization header uses the ${scheme} scheme; send the API key as Authorization: Bearer <API key>`
          : 'the API key is wrong';
      return next(new RosettaError('UNAUTHENTICATED', message));
    }
    next();
  };

  app.get('/api/health', route('health'), (_req, res) => {
    const h = options.health();
    if (h.status !== 'ok') return void res.status(503).set(h.status === 'starting' ? RETRY_WHILE_STARTING : {}).json(h);
    const e = engine();
    res.json({ status: 'ok', items: e.store.stats().items, space: e.projector.version });
  });

  app.get('/api/info', route('info'), (_req, res) => {
    const e = engine();
    const stats = e.store.stats();
    const info: Info = {
      ...options.info(),
      space: { version: e.projector.version, dim: e.projector.dim, modalities: e.projector.modalities },
      items: stats.items,
      byModality: stats.byModality,
      composedTextWeight: e.composedTextWeight,
    };
    res.json(info);
  });

  app.get('/api/openapi.json', route('openapi'), (_req, res) => {
    res.json(buildOpenApi());
  });

  app.get('/metrics', route('metrics'), async (_req, res) => {
    try {
      metrics.setCollection(engine().store.stats().byModality);
    } catch {
      // Still loading: the process metrics are worth serving anyway.
    }
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  app.post('/api/search', route('search'), (req, res, next) => (req.is('multipart/form-data') ? next() : json(req, res, next)), ...searchFiles.map(onlyMultipart), async (req, res) => {
    const query = readSearch(req);
    res.json(await observedSearch(engine(), metrics, query));
  });

  app.post('/api/items', route('items.create'), requireKey, ...itemFile, async (req, res) => {
    if (!req.is('multipart/form-data')) throw new RosettaError('UNSUPPORTED_MEDIA', 'POST /api/items takes multipart/form-data with a file in the field "file"');
    const file = req.file;
    if (!file) throw new RosettaError('INVALID_ARGUMENT', 'file: missing; send the media file in the multipart field "file"');
    const fields = parseWith(newItemFieldsSchema, { ...(req.body as object) });
    const { status, item } = await engine().addItem({ name: file.originalname || 'upload', data: file.buffer }, fields);
    res.status(status === 'added' ? 201 : 200).json({ status, item });
  });

  app.get('/api/items/:id', route('items.get'), (req, res) => {
    res.json(engine().getItem(itemId(req)));
  });

  app.delete('/api/items/:id', route('items.delete'), requireKey, async (req, res) => {
    const id = itemId(req);
    await engine().deleteItem(id);
    res.json({ deleted: id });
  });

  app.get('/api/items/:id/content', route('items.content'), (req, res, next) => {
    const { path, mime } = engine().content(itemId(req));
    res.sendFile(path, { headers: { 'Content-Type': mime, 'Cache-Control': 'private, max-age=3600', ...UNTRUSTED_FILE_HEADERS }, dotfiles: 'allow' }, (err) => {
      if (!err) return;
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') next(new RosettaError('NOT_FOUND', `the file of item ${req.params.id} is missing from disk`));
      else if (!res.headersSent) next(err);
    });
  });

  app.get('/api/items/:id/thumbnail', route('items.thumbnail'), (req, res) => {
    const data = engine().thumbnail(itemId(req));
    // A thumbnail changes only with its item: the hash lets a browser revalidate (304) after max-age.
    const tag = `"${createHash('sha1').update(data).digest('base64url')}"`;
    res.type('image/webp').set({ 'Cache-Control': 'private, max-age=3600', ETag: tag, ...UNTRUSTED_FILE_HEADERS }).send(data);
  });

  app.all('/api/{*rest}', route('unmatched'), (req, res) => {
    const allowed = API_ROUTES.find((r) => r.path.test(req.path))?.methods;
    if (!allowed) throw new RosettaError('NOT_FOUND', `no route ${req.method} ${req.path}; see GET /api/openapi.json`);
    const allow = [...allowed, ...(allowed.includes('GET') ? ['HEAD'] : []), 'OPTIONS'].join(', ');
    res.set('Allow', allow);
    if (req.method === 'OPTIONS') return void res.status(204).end();
    throw new RosettaError('METHOD_NOT_ALLOWED', `${req.path} does not take ${req.method}; it takes ${allow}`);
  });

  if (options.webDir && existsSync(options.webDir)) {
    app.use(express.static(options.webDir, { index: 'index.html', maxAge: '1h' }));
  } else {
    app.get('/', (_req, res) => {
      res.status(503).type('text/plain').send('The web UI is not built; run `npm run build:web` (npm install and npm start build it).');
    });
  }

  app.use((req: Request, res: Response, _next: NextFunction) => {
    res.status(404).json(errorBody('NOT_FOUND', `nothing at ${req.method} ${req.path}`, String(req.id)));
  });
  app.use(errorHandler(maxBodyBytes));
  return app;
}

/** Every API route's path and methods, for 405 replies and OPTIONS (express answers neither). */
const API_ROUTES: readonly { path: RegExp; methods: readonly string[] }[] = [
  { path: /^\/api\/health$/, methods: ['GET'] },
  { path: /^\/api\/info$/, methods: ['GET'] },
  { path: /^\/api\/openapi\.json$/, methods: ['GET'] },
  { path: /^\/api\/search\/?$/, methods: ['POST'] },
  { path: /^\/api\/items\/?$/, methods: ['POST'] },
  { path: /^\/api\/items\/[^/]+\/?$/, methods: ['GET', 'DELETE'] },
  { path: /^\/api\/items\/[^/]+\/(content|thumbnail)\/?$/, methods: ['GET'] },
];

/** The largest text field of a multipart form: far above any query or caption, far below a file. */
const MAX_FIELD_BYTES = 1 << 20;

function tooLarge(what: string, bytes: number, limit: number): RosettaError {
  return new RosettaError('INPUT_TOO_LARGE', `${what} is ${bytes} bytes, more than the limit of ${limit} bytes`);
}

/** A multipart step that lets any other body pass untouched. */
function onlyMultipart(handler: RequestHandler): RequestHandler {
  return (req, res, next) => (req.is('multipart/form-data') ? handler(req, res, next) : next());
}

/** Whether a request carries a body at all (a length or a transfer coding, RFC 9112 §6.3). */
function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
}

/** The search request from a JSON body or a multipart form, with media checked and decoded. */
function readSearch(req: Request): EngineQuery {
  // No body at all is an empty query, whatever type it declares (type-is sees no type on it).
  if (!hasBody(req)) throw new RosettaError('INVALID_ARGUMENT', EMPTY_QUERY_MESSAGE);
  if (req.is('multipart/form-data')) {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const asText = mediaFields.find((m) => m in body);
    if (asText) throw new RosettaError('INVALID_ARGUMENT', `${asText}: send the file as a file part of the form (with a filename), not as a text field`);
    const fields = parseWith(searchFieldsSchema.omit({ image: true, sketch: true, audio: true }), searchFieldsFromMultipart(req.body as Record<string, unknown>));
    const files = (req.files ?? {}) as Record<string, Express.Multer.File[]>;
    const media: Partial<Record<QueryMediaField, MediaInput>> = {};
    for (const m of mediaFields) {
      const f = files[m]?.[0];
      if (f) media[m] = checkMedia(m, { name: f.originalname || m, data: f.buffer }, f.mimetype);
    }
    const query = { ...fields, ...media };
    // The same refusal, in the same words, as a JSON search with nothing to search for.
    if (!hasQueryPart(query)) throw new RosettaError('INVALID_ARGUMENT', EMPTY_QUERY_MESSAGE);
    return query;
  }
  if (!req.is('application/json')) {
    throw new RosettaError('UNSUPPORTED_MEDIA', `send the search as application/json or multipart/form-data, not ${req.headers['content-type'] ?? 'no content type'}`);
  }
  return jsonSearchQuery(req.body);
}

function itemId(req: Request): number {
  const raw = String(req.params.id);
  if (!/^[1-9]\d{0,15}$/.test(raw)) throw new RosettaError('INVALID_ARGUMENT', `item id must be a positive integer; got "${raw.slice(0, 40)}"`);
  return Number(raw);
}
