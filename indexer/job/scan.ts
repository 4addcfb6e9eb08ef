import type { Dirent } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { readManifest } from './manifest.ts';
import { asFailure } from './reasons.ts';
import { isSidecarName, sidecarPaths } from './sidecar.ts';
import type { Candidate, IndexFailure, ManifestInput } from './types.ts';

export interface ScanResult {
  candidates: Candidate[];
  failures: IndexFailure[];
}

const MANIFEST_EXTENSIONS = new Set(['.jsonl', '.ndjson']);

/**
 * Every file the inputs name, in a stable order (arguments in order, directory entries by
 * name), each with its external id: the manifest's `id`, else the path relative to the
 * directory that was scanned (a file given on its own is relative to its own directory).
 * Hidden entries and `.txt` caption files are not items. Nothing is read but directories.
 *
 * @example
 * await scanInputs(['/lib/photos'], [])
 * // { candidates: [{ path: '/lib/photos/a/cat.jpg', externalId: 'a/cat.jpg', sidecars: ['/lib/photos/a/cat.txt'], ... }], failures: [] }
 */
export async function scanInputs(
  paths: readonly string[],
  manifests: readonly ManifestInput[] = [],
  manifestRoot?: string,
): Promise<ScanResult> {
  const out = new Collector();
  for (const input of paths) {
    const abs = path.resolve(input);
    let info;
    try {
      info = await stat(abs);
    } catch (err) {
      out.fail(err, abs);
      continue;
    }
    if (info.isDirectory()) {
      await walk(abs, abs, new Set([await realpath(abs)]), out);
    } else if (info.isFile() && MANIFEST_EXTENSIONS.has(path.extname(abs).toLowerCase())) {
      out.addAll(await readManifest(abs, path.resolve(manifestRoot ?? path.dirname(abs))));
    } else if (info.isFile()) {
      out.add({ path: abs, externalId: path.basename(abs), captions: [], sidecars: sidecarPaths(abs) });
    } else {
      out.notAFile(abs);
    }
  }
  for (const m of manifests) {
    const abs = path.resolve(m.path);
    try {
      await stat(abs);
    } catch (err) {
      out.fail(err, abs);
      continue;
    }
    out.addAll(await readManifest(abs, path.resolve(m.root ?? manifestRoot ?? path.dirname(abs))));
  }
  return { candidates: out.candidates, failures: out.failures };
}

/** `ancestors` holds the real paths of the directories above, to catch links that loop. */
async function walk(root: string, dir: string, ancestors: Set<string>, out: Collector): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    out.fail(err, dir);
    return;
  }
  // Byte order, not locale order, so the same tree gives the same ids and item order anywhere.
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const names = new Set(entries.map((e) => e.name));
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    let isDir = entry.isDirectory();
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      try {
        const target = await stat(full);
        isDir = target.isDirectory();
        isFile = target.isFile();
      } catch (err) {
        out.fail(err, full);
        continue;
      }
    }
    if (isDir) {
      const real = await realpath(full);
      if (ancestors.has(real)) {
        out.failures.push({
          path: full,
          code: 'SYMLINK_LOOP',
          message: `${full} links back to ${real}, a directory it is inside; not followed`,
        });
        continue;
      }
      await walk(root, full, new Set([...ancestors, real]), out);
    } else if (isFile) {
      if (isSidecarName(entry.name)) continue;
      const externalId = path.relative(root, full).split(path.sep).join('/');
      const sidecars = sidecarPaths(full).filter((p) => names.has(path.basename(p)));
      out.add({ path: full, externalId, captions: [], sidecars });
    } else {
      out.notAFile(full);
    }
  }
}

/** Gathers candidates, dropping repeats of a file and refusing two files under one id. */
class Collector {
  readonly candidates: Candidate[] = [];
  readonly failures: IndexFailure[] = [];
  private readonly byId = new Map<string, Candidate>();

  add(c: Candidate): void {
    const seen = this.byId.get(c.externalId);
    if (!seen) {
      this.byId.set(c.externalId, c);
      this.candidates.push(c);
    } else if (seen.path !== c.path) {
      const where = (x: Candidate) => (x.origin ? `${x.path} (${x.origin})` : x.path);
      this.failures.push({
        path: c.path,
        code: 'INVALID_ARGUMENT',
        message: `${c.origin ? `${c.origin}: ` : ''}${c.path} has the id "${c.externalId}", which this job already gave to ${where(seen)}; skipped`,
      });
    }
  }

  addAll(r: ScanResult): void {
    for (const c of r.candidates) this.add(c);
    this.failures.push(...r.failures);
  }

  fail(err: unknown, where: string): void {
    const failure = asFailure(err, where);
    if (!failure) throw err;
    this.failures.push(failure);
  }

  notAFile(where: string): void {
    this.failures.push({ path: where, code: 'NOT_A_FILE', message: `${where} is not a regular file (a FIFO, socket or device); not read` });
  }
}
