/**
 * `rosetta serve` as a child process, resolved once it says it is ready (collection opened,
 * encoders loaded), for the tests and benches that need the server as users run it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  /** What it wrote to stdout (the JSON logs) so far; empty when stdout goes elsewhere. */
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/**
 * @example
 * const { url, child, exited } = await spawnServe('/tmp/collection', { ROSETTA_LOG_LEVEL: 'silent' });
 * child.kill('SIGTERM'); await exited; // 0
 */
export async function spawnServe(dataDir: string, env: NodeJS.ProcessEnv = {}, stdout: 'pipe' | 'ignore' | number = 'pipe'): Promise<ServeProcess> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/rosetta.js'), 'serve', '--db', dataDir, '--port', '0', '--host', '127.0.0.1'], {
    cwd: ROOT,
    stdio: ['ignore', stdout, 'pipe'],
    env: { ...process.env, ...env },
  });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  let err = '';
  // 'close', not 'exit': it comes once stdout and stderr are read to the end.
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m && /rosetta: ready/.test(err)) resolve(m[1]);
    });
    void exited.then((code) => reject(new Error(`rosetta serve exited with ${code} before it was ready:\n${err}`)));
  });
  return { child, url, stdout: () => out, stderr: () => err, exited };
}
