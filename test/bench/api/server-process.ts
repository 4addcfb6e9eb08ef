/**
 * `rosetta serve` in a process of its own, as users run it, for bench:api's load runs. In the
 * bench's process the server would share a heap with the bench's own data (the demo's features
 * and captions, the query bodies, the space loaded to build them): about 150 MB more for V8 to
 * mark, and scavenges of about 5 ms instead of 3 on its main thread. Its CPU is read from
 * /proc by its pid (runLoad).
 */
import { closeSync, openSync } from 'node:fs';
import path from 'node:path';
import type { EncoderSettings } from '../../../models/encoders/index.ts';
import { spawnServe, type ServeProcess } from '../../helpers/serve-process.ts';

export interface ServerProcess {
  url: string;
  pid: number;
  /** From the spawn to "ready" (collection opened, encoders loaded). */
  openSeconds: number;
  /** SIGTERM, then the exit: requests in flight finish first. */
  close(): Promise<void>;
}

/**
 * @example
 * const server = await startServerProcess({ dataDir, settings });
 * await runLoad({ url: server.url, ... }, server.pid);
 * await server.close();
 */
export async function startServerProcess(options: {
  dataDir: string;
  settings: Pick<EncoderSettings, 'modelsDir' | 'cacheDir'>;
  /** ROSETTA_LOG_LEVEL; default silent. */
  logLevel?: string;
  /** Where stdout (the JSON logs) goes; discarded when absent. */
  logFile?: string;
}): Promise<ServerProcess> {
  const started = performance.now();
  const out = options.logFile ? openSync(options.logFile, 'a') : 'ignore';
  const env = {
    ROSETTA_MODELS_DIR: path.resolve(options.settings.modelsDir),
    ROSETTA_CACHE_DIR: path.resolve(options.settings.cacheDir),
    ROSETTA_LOG_LEVEL: options.logLevel ?? 'silent',
  };
  let server: ServeProcess;
  try {
    server = await spawnServe(path.resolve(options.dataDir), env, out);
  } finally {
    if (typeof out === 'number') closeSync(out);
  }
  const { child, url, exited, stderr } = server;
  return {
    url,
    pid: child.pid!,
    openSeconds: (performance.now() - started) / 1000,
    close: async () => {
      child.kill('SIGTERM');
      const code = await exited;
      if (code !== 0) throw new Error(`rosetta serve exited with ${code}:\n${stderr()}`);
    },
  };
}
