/**
 * Runs once before any test file. The integration suites (API, UI, demo, CLI search) serve
 * collections from the repository's models folder, so they need a space in service there. On
 * a fresh clone none exists, and letting the first two test files train one each at the same
 * time would race on CURRENT (and the loser's server would follow it mid-test). So the default
 * space is trained here, once, in one process: a few minutes on a fresh clone, nothing later.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDefaultSpace } from '../models/space/index.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export default async function setup(): Promise<void> {
  const started = performance.now();
  let trained = false;
  const space = await ensureDefaultSpace({
    modelsDir: path.join(root, 'models'),
    cacheDir: path.join(root, 'models/cache'),
    onProgress: (e) => {
      if (e.stage !== 'cached' && !trained) {
        trained = true;
        process.stderr.write('global setup: training the default space for the integration tests (once per checkout)\n');
      }
    },
  });
  if (trained) process.stderr.write(`global setup: default space ${space.manifest.version} ready in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
}
