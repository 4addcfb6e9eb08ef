// Runs `rosetta index` (the real command) against a collection opened with a random linear
// projector, for tests that need a separate process: exit codes, JSON output, SIGKILL.
//
//   node --import tsx test/helpers/index-child.ts index <paths...> --db DIR [--json] [--strict] [--batch N]
//
// Also exports the pieces the in-process tests share.
import { Command, CommanderError } from 'commander';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../../bin/config.ts';
import type { CliContext } from '../../bin/commands/context.ts';
import { registerIndexCommand } from '../../bin/commands/index-command.ts';
import { openStore, randomLinearProjector, type CollectionStore, type Projector } from '../../indexer/store/index.ts';
import type { IndexEncoders } from '../../indexer/job/index.ts';
import { createEncoder, isRosettaError } from '../../models/index.ts';

/** The space every index test uses: small, so projections are cheap. */
export function testSpace(): Projector {
  return randomLinearProjector({ version: 'index-test-1', dim: 32, seed: 7 });
}

export function openTestStore(dir: string): Promise<CollectionStore> {
  return openStore(dir, { projector: testSpace() });
}

/** The built-in encoders, as the CLI loads them (models/cache holds the converted CNN). */
export async function loadTestEncoders(): Promise<IndexEncoders> {
  const config = loadConfig({}, {});
  const [image, audio, text] = await Promise.all([
    createEncoder('image', config),
    createEncoder('audio', config),
    createEncoder('text', config),
  ]);
  return { image, audio, text } as IndexEncoders;
}

async function main(argv: string[]): Promise<void> {
  const context: CliContext = {
    config: () => loadConfig({}, {}),
    openStore: (dir) => openTestStore(dir),
  };
  const program = new Command('rosetta').exitOverride();
  registerIndexCommand(program, context);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (isRosettaError(err)) {
      process.stderr.write(`rosetta: ${err.code}: ${err.message}\n`);
      process.exitCode = 2;
    } else if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
    } else throw err;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main(process.argv.slice(2));
}

