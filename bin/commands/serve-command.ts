import { existsSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { levels, pino } from 'pino';
import { RosettaError } from '../../models/errors.ts';
import { buildDemoCollection, hasCollection, startServer, type DemoCollectionEvent, type RunningServer } from '../../server/index.ts';
import { buildWeb, WEB_DIST } from '../../web/index.ts';
import type { Config } from '../config.ts';
import type { CliContext } from './context.ts';
import { progressLine } from './train-command.ts';

interface ServeFlags {
  db?: string;
  port: number;
  host: string;
}

/**
 * `rosetta serve [--db DIR] [--port 8080] [--host 127.0.0.1]`: the JSON API and the web UI.
 * `rosetta start`: the same, after building the demo collection when the data directory has
 * no collection yet (what `npm start` runs).
 * `rosetta demo [--rebuild] [--size small|full] [--db DIR]`: builds the demo collection.
 */
export function registerServeCommands(program: Command, context: CliContext): void {
  const serveOptions = (c: Command) =>
    c
      .option('--db <dir>', 'collection directory (default: --data-dir, ROSETTA_DATA_DIR)')
      .option('--port <n>', 'TCP port (ROSETTA_PORT)', port, Number(process.env.ROSETTA_PORT ?? 8080))
      .option('--host <host>', 'interface to listen on; 0.0.0.0 for every one (ROSETTA_HOST)', process.env.ROSETTA_HOST ?? '127.0.0.1');

  serveOptions(program.command('serve').description('serve the JSON search API and the web UI for a collection')).action(async (flags: ServeFlags) => {
    await serve(context.config(), flags);
  });

  serveOptions(program.command('start').description('build the demo collection if there is no collection yet, then serve it (npm start)'))
    .addOption(sizeOption())
    .action(async (flags: ServeFlags & { size: 'small' | 'full' }) => {
      const config = context.config();
      const dataDir = flags.db ? path.resolve(flags.db) : config.dataDir;
      // In-process esbuild takes ~0.1 s, less than an `npm run` of the build script would.
      await buildUi();
      if (!hasCollection(dataDir)) {
        process.stderr.write(`rosetta: no collection in ${dataDir}; building the ${flags.size} demo collection (first start only)\n`);
        await demo(config, dataDir, flags.size, false);
      }
      await serve(config, flags);
    });

  program
    .command('demo')
    .description('build the demo collection (OpenMoji images, jsfxr and synthesised object sounds) into the data directory')
    .option('--db <dir>', 'collection directory (default: --data-dir, ROSETTA_DATA_DIR)')
    .option('--rebuild', 'delete the collection in that directory first')
    .addOption(sizeOption())
    .action(async (flags: { db?: string; rebuild?: boolean; size: 'small' | 'full' }) => {
      const config = context.config();
      await demo(config, flags.db ? path.resolve(flags.db) : config.dataDir, flags.size, flags.rebuild === true);
    });
}

function sizeOption(): Option {
  return new Option('--size <size>', 'small (150 images, 88 sounds: tests) or full (4,495 images, 660 sounds)').choices(['small', 'full']).default('full');
}

async function demo(config: Config, dataDir: string, size: 'small' | 'full', rebuild: boolean): Promise<void> {
  const report = await buildDemoCollection({ dataDir, modelsDir: config.modelsDir, cacheDir: config.cacheDir, device: config.device, encoders: config.encoders, size, rebuild, onProgress: demoProgress() });
  const { index, tuning } = report;
  process.stderr.write(
    `rosetta: demo collection ready in ${report.seconds.toFixed(1)} s: ${index.indexed + index.unchanged} items indexed` +
      `${index.failed ? `, ${index.failed} failed` : ''}; composed queries weigh the text ${tuning.composedTextWeight} (tuned on ${tuning.queries} validation queries)\n`,
  );
}

/** One line per step on a terminal that is not a TTY; a redrawn line on one that is. */
function demoProgress(): (e: DemoCollectionEvent) => void {
  const tty = process.stderr.isTTY === true;
  let lastStep = '';
  let lastAt = 0;
  return (e) => {
    let line: string | undefined;
    let step: string = e.stage;
    switch (e.stage) {
      case 'demo':
        step = `demo ${e.step}`;
        line = `demo data: ${e.step} ${e.done}/${e.total}`;
        break;
      case 'space':
        step = `space ${e.event.stage}`;
        line = progressLine(e.event as never);
        break;
      case 'index':
        line = `indexing ${e.done}/${e.total} (${e.rate.toFixed(0)}/s${e.etaSeconds !== null ? `, ${Math.ceil(e.etaSeconds)} s left` : ''})`;
        break;
      case 'tune':
        line = `tuning composed queries on ${e.queries} validation queries`;
        break;
      case 'done':
        return;
    }
    if (!line) return;
    const now = performance.now();
    if (tty) {
      process.stderr.write(`${step !== lastStep && lastStep ? '\n' : '\r'}  ${line}\x1b[K`);
      lastStep = step;
    } else if (step !== lastStep || now - lastAt >= 5000) {
      // Logs and CI get a line per step (sounds, images, each training stage) and then one
      // every 5 s, not one per file.
      process.stderr.write(`  ${line}\n`);
      lastStep = step;
      lastAt = now;
    }
  };
}

/** Rebuilds the web UI so `npm start` never serves a stale one; a failure only costs the UI. */
async function buildUi(): Promise<void> {
  try {
    await buildWeb();
  } catch (err) {
    process.stderr.write(`rosetta: could not build the web UI (${err instanceof Error ? err.message : String(err)}); the API still works\n`);
  }
}

async function serve(config: Config, flags: ServeFlags): Promise<void> {
  if (!existsSync(path.join(WEB_DIST, 'index.html'))) await buildUi();
  const dataDir = flags.db ? path.resolve(flags.db) : config.dataDir;
  const server: RunningServer = await startServer({
    dataDir,
    modelsDir: config.modelsDir,
    cacheDir: config.cacheDir,
    device: config.device,
    encoders: config.encoders,
    port: flags.port,
    host: flags.host,
    ...(process.env.ROSETTA_API_KEY ? { apiKey: process.env.ROSETTA_API_KEY } : {}),
    ...(process.env.ROSETTA_MAX_BODY_BYTES ? { maxBodyBytes: bytes(process.env.ROSETTA_MAX_BODY_BYTES) } : {}),
    logger: pino({ name: 'rosetta', level: logLevel(process.env.ROSETTA_LOG_LEVEL) }),
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`rosetta: ${signal}: finishing requests in flight, then exiting\n`);
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`rosetta: error while closing: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.stderr.write(`rosetta: listening on ${server.url} (loading the collection...)\n`);
  try {
    await server.ready;
  } catch (err) {
    // A collection that cannot load (held by another server, damaged) will not mend itself:
    // stop listening and exit with the error, so a process manager sees the failure.
    await server.close().catch(() => {});
    throw err;
  }
  process.stderr.write(`rosetta: ready: open ${server.url} in a browser\n`);
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number 0..65535');
  return n;
}

/** ROSETTA_LOG_LEVEL: pino's level names; `silent` drops every line, request logs included. */
function logLevel(value: string | undefined): string {
  if (value === undefined || value === '') return 'info';
  const names = [...Object.keys(levels.values), 'silent'];
  if (!names.includes(value)) throw new RosettaError('INVALID_ARGUMENT', `ROSETTA_LOG_LEVEL must be one of ${names.join(', ')}; got "${value}"`);
  return value;
}

function bytes(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1024) throw new RosettaError('INVALID_ARGUMENT', `ROSETTA_MAX_BODY_BYTES must be an integer of at least 1024; got "${value}"`);
  return n;
}
