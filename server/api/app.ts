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
import { errorBody, errorHandler, parseWith } from './errors.ts';
import type { ServerMetrics } from './metrics.ts';
import { jsonSearchQuery, jsonSearchRoute, mediaFields, observedSearch } from './json-search.ts';
import { searchFieldsFromMultipart } from './multipart.ts';
import { buildOpenApi } from './openapi.ts';
import { requestTracking, type TrackRequest } from './request-tracking.ts';
import { newItemFieldsSchema, searchFieldsSchema, type Info } from './schemas.ts';

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
  const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: maxBodyBytes, fieldSize: maxBodyBytes, files: 3, fields: 20, parts: 24 } });
  const searchFiles = upload.fields(mediaFields.map((name) => ({ name, maxCount: 1 })));
  const itemFile = upload.single('file');
  const route = (name: string): RequestHandler => (_req, res, next) => {
    res.locals.route = name;
    next();
  };
  const requireKey: RequestHandler = (req, _res, next) => {
    if (options.apiKey === undefined) return next();
    const header = req.headers.authorization ?? '';
    // The scheme is case-insensitive (RFC 9110 §11.1): "bearer <key>" is the same credential.
    const given = Buffer.from(/^bearer +(.*\S) *$/i.exec(header)?.[1] ?? '');
    const want = Buffer.from(options.apiKey);
    if (given.length !== want.length || !timingSafeEqual(given, want)) {
      return next(new RosettaError('UNAUTHENTICATED', header ? 'the API key is wrong' : 'this route needs Authorization: Bearer <API key>'));
    }
    next();
  };

  app.get('/api/health', route('health'), (_req, res) => {
    const h = options.health();
    if (h.status !== 'ok') return void res.status(503).json(h);
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

  app.post('/api/search', route('search'), (req, res, next) => (req.is('multipart/form-data') ? searchFiles(req, res, next) : json(req, res, next)), async (req, res) => {
    const query = readSearch(req);
    res.json(await observedSearch(engine(), metrics, query));
  });

  app.post('/api/items', route('items.create'), requireKey, itemFile, async (req, res) => {
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

  app.all('/api/{*rest}', route('unmatched'), (req) => {
    throw new RosettaError('NOT_FOUND', `no route ${req.method} ${req.path}; see GET /api/openapi.json`);
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

/** The search request from a JSON body or a multipart form, with media checked and decoded. */
function readSearch(req: Request): EngineQuery {
  if (req.is('multipart/form-data')) {
    const fields = parseWith(searchFieldsSchema.omit({ image: true, sketch: true, audio: true }), searchFieldsFromMultipart(req.body as Record<string, unknown>));
    const files = (req.files ?? {}) as Record<string, Express.Multer.File[]>;
    const media: Partial<Record<QueryMediaField, MediaInput>> = {};
    for (const m of mediaFields) {
      const f = files[m]?.[0];
      if (f) media[m] = checkMedia(m, { name: f.originalname || m, data: f.buffer }, f.mimetype);
    }
    return { ...fields, ...media };
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
