import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { MAX_K, QueryEngine } from '../../server/index.ts';
import { engineSearch, formatReport, readQueries, runEval } from '../../server/eval/index.ts';
import type { CliContext } from './context.ts';

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
      const queryFile = path.resolve(flags.queries);
      const queries = await readQueries(queryFile);
      const root = path.resolve(flags.root ?? path.dirname(queryFile));
      const dataDir = flags.db ? path.resolve(flags.db) : config.dataDir;
      const engine = await QueryEngine.open({ settings: config, dataDir });
      try {
        const started = performance.now();
        const report = await runEval(queries, engineSearch(engine, { root, hybrid: flags.hybrid }), { k: flags.k });
        const seconds = (performance.now() - started) / 1000;
        process.stdout.write(formatReport(report));
        process.stdout.write(`${queries.length} queries in ${seconds.toFixed(1)} s, space ${engine.projector.version}, collection ${dataDir}\n`);
        if (flags.json) {
          const out = path.resolve(flags.json);
          await mkdir(path.dirname(out), { recursive: true });
          const meta = { queries: queryFile, root, collection: dataDir, space: engine.projector.version, hybrid: flags.hybrid, date: new Date().toISOString(), seconds };
          await writeFile(out, JSON.stringify({ ...meta, ...report }, null, 2) + '\n');
        }
      } finally {
        await engine.close();
      }
    });
}

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_K) throw new InvalidArgumentError(`must be an integer from 1 to ${MAX_K}`);
  return n;
}
