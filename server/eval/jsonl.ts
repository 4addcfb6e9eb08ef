/**
 * JSON Lines in and out for the evaluation files: every bad line is reported at once, with its
 * line number, so a hand-written query file can be fixed in one pass.
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { z } from 'zod';
import { RosettaError } from '../../models/errors.ts';

/** How many bad lines one error message lists before it only counts the rest. */
const MAX_LISTED = 20;

/** A parsed line with its 1-based line number. */
export interface NumberedLine<T> {
  line: number;
  value: T;
}

/**
 * Parses each non-blank line with `schema`, then `check` (which may return a problem string for
 * a line that parses but is unusable). Throws INVALID_ARGUMENT naming every bad line.
 *
 * @example parseJsonl('{"a":1}\n\n{"a":2}', z.object({ a: z.number() }), 'x.jsonl') // [{ line: 1, value: { a: 1 } }, { line: 3, value: { a: 2 } }]
 */
export function parseJsonl<S extends z.ZodType>(
  text: string,
  schema: S,
  source: string,
  check?: (value: z.infer<S>, line: number) => string | undefined,
): NumberedLine<z.infer<S>>[] {
  const out: NumberedLine<z.infer<S>>[] = [];
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (err) {
      problems.push(`${source}:${line}: not valid JSON (${(err as Error).message})`);
      return;
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const why = parsed.error.issues.map((p) => `${p.path.join('.') || 'line'}: ${p.message}`).join('; ');
      problems.push(`${source}:${line}: ${why}`);
      return;
    }
    const problem = check?.(parsed.data, line);
    if (problem) problems.push(`${source}:${line}: ${problem}`);
    else out.push({ line, value: parsed.data });
  });
  if (problems.length > 0) {
    const listed = problems.slice(0, MAX_LISTED).join('\n  ');
    const more = problems.length > MAX_LISTED ? `\n  ... and ${problems.length - MAX_LISTED} more` : '';
    throw new RosettaError('INVALID_ARGUMENT', `${problems.length} bad line(s) in ${source}:\n  ${listed}${more}`);
  }
  return out;
}

/** Reads a file as text, turning a missing file into NOT_FOUND naming it. */
export async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new RosettaError('NOT_FOUND', `${what} ${file} does not exist`, { cause: err });
    throw err;
  }
}

/** Writes one JSON object per line, ending with a newline. */
export async function writeJsonl(file: string, values: readonly unknown[]): Promise<void> {
  await writeFile(file, values.map((v) => `${JSON.stringify(v)}\n`).join(''));
}
