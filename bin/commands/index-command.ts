import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import {
  duplicateEvent,
  errorEvent,
  progressBar,
  progressEvent,
  runIndexJob,
  startEvent,
  summaryEvent,
  summaryText,
  type IndexEncoders,
  type IndexJobOptions,
} from '../../indexer/job/index.ts';
import { RosettaError, createEncoder, type Encoder } from '../../models/index.ts';
import { collectionDir } from './collection-dir.ts';
import { pathKind, requireDirectory, requireManifest } from './input-paths.ts';
import type { CliContext } from './context.ts';
import { printLine } from './output.ts';

interface IndexFlags {
  manifest: string[];
  root?: string;
  db?: string;
  json?: boolean;
  strict?: boolean;
  batch: number;
}

/**
 * `rosetta index <paths...> [--manifest items.jsonl --root DIR] [--db DIR] [--json] [--strict] [--batch N]`.
 * Exit status: 0 when the job ran (bad files are reported, not fatal), 1 with --strict when a
 * file failed, 130 when interrupted with Ctrl-C (the job stops after the batch in flight), 2
 * when the command's own arguments are wrong (a path, --manifest or --root that does not
 * exist), before any work. When stdout closes (`| head -1`) the job runs to its end silently.
 *
 * @example
 * registerIndexCommand(program, context); // then: rosetta index ~/photos --json
 */
export function registerIndexCommand(program: Command, context: CliContext): Command {
  return program
    .command('index')
    .description('add images and audio clips to the collection: directories (recursive), files and JSONL manifests')
    .argument('[paths...]', 'directories, media files, or .jsonl manifests')
    .option('--manifest <file>', 'JSONL manifest: {"id","path","modality","caption"?} per line (repeatable)', collect, [])
    .option('--root <dir>', "directory manifest paths are relative to (default: the manifest's directory)")
    .option('--db <dir>', 'collection directory (default: --data-dir, ROSETTA_DATA_DIR)')
    .option('--json', 'print progress and the summary as JSON lines on stdout')
    .option('--strict', 'exit with status 1 if any file could not be indexed')
    .option('--batch <n>', 'files per inference batch', positiveInteger, 32)
    .action(async (paths: string[], flags: IndexFlags) => {
      process.exitCode = await indexAction(paths, flags, context);
    });
}

async function indexAction(paths: string[], flags: IndexFlags, context: CliContext): Promise<number> {
  if (paths.length === 0 && flags.manifest.length === 0) {
    throw new RosettaError('INVALID_ARGUMENT', 'give at least one directory, file or manifest to index');
  }
  const config = context.config();
  checkInputs(paths, flags);
  const store = await context.openStore(collectionDir(flags.db, config, 'create'));
  const opened: Encoder[] = [];
  const abort = new AbortController();
  const onSigint = () => {
    process.stderr.write('\nrosetta: stopping after the current batch (Ctrl-C again to quit at once)\n');
    abort.abort();
    process.off('SIGINT', onSigint);
  };
  process.on('SIGINT', onSigint);
  const out = printLine;
  const tty = !flags.json && process.stderr.isTTY === true;
  try {
    const load = async (m: 'image' | 'audio' | 'text') => {
      const e = await createEncoder(m, config);
      opened.push(e);
      return e;
    };
    const [image, audio, text] = await Promise.all([load('image'), load('audio'), load('text')]);
    const options: IndexJobOptions = {
      paths,
      manifests: flags.manifest.map((m) => ({ path: m })),
      ...(flags.root ? { manifestRoot: flags.root } : {}),
      batchSize: flags.batch,
      featureCacheDir: path.join(config.cacheDir, 'features'),
      signal: abort.signal,
      // A manifest line naming a file the collection already holds adds its caption there.
      keepDuplicateCaptions: true,
      progressIntervalMs: flags.json ? 1000 : 200,
      ...(flags.json
        ? {
            onStart: (info) => out(startEvent(info)),
            onProgress: (p) => out(progressEvent(p)),
            onError: (f) => out(errorEvent(f)),
            onDuplicate: (d) => out(duplicateEvent(d)),
          }
        : tty
          ? { onProgress: (p) => process.stderr.write(`\r${progressBar(p)}\x1b[K`) }
          : {}),
    };
    const summary = await runIndexJob(store, { image, audio, text } as IndexEncoders, options);
    if (tty) process.stderr.write('\n');
    out(flags.json ? summaryEvent(summary) : summaryText(summary));
    if (summary.status === 'cancelled') return 130;
    return flags.strict && summary.failed > 0 ? 1 : 0;
  } finally {
    process.off('SIGINT', onSigint);
    await Promise.allSettled(opened.map((e) => e.close()));
    await store.close();
  }
}

/** The command's own arguments must exist (input-paths.ts). */
function checkInputs(paths: readonly string[], flags: IndexFlags): void {
  for (const p of paths) {
    if (pathKind(p) === 'missing') throw new RosettaError('NOT_FOUND', `${path.resolve(p)} (a path to index) does not exist`);
  }
  for (const m of flags.manifest) requireManifest('--manifest', m);
  if (flags.root !== undefined) requireDirectory('--root', flags.root);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 4096) throw new InvalidArgumentError('must be an integer from 1 to 4096');
  return n;
}
