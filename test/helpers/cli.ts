/**
 * Running the CLI as a user does, for tests: `node bin/rosetta.js ...args` in the repository
 * root, with its exit code and both streams, and a run whose reader hangs up after one chunk.
 */
import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const repoRoot = path.resolve(import.meta.dirname, '../..');
export const rosettaBin = path.join(repoRoot, 'bin/rosetta.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `rosetta ...args`; a non-zero exit is returned, not thrown. */
export async function runRosetta(...args: string[]): Promise<CliRun> {
  try {
    const { stdout, stderr } = await run(process.execPath, [rosettaBin, ...args], { cwd: repoRoot });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as CliRun;
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Runs `node ...args` and closes its stdout after the first chunk, as `| head -1` does. */
export async function runWithStdoutClosedEarly(args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  const proc = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += String(d)));
  proc.stdout.once('data', () => proc.stdout.destroy());
  const code = await new Promise<number | null>((resolve) => proc.on('close', resolve));
  return { code, stderr };
}
