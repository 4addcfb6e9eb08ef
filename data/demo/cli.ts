/**
 * Builds the demo collection from the command line (the app's own command will call
 * buildDemoData; this is for building and timing it by hand):
 *   npx tsx data/demo/cli.ts --dir data/collection/demo --size full [--seed 1]
 */
import { parseArgs } from 'node:util';
import { buildDemoData } from './index.ts';

const { values } = parseArgs({
  options: {
    dir: { type: 'string', default: 'data/collection/demo' },
    size: { type: 'string', default: 'small' },
    seed: { type: 'string', default: '1' },
  },
});

let lastStep = '';
const manifest = await buildDemoData({
  dir: values.dir,
  size: values.size as 'small' | 'full',
  seed: Number(values.seed),
  onProgress: ({ step, done, total }) => {
    if (step !== lastStep || done === total) process.stderr.write(`${step} ${done}/${total}\n`);
    lastStep = step;
  },
});
const { credits: _credits, ...summary } = manifest;
console.log(JSON.stringify(summary, null, 2));
