import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { RosettaError, isRosettaError } from '../models/errors.ts';
import { createEncoder, describeEncoders, identityKey, readInputFile, type Device, type Modality } from '../models/index.ts';
import { openCollection } from '../server/index.ts';
import { listSpaces, setCurrentSpace } from '../models/space/index.ts';
import { loadConfig, type Config } from './config.ts';
import type { CliContext } from './commands/context.ts';
import { registerIndexCommand } from './commands/index-command.ts';
import { progressLine, registerTrainCommand } from './commands/train-command.ts';
import { registerServeCommands } from './commands/serve-command.ts';
import { registerSearchCommand } from './commands/search-command.ts';
import { registerEvalCommand } from './commands/eval-command.ts';
import { collectionDir } from './commands/collection-dir.ts';
import { printLine } from './commands/output.ts';
import { fileSystemMessage } from './fs-errors.ts';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('rosetta')
  .description('Self-hosted cross-modal search: text, images, sketches and audio in one space')
  .version(version, '-V, --version', 'print the version (package.json)')
  .option('--data-dir <dir>', 'collection directory (ROSETTA_DATA_DIR)')
  .option('--models-dir <dir>', 'external encoders and trained spaces (ROSETTA_MODELS_DIR)')
  .option('--cache-dir <dir>', 'converted model files (ROSETTA_CACHE_DIR)')
  .addOption(new Option('--device <device>', 'ONNX Runtime execution provider (ROSETTA_DEVICE)').choices(['cpu', 'webgpu', 'cuda', 'auto']))
  .option('--encoders <picks>', 'external encoders to use, e.g. image=clip-vit-b32-visual,text=clip-vit-b32-text (ROSETTA_ENCODERS)')
  // A usage error is one line and a pointer to the help (the whole help buried the line), and
  // exits 2 like every other mistake of the caller: commander would exit 1.
  .showHelpAfterError("(run 'rosetta help <command>' for its options)")
  .exitOverride();

function config(): Config {
  const o = program.opts<Record<string, string | undefined>>();
  return loadConfig({ dataDir: o.dataDir, modelsDir: o.modelsDir, cacheDir: o.cacheDir, device: o.device, encoders: o.encoders });
}

const context: CliContext = {
  config,
  async openStore(dataDir) {
    const { store } = await openCollection(config(), dataDir, (e) => {
      const line = progressLine(e);
      if (line) process.stderr.write(`  ${line}\n`);
    });
    return store;
  },
};

registerIndexCommand(program, context);
registerTrainCommand(program, context);
registerServeCommands(program, context);
registerSearchCommand(program, context);
registerEvalCommand(program, context);

program
  .command('compact')
  .description('rebuild the collection\'s vector index without the holes that deletions leave')
  .option('--db <dir>', 'collection directory (default: --data-dir, ROSETTA_DATA_DIR)')
  .action(async (opts: { db?: string }) => {
    const store = await context.openStore(collectionDir(opts.db, config(), 'existing'));
    try {
      const { vectors, skipped } = await store.compact();
      print(`compacted: ${vectors} vectors${skipped ? `, ${skipped} items without a vector in this space` : ''}`);
    } finally {
      await store.close();
    }
  });

const models = program.command('models').description('encoders and trained spaces');
models
  .command('list')
  .description('which encoders exist, where their files are, and whether they are ready')
  .option('--json', 'print JSON')
  .action(async (opts: { json?: boolean }) => {
    const c = config();
    const rows = await describeAll(c);
    const spaces = await listSpaces(c.modelsDir);
    if (opts.json) return print(JSON.stringify({ encoders: rows, spaces }, null, 2));
    print('Encoders:');
    for (const r of rows) {
      const state = r.ready ? 'ready' : `not ready: ${r.reason ?? 'unknown'}`;
      print(`  ${(r.modality ?? '?').padEnd(7)} ${r.name.padEnd(28)} ${r.source.padEnd(9)} ${state}${r.selected ? '  (in use)' : ''}`);
      for (const f of r.files) print(`${''.padEnd(10)}${f}`);
    }
    print(`Spaces (${c.modelsDir}/spaces):${spaces.length === 0 ? ' none yet; the default space is trained on first use, or by `rosetta train --default`' : ''}`);
    for (const s of spaces) {
      const recall = Object.entries(s.recall10 ?? {}).map(([task, r]) => `${task} ${r.toFixed(2)}`).join(', ');
      const tags = [s.current ? 'in service' : '', s.default ? 'default' : '', s.error ? `broken: ${s.error}` : ''].filter(Boolean).join(', ');
      print(`  ${s.version}  dim ${s.dim ?? '?'}  ${s.pairs ?? '?'} pairs  ${s.source ?? ''}${tags ? `  (${tags})` : ''}`);
      if (recall) print(`${''.padEnd(10)}val R@10: ${recall}`);
    }
  });

models
  .command('use <version>')
  .description('put a trained space in service (a running server switches to it within a second)')
  .action(async (version: string) => {
    const c = config();
    const spaces = await listSpaces(c.modelsDir);
    const space = spaces.find((s) => s.version === version);
    if (!space) {
      const known = spaces.map((s) => s.version).join(', ') || 'none';
      throw new RosettaError('NOT_FOUND', `no space ${version} in ${c.modelsDir}/spaces (there: ${known}); see rosetta models list`);
    }
    if (space.error) throw new RosettaError('MODEL_INVALID', `space ${version} cannot be used: ${space.error}`);
    const previous = spaces.find((s) => s.current)?.version;
    await setCurrentSpace(c.modelsDir, version);
    print(`in service: ${version}${previous && previous !== version ? ` (was ${previous})` : ''}`);
  });

program
  .command('embed')
  .description('print the feature vector of one input as JSON (for debugging and scripts)')
  .addOption(new Option('--image <file>', 'an image file').conflicts(['sketch', 'audio', 'text']))
  .addOption(new Option('--sketch <file>', 'a sketch (strokes on a plain background)').conflicts(['audio', 'text']))
  .addOption(new Option('--audio <file>', 'an audio clip (WAV, OGG, MP3, FLAC)').conflicts(['text']))
  .option('--text <text>', 'a caption or query')
  .action(async (opts: Partial<Record<Modality, string>>) => {
    const modality = (['image', 'sketch', 'audio', 'text'] as const).find((m) => opts[m] !== undefined);
    if (!modality) throw new RosettaError('INVALID_ARGUMENT', 'give one of --image, --sketch, --audio or --text');
    const encoder = await createEncoder(modality, config());
    try {
      const value = opts[modality]!;
      const input = modality === 'text' ? value : { name: value, data: await readInputFile(value, `--${modality}`) };
      const [row] = await encoder.encode([input as never]).catch((err: unknown) => {
        // The encoder names its batch slot ("text[0] is empty"); the user gave a flag.
        if (!isRosettaError(err)) throw err;
        throw new RosettaError(err.code, `--${modality}${modality === 'text' ? '' : ` ${value}`}: ${err.message}`, { cause: err });
      });
      const features =
        row instanceof Float32Array
          ? { vector: Array.from(row) }
          : { ids: Array.from(row.ids), weights: Array.from(row.weights) };
      print(JSON.stringify({ modality, encoder: identityKey(encoder.identity), kind: encoder.kind, dim: encoder.dim, ...features }));
    } finally {
      await encoder.close();
    }
  });

/**
 * Every encoder, with each pick of ROSETTA_ENCODERS / --encoders that names no encoder listed
 * as not ready (with the reason) rather than failing the listing that would show the choices.
 * A pick that names a manifest which is broken or of another modality is shown on that
 * manifest's own row, with the reason, not as a second "no encoder named" row.
 */
async function describeAll(c: Config): Promise<Awaited<ReturnType<typeof describeEncoders>>> {
  const rows = await describeEncoders({ ...c, encoders: {} });
  for (const r of rows) {
    const picked = r.modality ? c.encoders[r.modality] : undefined;
    r.selected = r.source === 'built-in' ? picked === undefined : picked === r.name;
  }
  const via = '--encoders / ROSETTA_ENCODERS';
  for (const [modality, name] of Object.entries(c.encoders)) {
    const named = rows.filter((r) => r.source === 'external' && r.name === name);
    if (named.some((r) => r.modality === modality)) continue;
    if (named.length > 0) {
      for (const r of named) {
        if (r.modality === null) {
          // Too broken to say its modality: its own reason is why the pick fails.
          r.selected = true;
        } else {
          const own = r.ready ? [] : [r.reason];
          r.ready = false;
          r.reason = [`picked for ${modality} by ${via}, but it is a ${r.modality} encoder`, ...own].join('; ');
        }
      }
      continue;
    }
    rows.push({
      modality: modality as Modality,
      name,
      source: 'external',
      files: [],
      ready: false,
      reason: `no external ${modality} encoder named '${name}' in ${c.modelsDir} (picked by ${via})`,
      selected: true,
    });
  }
  return rows;
}

const print = printLine;

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // commander has printed the message (or the help or version asked for).
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else if (isRosettaError(err)) {
    process.stderr.write(`rosetta: ${err.code}: ${err.message}\n  ${err.hint}\n`);
    process.exitCode = err.status >= 500 ? 3 : 2;
  } else {
    // A file-system error a user can fix gets a plain message; anything else is a bug, with its stack.
    const message = fileSystemMessage(err);
    if (message === undefined) throw err;
    process.stderr.write(`rosetta: ${message}\n`);
    process.exitCode = 2;
  }
}
