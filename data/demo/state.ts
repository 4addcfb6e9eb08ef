/**
 * The demo dir's build state: a marker that the dir is ours, and the PNGs an earlier build left
 * (path -> bytes), so a rebuild re-renders only what is missing or damaged.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RosettaError } from '../../models/errors.ts';

export const STATE_FILE = '.rosetta-demo.json';

export interface BuildState {
  /** Whatever changes PNG bytes (image size, renderer, OpenMoji version); files of another key are re-rendered. */
  key: string;
  files: Record<string, number>;
}

/**
 * Creates `dir`, refusing a non-empty folder that no demo build made (the builder deletes stale
 * files in its subfolders, which must never touch a user's own files). Returns the reusable state.
 * @example await openDemoDir('/tmp/demo', 'img-256|vips-8.17|openmoji-17.0.0') // {key, files: {'images/1F600.png': 7012, ...}}
 */
export async function openDemoDir(dir: string, key: string): Promise<BuildState> {
  const statePath = join(dir, STATE_FILE);
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new RosettaError('INVALID_ARGUMENT', `dir ${dir} is a file, not a folder`);
    if (!existsSync(statePath) && readdirSync(dir).length > 0) {
      throw new RosettaError('INVALID_ARGUMENT', `dir ${dir} is not empty and holds no demo build (${STATE_FILE} missing); choose an empty or new folder`);
    }
  }
  await mkdir(dir, { recursive: true });
  let previous: BuildState | undefined;
  try {
    previous = JSON.parse(readFileSync(statePath, 'utf8')) as BuildState;
  } catch {
    previous = undefined; // no state or a damaged one: render everything
  }
  const state: BuildState = { key, files: previous?.key === key && previous.files ? previous.files : {} };
  await saveState(dir, state);
  return state;
}

export async function saveState(dir: string, state: BuildState): Promise<void> {
  await writeFile(join(dir, STATE_FILE), `${JSON.stringify(state)}\n`);
}

/** True when `path` (relative to dir) exists with the byte count the state recorded. */
export function isReusable(dir: string, state: BuildState, path: string): boolean {
  const bytes = state.files[path];
  if (bytes === undefined) return false;
  try {
    return statSync(join(dir, path)).size === bytes;
  } catch {
    return false;
  }
}

/** Deletes files in `sub` that the current build did not produce (left by a larger or older build). */
export async function removeStale(dir: string, sub: string, keep: ReadonlySet<string>): Promise<number> {
  const folder = join(dir, sub);
  let removed = 0;
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    const rel = `${sub}/${entry.name}`;
    if (!entry.isFile() || keep.has(rel)) continue;
    await rm(join(folder, entry.name));
    removed++;
  }
  return removed;
}
