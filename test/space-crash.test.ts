// A training run killed mid-way (SIGKILL) leaves the previous space in service: CURRENT is
// unchanged, no half-written space directory is visible, and the collection opens with the
// old space and answers searches. A run left to finish switches both, so the test can fail.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../indexer/store/index.ts';
import {
  listSpaces,
  readCurrentVersion,
  setCurrentSpace,
  spacesDir,
  SpaceProjector,
  trainSpace,
  writeSpace,
} from '../models/space/index.ts';
import { syntheticCorpus } from '../models/space/test-support.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));
let root: string;
let modelsDir: string;
let dataDir: string;
let oldVersion: string;
const corpus = syntheticCorpus({ images: 160, sounds: 40, seed: 4 });

// The child trains on the collection with a small stand-in text featurizer (word hashes), so
// that it starts in a second or two; everything else is the real code path.
const childScript = (epochs: number) => `
import { openStore } from ${JSON.stringify(path.join(repo, 'indexer/store/index.ts'))};
import { SpaceProjector, trainCollectionSpace } from ${JSON.stringify(path.join(repo, 'models/space/index.ts'))};
const [modelsDir, dataDir] = process.argv.slice(-2);
const text = {
  modality: 'text', kind: 'sparse', dim: 4096, identity: { name: 'words', version: '1', weightsHash: '0123456789abcdef' },
  encode: async (texts) => texts.map((t) => {
    const ids = [...new Set(t.split(/\\W+/).filter(Boolean).map((w) => [...w].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 4096, 7)))].sort((a, b) => a - b);
    return { ids: Uint32Array.from(ids), weights: new Float32Array(ids.length).fill(1 / Math.sqrt(ids.length)) };
  }),
  close: async () => {},
};
const store = await openStore(dataDir, { projector: await SpaceProjector.current(modelsDir) });
await trainCollectionSpace({
  store, modelsDir, encoders: { text }, warmStart: null, pseudoSketches: 0, dim: 8, epochs: ${epochs}, patience: ${epochs}, batchSize: 16,
  onProgress: (e) => { if (e.stage === 'epoch') console.log('EPOCH ' + e.record.epoch); },
});
await store.close();
console.log('DONE');
`;

function runChild(epochs: number, killAtEpoch?: number): Promise<{ code: number | null; signal: string | null; out: string }> {
  const script = path.join(root, `child-${epochs}.mts`);
  writeFileSync(script, childScript(epochs));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, modelsDir, dataDir], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (killAtEpoch !== undefined && out.includes(`EPOCH ${killAtEpoch}\n`)) child.kill('SIGKILL');
    });
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, out }));
  });
}

async function searchFindsItself(): Promise<{ version: string; top: string }> {
  const projector = (await SpaceProjector.current(modelsDir))!;
  const store = await openStore(dataDir, { projector });
  try {
    const item = store.getItem('images/3');
    const [feature] = store.getFeatures(item.id).filter((f) => f.modality === 'image');
    const query = projector.embedQuery('image', (feature as { vector: Float32Array }).vector, feature.encoder);
    const [hit] = await store.search(query, 1);
    return { version: store.space.version, top: hit.item.externalId };
  } finally {
    await store.close();
  }
}

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'rosetta-space-crash-'));
  modelsDir = path.join(root, 'models');
  dataDir = path.join(root, 'collection');
  const { model, draft } = await trainSpace(corpus, { source: 'synthetic', dim: 8, epochs: 2 });
  const old = await writeSpace(modelsDir, model, draft);
  oldVersion = old.manifest.version;
  await setCurrentSpace(modelsDir, oldVersion);
  const store = await openStore(dataDir, { projector: new SpaceProjector(old) });
  const images = corpus.captioned.image!;
  for (let i = 0; i < images.features.length; i++) {
    await store.addItem({
      externalId: `images/${i}`,
      modality: 'image',
      sourcePath: path.join(root, `missing-${i}.png`),
      contentHash: i.toString(16).padStart(64, '0'),
      mime: 'image/png',
      captions: [{ text: corpus.captions[images.caption[i]].text, source: 'manifest' }],
      features: [{ kind: 'dense', modality: 'image', encoder: corpus.encoders.image!.key, dim: 24, vector: images.features[i] }],
    });
  }
  await store.close();
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('a training run killed mid-way', () => {
  it('leaves CURRENT, the space list and the collection on the previous space', async () => {
    const run = await runChild(400, 2);
    expect(run.signal, run.out).toBe('SIGKILL');
    expect(run.out).toContain('EPOCH 2');
    expect(run.out).not.toContain('DONE');
    expect(await readCurrentVersion(modelsDir)).toBe(oldVersion);
    expect((await listSpaces(modelsDir)).map((s) => s.version)).toEqual([oldVersion]);
    expect(readdirSync(spacesDir(modelsDir)).filter((n) => !n.startsWith('.')).sort()).toEqual([oldVersion, 'CURRENT'].sort());
    expect(await searchFindsItself()).toEqual({ version: oldVersion, top: 'images/3' });
  });

  it('switches CURRENT and the collection to the new space when it finishes', async () => {
    const run = await runChild(2);
    expect(run.code, run.out).toBe(0);
    expect(run.out).toContain('DONE');
    const current = await readCurrentVersion(modelsDir);
    expect(current).not.toBe(oldVersion);
    expect((await listSpaces(modelsDir)).map((s) => s.version).sort()).toEqual([oldVersion, current].sort());
    expect(await searchFindsItself()).toEqual({ version: current, top: 'images/3' });
  });
});
