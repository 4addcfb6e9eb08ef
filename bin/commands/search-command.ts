import { InvalidArgumentError, Option, type Command } from 'commander';
import { RosettaError, isRosettaError } from '../../models/errors.ts';
import { readInputFile, type MediaInput } from '../../models/index.ts';
import { checkMedia, MAX_K, QueryEngine, type EngineQuery, type QueryMediaField } from '../../server/index.ts';
import { collectionDir } from './collection-dir.ts';
import type { CliContext } from './context.ts';
import { printLine as print, stdoutClosed } from './output.ts';

interface SearchFlags {
  db?: string;
  text?: string;
  image?: string;
  sketch?: string;
  audio?: string;
  item?: string;
  withText?: string;
  not?: string;
  k: number;
  modality?: 'image' | 'audio';
  hybrid: boolean;
  json?: boolean;
}

/**
 * `rosetta search [--db DIR] (--text "..." | --image F | --sketch F | --audio F | --item ID)
 * [--with-text "..."] [--k N] [--json]`: the API's engine, from the command line. The
 * collection must not be open in a server at the same time (one process per collection).
 *
 * @example
 * registerSearchCommand(program, context); // then: rosetta search --image cat.jpg --with-text "at night" --k 5
 */
export function registerSearchCommand(program: Command, context: CliContext): Command {
  return program
    .command('search')
    .description('search the collection: ranked ids, scores, captions and source paths')
    .option('--db <dir>', 'collection directory (default: --data-dir, ROSETTA_DATA_DIR)')
    .option('--text <text>', 'words to search for')
    .option('--image <file>', 'an image to search by (query by example)')
    .option('--sketch <file>', 'a drawing to search by')
    .option('--audio <file>', 'a sound clip to search by')
    .option('--item <id>', 'more like this item (numeric id or external id)')
    .option('--with-text <text>', 'with --image: what to change ("in red", "woman")')
    .option('--not <text>', 'what the results should not be')
    .option('--k <n>', `results (1..${MAX_K})`, integer, 10)
    .addOption(new Option('--modality <m>', 'only images or only audio').choices(['image', 'audio']))
    .option('--no-hybrid', 'vector ranking only, without keyword matches on captions')
    .option('--json', 'one JSON line per result')
    .action(async (flags: SearchFlags) => {
      const config = context.config();
      const dataDir = collectionDir(flags.db, config, 'existing');
      const query = await buildQuery(flags);
      const engine = await QueryEngine.open({ settings: config, dataDir });
      try {
        const response = await engine.search(query).catch((err: unknown) => {
          throw named(err, queryInputs(flags));
        });
        for (const [i, r] of response.results.entries()) {
          // `| head -1` closed the pipe: the rest would go nowhere.
          if (stdoutClosed()) break;
          const source = engine.store.getItem(r.id).sourcePath;
          if (flags.json) print(JSON.stringify({ rank: i + 1, id: r.id, externalId: r.externalId, modality: r.modality, score: r.score, caption: r.caption, source }));
          else print(`${String(i + 1).padStart(3)}. ${r.score.toFixed(4)}  #${r.id} ${r.externalId} (${r.modality})  ${r.caption ?? '(no caption)'}\n       ${source}`);
        }
        if (!flags.json) print(`${response.results.length} results, ${response.queryType} query${response.hybrid ? ' + keywords' : ''}, ${response.took_ms} ms, space ${response.space}`);
      } finally {
        await engine.close();
      }
    });
}

async function buildQuery(flags: SearchFlags): Promise<EngineQuery> {
  if (flags.withText !== undefined && flags.image === undefined) throw new RosettaError('INVALID_ARGUMENT', '--with-text goes with --image (a composed query)');
  if (flags.withText !== undefined && flags.text !== undefined) throw new RosettaError('INVALID_ARGUMENT', 'give --text or --with-text, not both');
  const text = flags.text ?? flags.withText;
  const query: EngineQuery = { k: flags.k, offset: 0, hybrid: flags.hybrid, ...(text !== undefined ? { text } : {}) };
  if (flags.not !== undefined) query.negativeText = flags.not;
  if (flags.modality) query.modalities = [flags.modality];
  if (flags.item !== undefined) query.itemId = /^\d+$/.test(flags.item) ? Number(flags.item) : flags.item;
  for (const m of ['image', 'sketch', 'audio'] as const) if (flags[m] !== undefined) query[m] = await readMedia(m, flags[m]);
  if ([query.text, query.image, query.sketch, query.audio, query.itemId].every((v) => v === undefined)) {
    throw new RosettaError('INVALID_ARGUMENT', 'give one of --text, --image, --sketch, --audio or --item');
  }
  return query;
}

async function readMedia(field: QueryMediaField, file: string): Promise<MediaInput> {
  const data = await readInputFile(file, `--${field}`);
  try {
    return checkMedia(field, { name: file, data });
  } catch (err) {
    throw named(err, `--${field} ${file}`);
  }
}

/** The flags that carried the query's inputs, to name in a message about them. */
function queryInputs(flags: SearchFlags): string {
  const given = (['text', 'withText', 'not', 'image', 'sketch', 'audio', 'item'] as const).filter((f) => flags[f] !== undefined);
  const flag = (f: (typeof given)[number]) => `--${f === 'withText' ? 'with-text' : f}`;
  return given.map((f) => (['image', 'sketch', 'audio'].includes(f) ? `${flag(f)} ${flags[f]}` : flag(f))).join(' ');
}

/** The engine's message ("audio is empty") prefixed with the flag and file it is about. */
function named(err: unknown, what: string): unknown {
  const aboutInput = ['EMPTY_INPUT', 'CORRUPT_MEDIA', 'UNSUPPORTED_MEDIA', 'INPUT_TOO_LARGE', 'INVALID_ARGUMENT'];
  if (!isRosettaError(err) || !aboutInput.includes(err.code) || err.message.startsWith(what)) return err;
  return new RosettaError(err.code, `${what}: ${err.message}`, { cause: err });
}

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_K) throw new InvalidArgumentError(`must be an integer from 1 to ${MAX_K}`);
  return n;
}
