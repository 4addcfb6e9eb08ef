/**
 * `rosetta serve`: one HTTP server for the JSON API and the web UI. It listens at once and
 * answers 503 on /api/health until the collection and the encoders are loaded, so a process
 * manager sees it alive while the first start trains the default space.
 */
import { unwatchFile, watchFile } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import { RosettaError } from '../models/errors.ts';
import type { EncoderSettings } from '../models/encoders/index.ts';
import { CURRENT_FILE, loadSpace, readCurrentVersion, spacesDir, type DefaultSpaceEvent } from '../models/space/index.ts';
import { createRequestHandler } from './api/app.ts';
import { stillStarting } from './api/errors.ts';
import { ServerMetrics } from './api/metrics.ts';
import { creditSchema } from './api/schemas.ts';
import { hnswlibBuild } from '../indexer/vector/index.ts';
import { QueryEngine } from './engine/index.ts';

export const DEFAULT_MAX_BODY_BYTES = 25 * 1024 * 1024;
/** Credits of the data in a collection, written by whoever built it (the demo builder does). */
export const CREDITS_FILE = 'credits.json';
/** Where `npm run build:web` puts the UI. */
export const WEB_DIST = fileURLToPath(new URL('../web/dist', import.meta.url));

export interface ServerOptions {
  dataDir: string;
  /** Trained spaces and external encoders. */
  modelsDir: string;
  /** Converted model files, the demo and feature caches. */
  cacheDir: string;
  /** Default 'cpu'. */
  device?: string;
  /** External encoder picks by modality; built-ins otherwise. */
  encoders?: Record<string, string>;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1: a collection is private until its owner chooses otherwise. */
  host?: string;
  apiKey?: string;
  maxBodyBytes?: number;
  /** Default: JSON lines on stdout at level info. */
  logger?: Logger;
  webDir?: string;
  /** Poll the models folder's CURRENT and move the collection into a newly trained space. Default true. */
  watchSpace?: boolean;
  onProgress?: (event: DefaultSpaceEvent) => void;
}

export interface RunningServer {
  url: string;
  /** Resolves when /api/health answers 200; rejects if loading failed (the server keeps answering 503). */
  ready: Promise<QueryEngine>;
  /** Stops accepting connections, lets requests in flight finish, then closes the collection. */
  close(): Promise<void>;
}

/**
 * @example
 * const server = await startServer({ dataDir: 'data/collection', modelsDir: 'models', cacheDir: 'models/cache', port: 0 });
 * await server.ready; // fetch(`${server.url}/api/search`, ...)
 * await server.close();
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const logger = options.logger ?? pino({ name: 'rosetta' });
  const settings = encoderSettings(options);
  const metrics = new ServerMetrics();
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  let engine: QueryEngine | undefined;
  let failure: string | undefined;
  let closing = false;

  const handler = createRequestHandler({
    engine: () => {
      if (engine) return engine;
      if (failure) throw new RosettaError('NOT_READY', `the collection failed to load: ${failure}`);
      throw stillStarting(new RosettaError('NOT_READY', 'the collection and the encoders are still loading'));
    },
    health: () => (engine ? { status: 'ok' } : failure ? { status: 'failed', message: failure } : { status: 'starting' }),
    info: () => ({ name: 'rosetta', version: '0.1.0', maxUploadBytes: maxBodyBytes, credits }),
    logger,
    metrics,
    ...(options.apiKey ? { apiKey: options.apiKey } : {}),
    maxBodyBytes,
    webDir: options.webDir ?? WEB_DIST,
  });
  const credits = await readCredits(options.dataDir);

  const [listenPort, listenHost] = [options.port ?? 8080, options.host ?? '127.0.0.1'];
  const server: Server = await new Promise((resolve, reject) => {
    const s = createServer(handler);
    s.once('error', (err) => reject(listenError(err, listenPort, listenHost)));
    s.listen(listenPort, listenHost, () => resolve(s));
  });
  // Node's default (5 s) would cut long uploads on slow links; headers still must come quickly.
  server.requestTimeout = 120_000;
  // While closing, every response tells its client to hang up, so keep-alive sockets end with
  // their last response instead of holding the exit until their idle timeout.
  const inFlight = new Set<ServerResponse>();
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    if (closing) res.setHeader('Connection', 'close');
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
  });
  const address = server.address() as AddressInfo;
  // Listening on every interface (0.0.0.0, ::) is not an address to open: name this machine's own.
  const any = address.address === '0.0.0.0' || address.address === '::';
  const host = any ? '127.0.0.1' : address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;

  const ready = QueryEngine.open({ settings, dataDir: options.dataDir, searchThreads: true, ...(options.onProgress ? { onProgress: options.onProgress } : {}) }).then(
    async (e) => {
      if (closing) {
        await e.close();
        throw new RosettaError('NOT_READY', 'the server closed while loading');
      }
      engine = e;
      logger.info({ items: e.store.stats().items, space: e.projector.version, hnswlib: hnswlibBuild }, 'collection loaded');
      // What an earlier server left when it was killed between writing an upload and storing it.
      void e.sweepUploads().then(
        (removed) => removed > 0 && logger.info({ removed }, 'removed upload files no item uses'),
        (err: unknown) => logger.warn({ err }, 'could not sweep the uploads folder'),
      );
      return e;
    },
    (err: unknown) => {
      failure = err instanceof Error ? err.message : String(err);
      logger.error({ err }, 'the collection failed to load');
      throw err;
    },
  );
  // Callers that never await `ready` must not crash the process on a failed load.
  ready.catch(() => {});

  const currentFile = path.join(spacesDir(settings.modelsDir), CURRENT_FILE);
  let switching = Promise.resolve();
  const onCurrent = () => {
    switching = switching.then(() => followCurrentSpace());
  };
  const followCurrentSpace = async () => {
    if (!engine || closing) return;
    try {
      const version = await readCurrentVersion(settings.modelsDir);
      if (!version || version === engine.projector.version) return;
      logger.info({ from: engine.projector.version, to: version }, 'moving the collection into the new space');
      const space = await loadSpace(path.join(spacesDir(settings.modelsDir), version));
      const result = await engine.useSpace(space);
      logger.info({ space: version, ...result }, 'now serving the new space');
    } catch (err) {
      logger.error({ err }, 'could not move into the new space; still serving the old one');
    }
  };
  if (options.watchSpace !== false) watchFile(currentFile, { interval: 1000 }, onCurrent);

  return {
    url,
    ready,
    async close() {
      if (closing) return;
      closing = true;
      for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
      unwatchFile(currentFile, onCurrent);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
      await switching;
      const e = engine ?? (await ready.catch(() => undefined));
      await e?.close();
      engine = undefined;
    },
  };
}

/** The encoder settings of a server or build's options, with the defaults filled in. */
export function encoderSettings(o: { modelsDir: string; cacheDir: string; device?: string; encoders?: Record<string, string> }): EncoderSettings {
  return { modelsDir: o.modelsDir, cacheDir: o.cacheDir, device: o.device ?? 'cpu', encoders: o.encoders ?? {} };
}

async function readCredits(dataDir: string) {
  try {
    const parsed = creditSchema.array().safeParse(JSON.parse(await readFile(path.join(dataDir, CREDITS_FILE), 'utf8')));
    return parsed.success ? parsed.data : [];
  } catch {
    return [];
  }
}

/** A port that is taken or not allowed, as a message naming it; anything else as it is. */
function listenError(err: Error, port: number, host: string): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return new RosettaError('INVALID_ARGUMENT', `port ${port} on ${host} is in use; stop what listens there or pick another with --port (ROSETTA_PORT)`);
  if (code === 'EACCES') return new RosettaError('INVALID_ARGUMENT', `port ${port} on ${host} needs privileges this user lacks; pick a port above 1023 with --port (ROSETTA_PORT)`);
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') return new RosettaError('INVALID_ARGUMENT', `--host ${host} is not an address of this machine`);
  return err;
}
