import type { CollectionStore } from '../../indexer/store/index.ts';
import type { Config } from '../config.ts';

/**
 * What a command needs from the CLI around it, so that commands are registered on any
 * commander program (the real one, or a test's) without reaching for globals.
 */
export interface CliContext {
  /** The validated configuration (global flags over ROSETTA_* over defaults). */
  config(): Config;
  /** Opens the collection in `dataDir` with the current space's projector. */
  openStore(dataDir: string): Promise<CollectionStore>;
}
