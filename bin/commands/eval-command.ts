import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { RosettaError, isRosettaError } from '../../models/errors.ts';
import { MAX_K, QueryEngine } from '../../server/index.ts';
import { engineSearch, formatReport, queryFiles, readQueryLines, runEval, type EvalQuery } from '../../server/eval/index.ts';
import type { CollectionStore } from '../../indexer/store/index.ts';
import { collectionDir } from './collection-dir.ts';
import type { CliContext } from './context.ts';
import { printText } from './output.ts';

interface EvalFlags {
  queries: string;
  db?: string;
  root?: string;
  k: number;
  json?: string;
  hybrid: boolean;
}

/**
 * `rosetta eval --queries queries.jsonl [--db DIR] [--root DIR] [--k 100] [--json out.json]`:
 * runs a query file against a collection through the query engine and prints Recall@1/5/10,
 * MRR, mAP and nDCG@10 per query type, each beside its value for a random ranking. The
 * collection must not be open in a server at the same time (one process per collection).
 *
 * Before any query runs, every media path is checked (all bad lines reported at once), and so
 * is the --json path. A relevant id the collection does not hold is scored as a miss, with a
 * warning naming its qid and line; when no relevant id of any query is there, the query file
 * was written for another collection and the run stops.
 *
 * @example
 * registerEvalCommand(program, context); // then: rosetta eval --queries bench/queries.jsonl --db data/collection --json report.json
 */
export function registerEvalCommand(program: Command, context: CliContext): Command {
  return program
    .command('eval')
    .description('score a query file against the collection: recall, MRR, mAP and nDCG per query type, beside chance')
    .requiredOption('--queries <file>', 'JSONL: {"qid", "text"?, "image"?, "sketch"?, "audio"?, "relevant": [external ids], "exclude"?, "modalities"?} per line')
    .option('--db <dir>', 'collection directory (default: --data-dir, ROSETTA_DATA_DIR)')
    .option('--root <dir>', "directory the queries' media paths are relative to (default: the query file's directory)")
    .option('--k <n>', `ids scored per query (1..${MAX_K})`, integer, 100)
    .option('--json <file>', 'also write the full report (per type and per query) as JSON')
    .option('--no-hybrid', 'vector ranking only for text queries, without keyword matches on captions')
    .action(async (flags: EvalFlags) => {
      const config = context.config();
      // The query file first: what the user wrote is the likelier mistake, and its check is cheap.
      const queryFile = path.resolve(flags.queries);
      const { queries, lines } = await readQueryLines(queryFile);
      const dataDir = collectionDir(flags.db, config, 'existing');
      const where = (q: EvalQuery) => `${queryFile}:${lines.get(q.qid) ?? '?'} (qid ${q.qid})`;
      const root = path.resolve(flags.root ?? path.dirname(queryFile));
      checkMedia(queries, root, where);
      const out = flags.json === undefined ? undefined : writableFile(flags.json);
      const engine = await QueryEngine.open({ settings: config, dataDir });
      try {
        const unknown = unknownRelevant(engine.store, queries, where, queryFile, dataDir);
        const started = performance.now();
        const report = await runEval(queries, engineSearch(engine, { root, hybrid: flags.hybrid }), { k: flags.k });
        const seconds = (performance.now() - started) / 1000;
        printText(formatReport(report));
        printText(`${queries.length} queries in ${seconds.toFixed(1)} s, space ${engine.projector.version}, collection ${dataDir}\n`);
        if (unknown > 0) printText(`${unknown} relevant ids are not in the collection and count as misses (see the warnings)\n`);
        if (out) {
          // `queries` is the report's per-query list; the file it came from is `queriesFile`.
          const meta = { queriesFile: queryFile, root, collection: dataDir, space: engine.projector.version, hybrid: flags.hybrid, date: new Date().toISOString(), seconds, unknownRelevant: unknown };
          await writeFile(out, JSON.stringify({ ...meta, ...report }, null, 2) + '\n');
        }
      } finally {
        await engine.close();
      }
    });
}

/** Every query's media file must be there: a run that stops at query 700 of 1000 wastes the 699. */
function checkMedia(queries: readonly EvalQuery[], root: string, where: (q: EvalQuery) => string): void {
  const problems: string[] = [];
  for (const q of queries) {
    for (const [field, file] of Object.entries(queryFiles(q, root))) {
      let problem: string | undefined;
      try {
        if (!statSync(file).isFile()) problem = 'is not a file';
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        problem = code === 'ENOENT' || code === 'ENOTDIR' ? 'does not exist' : `cannot be read (${code ?? String(err)})`;
      }
      if (problem) problems.push(`${where(q)}: ${field} ${file} ${problem}`);
    }
  }
  if (problems.length > 0) {
    throw new RosettaError('NOT_FOUND', `${problems.length} query media file(s) missing (paths are relative to --root ${root}):\n  ${problems.join('\n  ')}`);
  }
}

/** The --json path, made sure to be writable before the run rather than after it. */
function writableFile(file: string): string {
  const out = path.resolve(file);
  try {
    mkdirSync(path.dirname(out), { recursive: true });
    let exists = true;
    try {
      if (statSync(out).isDirectory()) throw new RosettaError('INVALID_ARGUMENT', `--json ${out} is a directory; give a file path`);
    } catch (err) {
      if (isRosettaError(err)) throw err;
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      exists = false;
    }
    accessSync(exists ? out : path.dirname(out), constants.W_OK);
  } catch (err) {
    if (isRosettaError(err)) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'a folder on its path is a file' : `not writable (${code})`;
    throw new RosettaError('INVALID_ARGUMENT', `--json ${out} cannot be written: ${why}`, { cause: err });
  }
  return out;
}

/**
 * Warns about each relevant id the collection does not hold, and returns how many there are;
 * throws when none of any query is there (the wrong collection).
 */
function unknownRelevant(
  store: CollectionStore,
  queries: readonly EvalQuery[],
  where: (q: EvalQuery) => string,
  queryFile: string,
  dataDir: string,
): number {
  let unknown = 0;
  let total = 0;
  for (const q of queries) {
    for (const id of q.relevant) {
      total++;
      if (has(store, id)) continue;
      unknown++;
      process.stderr.write(`rosetta: warning: ${where(q)}: relevant id "${id}" is not in the collection; it counts as a miss\n`);
    }
  }
  if (unknown === total) {
    throw new RosettaError(
      'INVALID_ARGUMENT',
      `none of the ${total} relevant ids in ${queryFile} is in the collection ${dataDir}: is --db the collection these queries were written for?`,
    );
  }
  return unknown;
}

function has(store: CollectionStore, externalId: string): boolean {
  try {
    store.getItem(externalId);
    return true;
  } catch (err) {
    if (isRosettaError(err, 'NOT_FOUND')) return false;
    throw err;
  }
}

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_K) throw new InvalidArgumentError(`must be an integer from 1 to ${MAX_K}`);
  return n;
}
