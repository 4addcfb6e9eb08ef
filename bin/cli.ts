import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, Option } from 'commander';
import { RosettaError, isRosettaError } from '../models/errors.ts';
import { createEncoder, describeEncoders, identityKey, type Modality } from '../models/index.ts';
import { loadConfig, type Config } from './config.ts';

const program = new Command('rosetta')
  .description('Self-hosted cross-modal search: text, images, sketches and audio in one space')
  .option('--data-dir <dir>', 'collection directory (ROSETTA_DATA_DIR)')
  .option('--models-dir <dir>', 'external encoders and trained spaces (ROSETTA_MODELS_DIR)')
  .option('--cache-dir <dir>', 'converted model files (ROSETTA_CACHE_DIR)')
  .addOption(new Option('--device <device>', 'ONNX Runtime execution provider (ROSETTA_DEVICE)').choices(['cpu', 'webgpu', 'cuda', 'auto']))
  .option('--encoders <picks>', 'external encoders to use, e.g. image=clip,text=clip-text (ROSETTA_ENCODERS)')
  .showHelpAfterError();

function config(): Config {
  const o = program.opts<Record<string, string | undefined>>();
  return loadConfig({ dataDir: o.dataDir, modelsDir: o.modelsDir, cacheDir: o.cacheDir, device: o.device, encoders: o.encoders });
}

const models = program.command('models').description('encoders and trained spaces');
models
  .command('list')
  .description('which encoders exist, where their files are, and whether they are ready')
  .option('--json', 'print JSON')
  .action(async (opts: { json?: boolean }) => {
    const rows = await describeEncoders(config());
    if (opts.json) return print(JSON.stringify(rows, null, 2));
    for (const r of rows) {
      const state = r.ready ? 'ready' : `not ready: ${r.reason ?? 'unknown'}`;
      print(`${(r.modality ?? '?').padEnd(7)} ${r.name.padEnd(28)} ${r.source.padEnd(9)} ${state}${r.selected ? '  (in use)' : ''}`);
      for (const f of r.files) print(`${''.padEnd(8)}${f}`);
    }
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
      const input = modality === 'text' ? value : { name: value, data: await readInput(value) };
      const [row] = await encoder.encode([input as never]);
      const features =
        row instanceof Float32Array
          ? { vector: Array.from(row) }
          : { ids: Array.from(row.ids), weights: Array.from(row.weights) };
      print(JSON.stringify({ modality, encoder: identityKey(encoder.identity), kind: encoder.kind, dim: encoder.dim, ...features }));
    } finally {
      await encoder.close();
    }
  });

async function readInput(file: string): Promise<Buffer> {
  try {
    return await readFile(path.resolve(file));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new RosettaError(code === 'ENOENT' ? 'NOT_FOUND' : 'INVALID_ARGUMENT', `cannot read ${file}: ${code ?? String(err)}`, { cause: err });
  }
}

function print(line: string): void {
  process.stdout.write(line + '\n');
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (isRosettaError(err)) {
    process.stderr.write(`rosetta: ${err.code}: ${err.message}\n  ${err.hint}\n`);
    process.exitCode = err.status >= 500 ? 3 : 2;
  } else {
    throw err;
  }
}
