/**
 * The evaluation query file (issue 8): one JSON object per line,
 * `{"qid", "type"?, "text"?, "image"?, "sketch"?, "audio"?, "relevant": [external ids]}`, media
 * paths relative to a root. Two optional fields go beyond the list, both for queries
 * whose query item is itself in the collection: `exclude` (ids dropped from the ranking before
 * scoring, e.g. the query image in image-to-image search) and `modalities` (which items may be
 * returned, e.g. only images for a text-to-image query).
 */
import path from 'node:path';
import { z } from 'zod';
import { RosettaError } from '../../models/errors.ts';
import { parseJsonl, readText } from './jsonl.ts';

const id = z.string().trim().min(1, 'must not be empty');
const mediaPath = z.string().trim().min(1, 'must be a path relative to the root');

export const queryLineSchema = z
  .strictObject({
    qid: id,
    type: z.string().trim().min(1, 'must not be empty').optional(),
    text: z.string().trim().min(1, 'must not be empty').optional(),
    image: mediaPath.optional(),
    sketch: mediaPath.optional(),
    audio: mediaPath.optional(),
    relevant: z.array(id).min(1, 'must name at least one relevant external id'),
    exclude: z.array(id).optional(),
    modalities: z.array(z.enum(['image', 'audio'])).min(1).optional(),
  })
  .refine((q) => q.text !== undefined || q.image !== undefined || q.sketch !== undefined || q.audio !== undefined, {
    message: 'the query is empty: give at least one of text, image, sketch, audio',
  });

/** A line of the query file as written. */
export type QueryLine = z.infer<typeof queryLineSchema>;

/** A query ready to run: its type always set (given, or inferred from its fields). */
export type EvalQuery = QueryLine & { type: string };

/** The types a query gets when its line names none. */
export type InferredQueryType = 'text' | 'image' | 'sketch' | 'audio' | 'composed';

/**
 * The query type from the fields present: one of text, image, sketch, audio names itself; image
 * plus text is `composed`. Any other combination must say its `type`.
 *
 * @example inferQueryType({ image: 'a.png', text: 'dark skin tone' }) // 'composed'
 */
export function inferQueryType(q: Pick<QueryLine, 'text' | 'image' | 'sketch' | 'audio'>): InferredQueryType {
  const present = (['text', 'image', 'sketch', 'audio'] as const).filter((f) => q[f] !== undefined);
  if (present.length === 1) return present[0];
  if (present.length === 2 && q.image !== undefined && q.text !== undefined) return 'composed';
  throw new RosettaError(
    'INVALID_ARGUMENT',
    `cannot infer a query type from the fields ${present.join(' + ') || '(none)'}: give "type", or use one of text, image, sketch, audio, or image + text (composed)`,
  );
}

/**
 * Parses a query file's text. Bad JSON, a line that fails the schema, a query type that cannot
 * be inferred, and a repeated qid are all reported together, each with its line number.
 *
 * @example parseQueries('{"qid":"q1","text":"cat","relevant":["cat.jpg"]}', 'q.jsonl') // [{ qid: 'q1', text: 'cat', relevant: ['cat.jpg'], type: 'text' }]
 */
export function parseQueries(text: string, source: string): EvalQuery[] {
  return parseQueryLines(text, source).queries;
}

/** parseQueries, with the line each qid stands on (for messages that name it). */
export function parseQueryLines(text: string, source: string): { queries: EvalQuery[]; lines: Map<string, number> } {
  const lines = new Map<string, number>();
  const rows = parseJsonl(text, queryLineSchema, source, (q, lineNo) => {
    const earlier = lines.get(q.qid);
    if (earlier !== undefined) return `qid "${q.qid}" repeats the query of line ${earlier}`;
    if (q.type === undefined) {
      try {
        inferQueryType(q);
      } catch (err) {
        return (err as Error).message;
      }
    }
    lines.set(q.qid, lineNo);
    return undefined;
  });
  if (rows.length === 0) throw new RosettaError('INVALID_ARGUMENT', `${source} holds no queries`);
  return { queries: rows.map(({ value }) => ({ ...value, type: value.type ?? inferQueryType(value) })), lines };
}

/**
 * Reads and parses a query file (see `parseQueries`).
 *
 * @example await readQueries('bench/queries.jsonl') // EvalQuery[]
 */
export async function readQueries(file: string): Promise<EvalQuery[]> {
  return (await readQueryLines(file)).queries;
}

/** readQueries, with the line each qid stands on (parseQueryLines). */
export async function readQueryLines(file: string): Promise<{ queries: EvalQuery[]; lines: Map<string, number> }> {
  return parseQueryLines(await readText(file, 'query file'), file);
}

/**
 * The query's media files as absolute paths under `root` (absolute paths in the file are kept).
 *
 * @example queryFiles({ image: 'images/1F44B.png', ... }, '/data/demo') // { image: '/data/demo/images/1F44B.png' }
 */
export function queryFiles(q: Pick<QueryLine, 'image' | 'sketch' | 'audio'>, root: string): { image?: string; sketch?: string; audio?: string } {
  const out: { image?: string; sketch?: string; audio?: string } = {};
  for (const f of ['image', 'sketch', 'audio'] as const) {
    const p = q[f];
    if (p !== undefined) out[f] = path.resolve(root, p);
  }
  return out;
}
