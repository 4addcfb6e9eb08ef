import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runRosetta } from './helpers/cli.ts';
import { tinyClipVisual } from './helpers/tiny-onnx.ts';

const root = path.resolve(import.meta.dirname, '..');
const fixture = (p: string) => path.join(root, 'test/fixtures', p);

const run = promisify(execFile);
const rosetta = runRosetta;

describe('rosetta embed', () => {
  it.each([
    ['--image', fixture('images/scene.jpg'), 'image', 384],
    ['--sketch', fixture('images/sketch-strokes.png'), 'sketch', 384],
    ['--audio', fixture('audio/speech.wav'), 'audio', 543],
  ])('prints a unit-length %s feature vector as JSON', async (flag, file, modality, dim) => {
    const { code, stdout } = await rosetta('embed', flag, file);
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as { modality: string; dim: number; encoder: string; vector: number[] };
    expect(out.modality).toBe(modality);
    expect(out.dim).toBe(dim);
    expect(out.vector).toHaveLength(dim);
    expect(out.vector.every(Number.isFinite)).toBe(true);
    if (modality !== 'audio') expect(Math.hypot(...out.vector)).toBeCloseTo(1, 4);
    expect(out.encoder).toMatch(/@.+#[0-9a-f]{12}$/);
  });

  it('prints sparse text features as ids and weights', async () => {
    const { code, stdout } = await rosetta('embed', '--text', 'a small red car');
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as { kind: string; ids: number[]; weights: number[] };
    expect(out.kind).toBe('sparse');
    expect(out.ids.length).toBeGreaterThan(10);
    expect(out.ids.length).toBe(out.weights.length);
    expect(Math.hypot(...out.weights)).toBeCloseTo(1, 4);
  });

  it('rejects a truncated JPEG with CORRUPT_MEDIA and exit code 2', async () => {
    const { code, stdout, stderr } = await rosetta('embed', '--image', fixture('images/truncated.jpg'));
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/CORRUPT_MEDIA: .*truncated\.jpg/);
  });

  it('rejects a missing file with NOT_FOUND naming it', async () => {
    const { code, stderr } = await rosetta('embed', '--audio', 'no/such/clip.wav');
    expect(code).toBe(2);
    expect(stderr).toMatch(/NOT_FOUND: .*no\/such\/clip\.wav/);
  });

  it('rejects an empty --text naming the flag', async () => {
    const { code, stderr } = await rosetta('embed', '--text=');
    expect(code).toBe(2);
    expect(stderr).toMatch(/EMPTY_INPUT: --text: /);
  });

  it('rejects a call without an input', async () => {
    const { code, stderr } = await rosetta('embed');
    expect(code).toBe(2);
    expect(stderr).toMatch(/INVALID_ARGUMENT/);
  });
});

describe('rosetta models list', () => {
  it('lists the four built-in encoders as JSON with their files', async () => {
    const { code, stdout } = await rosetta('models', 'list', '--json');
    expect(code).toBe(0);
    const rows = (JSON.parse(stdout) as { encoders: { modality: string; source: string; ready: boolean; files: string[] }[] }).encoders;
    const builtIn = rows.filter((r) => r.source === 'built-in');
    expect(builtIn.map((r) => r.modality).sort()).toEqual(['audio', 'image', 'sketch', 'text']);
    expect(builtIn.find((r) => r.modality === 'image')!.files[0]).toMatch(/\.onnx$/);
  });

  it('lists an unknown external encoder pick as not ready, with the reason, beside the others', async () => {
    const { code, stdout } = await rosetta('--encoders', 'image=nope', 'models', 'list');
    expect(code).toBe(0);
    expect(stdout).toMatch(/image +nope +external +not ready: no external image encoder named 'nope' in .*\(in use\)/);
    expect(stdout).toMatch(/audio +audio-descriptor +built-in +ready +\(in use\)/);
    const json = await rosetta('--encoders', 'image=nope', 'models', 'list', '--json');
    const rows = (JSON.parse(json.stdout) as { encoders: { modality: string; name: string; source: string; ready: boolean; selected: boolean }[] }).encoders;
    expect(rows.find((r) => r.name === 'nope')).toMatchObject({ modality: 'image', ready: false, selected: true });
    expect(rows.find((r) => r.modality === 'image' && r.source === 'built-in')?.selected).toBe(false);
  });

  it('still refuses to embed with an unknown external encoder pick, with MODEL_NOT_READY', async () => {
    const { code, stderr } = await rosetta('--encoders', 'image=nope', 'embed', '--image', fixture('images/scene.jpg'));
    expect(code).toBe(3);
    expect(stderr).toMatch(/MODEL_NOT_READY: no external encoder named 'nope'/);
  });

  it('reports every bad configuration key in one message', async () => {
    const { code, stderr } = await rosetta('--encoders', 'video=x', 'models', 'list');
    expect(code).toBe(2);
    expect(stderr).toMatch(/encoders \(ROSETTA_ENCODERS\): 'video=x' is not modality=name/);
  });
});

describe('rosetta --version', () => {
  it('prints the version from package.json', async () => {
    const { code, stdout } = await rosetta('--version');
    expect(code).toBe(0);
    expect(stdout.trim()).toBe((JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version);
  });
});

describe('rosetta usage errors', () => {
  it('exit 2 with the one-line error and a pointer to the help, not the whole help', async () => {
    for (const args of [['train', '--epochs', 'abc'], ['train', '--device', 'nonsense'], ['no-such-command']]) {
      const { code, stderr } = await rosetta(...args);
      expect(code, args.join(' ')).toBe(2);
      expect(stderr, args.join(' ')).toMatch(/^error: .*\n\(run 'rosetta help <command>' for its options\)\n$/);
    }
  });

  it('exit 0 for the help asked for', async () => {
    const { code, stdout } = await rosetta('help', 'train');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: rosetta train/);
  });
});

describe('rosetta commands refuse a bad collection directory', () => {
  const scratch = () => mkdtempSync(path.join(os.tmpdir(), 'rosetta-cli-db-'));
  const noStack = (stderr: string) => expect(stderr).not.toMatch(/\n\s+at /);

  it('a --db that is a regular file: INVALID_ARGUMENT "is not a directory", exit 2', async () => {
    const file = path.join(scratch(), 'afile');
    writeFileSync(file, 'x');
    for (const args of [['search', '--text', 'car'], ['compact'], ['index', fixture('images/scene.jpg')]]) {
      const { code, stderr } = await rosetta(...args, '--db', file);
      expect(code, args.join(' ')).toBe(2);
      expect(stderr).toContain(`rosetta: INVALID_ARGUMENT: --db ${file} is not a directory`);
      noStack(stderr);
    }
  });

  it('a --db without a collection, for search, eval and compact: "no collection in", nothing created', async () => {
    const dir = path.join(scratch(), 'nope');
    const queries = path.join(scratch(), 'q.jsonl');
    writeFileSync(queries, '{"qid":"q1","text":"car","relevant":["x"]}\n');
    for (const args of [['search', '--text', 'car'], ['eval', '--queries', queries], ['compact']]) {
      const { code, stderr } = await rosetta(...args, '--db', dir);
      expect(code, args.join(' ')).toBe(2);
      expect(stderr).toContain(`rosetta: NOT_FOUND: no collection in ${dir}; index files into it first (rosetta index <paths...> --db ${dir})`);
    }
    expect(existsSync(dir)).toBe(false);
  });

  // Root writes anywhere: as root the command runs as nobody (setpriv), as another user the directory is read-only.
  // Nobody must be able to read the checkout for that (a clone in a private temp directory is not);
  // indexer/store/lock.test.ts checks the same message without another user.
  const asRoot = process.getuid?.() === 0;
  const nobodyReads = (file: string) =>
    existsSync('/usr/bin/setpriv') &&
    spawnSync('/usr/bin/setpriv', ['--reuid', '65534', '--regid', '65534', '--clear-groups', process.execPath, '-e', `require('fs').accessSync(${JSON.stringify(file)})`]).status === 0;
  it.skipIf(asRoot && !nobodyReads(path.join(root, 'node_modules/commander/package.json')))('a collection directory the user cannot write: "is not writable", exit 2, no stack', async () => {
    const dir = scratch();
    writeFileSync(path.join(dir, 'collection.sqlite'), '');
    chmodSync(dir, 0o555);
    const args = [path.join(root, 'bin/rosetta.js'), 'search', '--db', dir, '--text', 'car'];
    let result: { code: number; stderr: string };
    try {
      const [cmd, argv] = asRoot
        ? ['/usr/bin/setpriv', ['--reuid', '65534', '--regid', '65534', '--clear-groups', process.execPath, ...args]]
        : [process.execPath, args];
      await run(cmd, argv, { cwd: root });
      result = { code: 0, stderr: '' };
    } catch (err) {
      result = err as { code: number; stderr: string };
    } finally {
      chmodSync(dir, 0o755);
    }
    expect(result.stderr).toContain(`collection directory ${dir} is not writable`);
    expect(result.code).toBe(2);
    noStack(result.stderr);
  });
});

describe('rosetta with an external encoder', () => {
  it('embeds an image with a CLIP-style ONNX export dropped into the models folder', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rosetta-cli-'));
    writeFileSync(path.join(dir, 'visual.onnx'), tinyClipVisual({ dim: 8 }).bytes);
    writeFileSync(
      path.join(dir, 'tiny-clip.encoder.json'),
      JSON.stringify({
        name: 'tiny-clip', version: '1', modality: 'image', onnx: 'visual.onnx',
        inputs: { pixel_values: 'image' }, output: 'image_embeds', dim: 8, normalize: true,
        preprocess: {
          kind: 'image', size: 224, resize: 'shortest-side-crop', kernel: 'cubic', layout: 'NCHW', scale: 1,
          mean: [0.48145466, 0.4578275, 0.40821073], std: [0.26862954, 0.26130258, 0.27577711],
        },
      }),
    );
    const list = await rosetta('--models-dir', dir, '--encoders', 'image=tiny-clip', 'models', 'list', '--json');
    expect(list.code).toBe(0);
    const picked = (JSON.parse(list.stdout) as { encoders: { name: string; selected: boolean }[] }).encoders.filter((r) => r.selected);
    expect(picked.map((r) => r.name)).toContain('tiny-clip');

    const { code, stdout } = await rosetta('--models-dir', dir, '--encoders', 'image=tiny-clip', 'embed', '--image', fixture('images/scene.jpg'));
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as { encoder: string; dim: number; vector: number[] };
    expect(out.encoder).toMatch(/^tiny-clip@1\+[0-9a-f]{8}#[0-9a-f]{12}$/);
    expect(out.vector).toHaveLength(8);
    expect(Math.hypot(...out.vector)).toBeCloseTo(1, 5);
  });
});
