/**
 * `rosetta search` on a built collection, as a user runs it: the query engine from the command
 * line, JSON lines with --json, and its refusals with exit code 2.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRosetta, runWithStdoutClosedEarly, rosettaBin } from './helpers/cli.ts';
import { tinyClipVisual } from './helpers/tiny-onnx.ts';
import { buildSmallDemo, demoComposed, demoItems, removeTemp, root, serve, tempDir, type DemoItem } from './api/helpers.ts';

const run = promisify(execFile);
let dataDir: string;
let items: DemoItem[];

beforeAll(async () => {
  dataDir = await buildSmallDemo('cli-search');
  items = demoItems(dataDir);
});

afterAll(() => removeTemp(dataDir));

async function rosetta(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [path.join(root, 'bin/rosetta.js'), 'search', '--db', dataDir, ...args], { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

interface Line {
  rank: number;
  id: number;
  externalId: string;
  modality: 'image' | 'audio';
  score: number;
  caption: string | null;
  source: string;
}

const lines = (stdout: string) => stdout.trim().split('\n').map((l) => JSON.parse(l) as Line);
const demoPath = (rel: string) => path.join(dataDir, 'demo', rel);

describe('rosetta search --json', () => {
  it('prints one JSON line per result: rank, id, external id, modality, score, caption and source path', async () => {
    const target = items.find((i) => i.id === 'om-1F600')!;
    const { code, stdout, stderr } = await rosetta('--text', target.meta.annotation!, '--k', '5', '--json');
    expect(code, stderr).toBe(0);
    const out = lines(stdout);
    expect(out).toHaveLength(5);
    expect(out.map((l) => l.rank)).toEqual([1, 2, 3, 4, 5]);
    expect(out[0]).toMatchObject({ externalId: target.id, modality: 'image', caption: target.caption, source: demoPath(target.path) });
    for (const l of out) {
      expect(Number.isInteger(l.id)).toBe(true);
      expect(existsSync(l.source)).toBe(true);
    }
    const scores = out.map((l) => l.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it('searches by an image, a sketch, an audio clip, an item, and an image with --with-text', async () => {
    const image = items.find((i) => i.modality === 'image' && i.meta.sketch)!;
    const byImage = await rosetta('--image', demoPath(image.path), '--k', '3', '--json');
    expect(byImage.code, byImage.stderr).toBe(0);
    expect(lines(byImage.stdout)[0].externalId).toBe(image.id);

    const bySketch = await rosetta('--sketch', demoPath(image.meta.sketch!), '--modality', 'image', '--k', '10', '--json');
    expect(bySketch.code, bySketch.stderr).toBe(0);
    expect(lines(bySketch.stdout).every((l) => l.modality === 'image')).toBe(true);

    const sound = items.find((i) => i.modality === 'audio')!;
    const byAudio = await rosetta('--audio', demoPath(sound.path), '--modality', 'audio', '--k', '3', '--json');
    expect(byAudio.code, byAudio.stderr).toBe(0);
    expect(lines(byAudio.stdout)[0]).toMatchObject({ externalId: sound.id, modality: 'audio', source: demoPath(sound.path) });

    const byItem = await rosetta('--item', image.id, '--k', '4', '--json');
    expect(byItem.code, byItem.stderr).toBe(0);
    expect(lines(byItem.stdout)).toHaveLength(4);
    expect(lines(byItem.stdout).map((l) => l.externalId)).not.toContain(image.id);

    const c = demoComposed(dataDir)[0];
    const composed = await rosetta('--image', demoPath(c.image), '--with-text', c.text, '--modality', 'image', '--k', '10', '--json');
    expect(composed.code, composed.stderr).toBe(0);
    expect(lines(composed.stdout)).toHaveLength(10);
  });

  it('prints a readable table without --json', async () => {
    const { code, stdout } = await rosetta('--text', 'laser zap', '--modality', 'audio', '--k', '3', '--no-hybrid');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^ {2}1\. \d\.\d{4} {2}#\d+ sfx-\S+ \(audio\)/m);
    expect(stdout).toMatch(/3 results, text query, [\d.]+ ms, space \S+/);
  });
});

describe('rosetta search with stdout closed early (| head -1)', () => {
  it('stops writing quietly and exits 0', async () => {
    const { code, stderr } = await runWithStdoutClosedEarly([rosettaBin, 'search', '--db', dataDir, '--text', 'face', '--k', '50', '--json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});

describe('rosetta eval checks its inputs', () => {
  const scratch = () => mkdtempSync(path.join(tmpdir(), 'rosetta-cli-eval-'));
  const write = (dir: string, lines: object[]) => {
    const file = path.join(dir, 'q.jsonl');
    writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    return file;
  };

  it('warns about each relevant id not in the collection, naming qid and line, counts them, and keeps both query fields in --json', async () => {
    const dir = scratch();
    const known = items.find((i) => i.id === 'om-1F600')!;
    const file = write(dir, [{ qid: 'q1', text: known.caption ?? 'face', relevant: [known.id] }, { qid: 'q2', text: 'car', relevant: ['no-such-id'] }]);
    const out = path.join(dir, 'report.json');
    const r = await runRosetta('eval', '--db', dataDir, '--queries', file, '--json', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`rosetta: warning: ${file}:2 (qid q2): relevant id "no-such-id" is not in the collection`);
    expect(r.stdout).toMatch(/^1 relevant ids are not in the collection/m);
    const report = JSON.parse(readFileSync(out, 'utf8')) as { queriesFile: string; queries: unknown; unknownRelevant: number };
    expect(report.queriesFile).toBe(file);
    expect(Array.isArray(report.queries)).toBe(true);
    expect(report.unknownRelevant).toBe(1);
  });

  it('fails when no relevant id of any query is in the collection (the wrong collection)', async () => {
    const file = write(scratch(), [{ qid: 'q1', text: 'car', relevant: ['x1'] }, { qid: 'q2', text: 'dog', relevant: ['x2'] }]);
    const r = await runRosetta('eval', '--db', dataDir, '--queries', file);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/INVALID_ARGUMENT: none of the 2 relevant ids in .* is in the collection/);
  });

  it('reports every missing media file (qid, line, path) and an unwritable --json before running any query', async () => {
    const dir = scratch();
    const file = write(dir, [{ qid: 'ok', text: 'face', relevant: [items.find((i) => i.id === 'om-1F600')!.id] }, { qid: 'i1', image: 'gone.png', relevant: [items.find((i) => i.id === 'om-1F600')!.id] }, { qid: 'a1', audio: 'gone.wav', relevant: [items.find((i) => i.id === 'om-1F600')!.id] }]);
    const r = await runRosetta('eval', '--db', dataDir, '--queries', file);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:2 (qid i1): image ${path.join(dir, 'gone.png')} does not exist`);
    expect(r.stderr).toContain(`${file}:3 (qid a1): audio ${path.join(dir, 'gone.wav')} does not exist`);
    expect(r.stdout).toBe('');
    const blocker = path.join(dir, 'afile');
    writeFileSync(blocker, 'x');
    const good = write(scratch(), [{ qid: 'ok', text: 'face', relevant: [items.find((i) => i.id === 'om-1F600')!.id] }]);
    const j = await runRosetta('eval', '--db', dataDir, '--queries', good, '--json', path.join(blocker, 'r.json'));
    expect(j.code).toBe(2);
    expect(j.stderr).toContain(`INVALID_ARGUMENT: --json ${path.join(blocker, 'r.json')} cannot be written`);
    expect(j.stdout).toBe('');
  });
});

describe('rosetta search refuses', () => {
  it('a query with nothing to search for, and --with-text without --image, with exit code 2', async () => {
    const empty = await rosetta('--k', '3');
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/INVALID_ARGUMENT: .*--text/);
    const dangling = await rosetta('--with-text', 'in red');
    expect(dangling.code).toBe(2);
    expect(dangling.stderr).toMatch(/--with-text goes with --image/);
  });

  it('a missing file and a text file given as an image', async () => {
    const missing = await rosetta('--image', 'no/such/picture.png');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/NOT_FOUND: .*no\/such\/picture\.png/);
    const text = await rosetta('--image', path.join(root, 'package.json'));
    expect(text.code).toBe(2);
    expect(text.stderr).toMatch(/UNSUPPORTED_MEDIA/);
  });

  it('a sketch that is a sound and an empty audio file, naming the flag and the file', async () => {
    const sound = items.find((i) => i.modality === 'audio')!;
    const sketch = await rosetta('--sketch', demoPath(sound.path));
    expect(sketch.code).toBe(2);
    expect(sketch.stderr).toContain(`UNSUPPORTED_MEDIA: --sketch ${demoPath(sound.path)}: sketch must be an image`);
    const zero = path.join(mkdtempSync(path.join(tmpdir(), 'rosetta-cli-search-')), 'zero.wav');
    writeFileSync(zero, '');
    const audio = await rosetta('--audio', zero);
    expect(audio.code).toBe(2);
    expect(audio.stderr).toContain(`EMPTY_INPUT: --audio ${zero}: `);
  });

  it('an image query when another image encoder than the space\'s is picked, even of the same width', async () => {
    // The space in service, and a random encoder as wide as the built-in one (384) picked for images.
    const models = path.join(tempDir('cli-models'), 'models');
    mkdirSync(models);
    symlinkSync(path.join(root, 'models/spaces'), path.join(models, 'spaces'));
    writeFileSync(path.join(models, 'visual.onnx'), tinyClipVisual({ dim: 384 }).bytes);
    writeFileSync(
      path.join(models, 'wide.encoder.json'),
      JSON.stringify({
        name: 'wide', version: '1', modality: 'image', onnx: 'visual.onnx', inputs: { pixel_values: 'image' }, output: 'image_embeds', dim: 384, normalize: true,
        preprocess: { kind: 'image', size: 224, resize: 'shortest-side-crop', kernel: 'cubic', layout: 'NCHW', scale: 1, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
      }),
    );
    try {
      const picked = ['--models-dir', models, '--cache-dir', path.join(root, 'models/cache'), '--encoders', 'image=wide', 'search', '--db', dataDir];
      const image = await runRosetta(...picked, '--image', demoPath(items.find((i) => i.modality === 'image')!.path));
      expect(image.code, image.stderr).toBe(2);
      expect(image.stderr).toMatch(/DIMENSION_MISMATCH: space \S+ was trained on image encoder \S+, but this collection is set to encode image with wide@1\+/);
      // The other modalities still search.
      expect((await runRosetta(...picked, '--text', 'face', '--k', '3')).code).toBe(0);
    } finally {
      removeTemp(models);
    }
  });

  it('an unknown item, and a k out of range', async () => {
    const unknown = await rosetta('--item', 'no-such-item');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/NOT_FOUND/);
    const k = await rosetta('--text', 'cat', '--k', '5000');
    expect(k.code).not.toBe(0);
    expect(k.stderr).toMatch(/--k/);
  });

  it('a collection a server holds, naming the lock', async () => {
    const server = await serve(dataDir);
    try {
      const held = await rosetta('--text', 'cat');
      expect(held.code).toBe(2);
      expect(held.stderr).toMatch(/lock/);
    } finally {
      await server.close();
    }
  });
});
