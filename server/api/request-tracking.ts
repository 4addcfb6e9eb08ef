/**
 * What every request gets before its route runs, on both ways in (express and the JSON search
 * route of json-search.ts): a request id (the client's when it is a safe token), the access log
 * line when logging is on, and the request counter and latency histogram when it finishes.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import type { ServerMetrics } from './metrics.ts';

/** Request headers that carry credentials, written to the log as "[redacted]". */
export const REDACTED_HEADERS = ['authorization', 'proxy-authorization', 'cookie'] as const;

/** Starts tracking one request; `routeOf` names its route once it has finished. */
export type TrackRequest = (req: IncomingMessage, res: ServerResponse, routeOf: () => string) => void;

/** @example const track = requestTracking(logger, metrics); track(req, res, () => 'search') */
export function requestTracking(logger: Logger, metrics: ServerMetrics): TrackRequest {
  const requestId = (req: IncomingMessage, res: ServerResponse): string => {
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && /^[\w.-]{1,100}$/.test(given) ? given : randomUUID();
    res.setHeader('x-request-id', id);
    return id;
  };
  const log = logger.isLevelEnabled('fatal')
    ? pinoHttp({
        // The access log keeps every request header but credentials: an API key in a log file
        // is an API key anyone who reads the logs can use.
        logger: logger.child({}, { redact: { paths: REDACTED_HEADERS.map((h) => `req.headers["${h}"]`), censor: '[redacted]' } }),
        genReqId: requestId,
        // 503 is the answer while the collection loads (with Retry-After): a state, not an error.
        customLogLevel: (_req, res, err) => (res.statusCode === 503 ? 'warn' : err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
      })
    : // A silent logger: pino-http would build a child logger per request only to drop its lines.
      (req: IncomingMessage, res: ServerResponse) => {
        req.id = requestId(req, res);
      };
  return (req, res, routeOf) => {
    log(req, res);
    const started = process.hrtime.bigint();
    res.on('finish', () => metrics.observeRequest(routeOf(), req.method ?? '', res.statusCode, Number(process.hrtime.bigint() - started) / 1e9));
  };
}
