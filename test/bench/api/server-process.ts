/**
 * `rosetta serve` in a process of its own, as users run it, for bench:api's load runs. In the
 * bench's process the server would share a heap with the bench's own data (the demo's features
 * and captions, the query bodies, the space loaded to build them): about 150 MB more for V8 to
 * mark, and scavenges of about 5 ms instead of 3 on its main thread. Its CPU is read from
 * /proc by its pid (runLoad).
 */
import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EncoderSettings } from '../../../models/encoders/index.ts';

const CLI = fileURLToPath(new URL('../../../bin/rosetta.js', import.meta.url));

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
  const child = spawn(process.execPath, [CLI, 'serve', '--db', options.dataDir, '--port', '0', '--host', '127.0.0.1'], {
    cwd: path.dirname(path.dirname(CLI)),
    stdio: ['ignore', out, 'pipe'],
    env: {
      ...process.env,
      ROSETTA_MODELS_DIR: path.resolve(options.settings.modelsDir),
      ROSETTA_CACHE_DIR: path.resolve(options.settings.cacheDir),
      ROSETTA_LOG_LEVEL: options.logLevel ?? 'silent',
    },
  });
  if (typeof out === 'number') closeSync(out);
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const m = /listening on (http:\/\/\S+)/.exec(stderr);
      if (m && /rosetta: ready/.test(stderr)) resolve(m[1]);
    });
    void exited.then((code) => reject(new Error(`rosetta serve exited with ${code} before it was ready:\n${stderr}`)));
  });
  return {
    url,
    pid: child.pid!,
    openSeconds: (performance.now() - started) / 1000,
    close: async () => {
      child.kill('SIGTERM');
      const code = await exited;
      if (code !== 0) throw new Error(`rosetta serve exited with ${code}:\n${stderr}`);
    },
  };
}
