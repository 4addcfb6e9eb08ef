/**
 * Settings of the query engine tuned on a collection's validation queries (for now the
 * balance of composed image + text queries), kept beside the collection in `tuning.json`.
 * A collection without one uses the defaults below.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { RosettaError } from '../../models/errors.ts';

export const TUNING_FILE = 'tuning.json';

/**
 * The text's share in a composed query when nothing was tuned: the value tuned on the demo's
 * validation split (see server/eval/tune.ts and BENCHMARKS.md), a reasonable start elsewhere.
 */
export const DEFAULT_COMPOSED_TEXT_WEIGHT = 0.5;

const tuningSchema = z.object({
  composedTextWeight: z.number().min(0).max(1),
  /** How it was chosen: the validation queries and what each candidate weight scored. */
  measured: z.unknown().optional(),
});

export type Tuning = z.infer<typeof tuningSchema>;

export async function readTuning(dataDir: string): Promise<Tuning> {
  const file = path.join(dataDir, TUNING_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { composedTextWeight: DEFAULT_COMPOSED_TEXT_WEIGHT };
    throw err;
  }
  const parsed = tuningSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new RosettaError('INVALID_ARGUMENT', `${file} is not a valid tuning file: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

export async function writeTuning(dataDir: string, tuning: Tuning): Promise<void> {
  await writeFile(path.join(dataDir, TUNING_FILE), JSON.stringify(tuning, null, 2) + '\n');
}
