import { createReadStream } from 'node:fs';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { FileFailure, asFailure } from './reasons.ts';
import { sidecarPaths } from './sidecar.ts';
import type { Candidate, IndexFailure } from './types.ts';

const line = z.object({
  id: z.string().trim().min(1),
  path: z.string().min(1),
  modality: z.enum(['image', 'audio']),
  caption: z.string().optional(),
});

/**
 * The items of a JSONL manifest, one `{"id", "path", "modality", "caption"?}` per line, with
 * `path` relative to `root`. A bad line, or a path that leads outside `root` (by `..`, an
 * absolute path or a symbolic link), is a failure of that line; the rest still count.
 *
 * @example
 * await readManifest('/lib/items.jsonl', '/lib');
 * // { candidates: [{ path: '/lib/a.jpg', externalId: 'cat-1', declared: 'image', captions: [...] }], failures: [] }
 */
export async function readManifest(file: string, root: string): Promise<{ candidates: Candidate[]; failures: IndexFailure[] }> {
  const candidates: Candidate[] = [];
  const failures: IndexFailure[] = [];
  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch (err) {
    const failure = asFailure(err, root);
    if (!failure) throw err;
    return { candidates, failures: [{ ...failure, message: `manifest root ${failure.message}` }] };
  }
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const text of lines) {
      n++;
      if (text.trim() === '') continue;
      const where = `${file}:${n}`;
      const entry = parseLine(text, where);
      if (entry instanceof FileFailure) {
        failures.push({ path: where, code: entry.code, message: entry.message });
        continue;
      }
      const target = path.resolve(root, entry.path);
      const inside = await insideRoot(target, root, realRoot, where);
      if (inside !== true) {
        failures.push(inside);
        continue;
      }
      const caption = entry.caption?.trim();
      candidates.push({
        path: target,
        externalId: entry.id,
        declared: entry.modality,
        origin: where,
        captions: caption ? [{ text: caption, source: 'manifest' }] : [],
        sidecars: sidecarPaths(target),
      });
    }
  } catch (err) {
    const failure = asFailure(err, file);
    if (!failure) throw err;
    failures.push({ ...failure, message: `manifest ${failure.message}` });
  }
  return { candidates, failures };
}

function parseLine(text: string, where: string): z.infer<typeof line> | FileFailure {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return new FileFailure('INVALID_ARGUMENT', `${where} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = line.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'line'}: ${i.message}`).join('; ');
    return new FileFailure('INVALID_ARGUMENT', `${where} is not a manifest item (${problems})`);
  }
  return parsed.data;
}

/**
 * Both the path as written and where its links lead must stay under the root: a manifest is
 * input, and must not be able to index /etc/shadow into a collection.
 */
async function insideRoot(target: string, root: string, realRoot: string, where: string): Promise<true | IndexFailure> {
  const outside = (what: string): IndexFailure => ({
    path: where,
    code: 'OUTSIDE_ROOT',
    message: `${where}: ${what} is outside the manifest root ${root}`,
  });
  if (!isWithin(root, target)) return outside(target);
  let real: string;
  try {
    real = await realpath(target);
  } catch (err) {
    const failure = asFailure(err, target);
    if (!failure) throw err;
    return { ...failure, message: `${where}: ${failure.message}` };
  }
  return isWithin(realRoot, real) ? true : outside(`${target} (a link to ${real})`);
}

function isWithin(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}
