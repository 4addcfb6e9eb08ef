import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tinyClipVisual } from './helpers/tiny-onnx.ts';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');
const fixture = (p: string) => path.join(root, 'test/fixtures', p);

async function rosetta(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [path.join(root, 'bin/rosetta.js'), ...args], { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

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

  it('refuses an unknown external encoder pick with MODEL_NOT_READY', async () => {
    const { code, stderr } = await rosetta('--encoders', 'image=nope', 'models', 'list');
    expect(code).toBe(3);
    expect(stderr).toMatch(/MODEL_NOT_READY: no external image encoder named 'nope'/);
  });

  it('reports every bad configuration key in one message', async () => {
    const { code, stderr } = await rosetta('--encoders', 'video=x', 'models', 'list');
    expect(code).toBe(2);
    expect(stderr).toMatch(/encoders \(ROSETTA_ENCODERS\): 'video=x' is not modality=name/);
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
