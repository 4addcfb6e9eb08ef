// The public surface of server/: the query engine, the HTTP server, and the demo collection.
export { startServer, encoderSettings, DEFAULT_MAX_BODY_BYTES, CREDITS_FILE, WEB_DIST, type RunningServer, type ServerOptions } from './serve.ts';
export { createApp, createRequestHandler, type AppOptions } from './api/app.ts';
export { ServerMetrics } from './api/metrics.ts';
export { buildOpenApi } from './api/openapi.ts';
export * from './api/schemas.ts';
export * from './engine/index.ts';
export * from './demo/index.ts';
