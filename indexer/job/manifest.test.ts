import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readManifest } from './manifest.ts';

const root = mkdtempSync(join(tmpdir(), 'rosetta-manifest-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

function library(lines: unknown[]): { dir: string; manifest: string } {
  const dir = join(root, `l${++n}`);
  mkdirSync(join(dir, 'media/sub'), { recursive: true });
  for (const f of ['a.jpg', 'b.wav', 'sub/c.jpg']) writeFileSync(join(dir, 'media', f), 'x');
  writeFileSync(join(dir, 'secret.jpg'), 'x');
  const manifest = join(dir, 'items.jsonl');
  writeFileSync(manifest, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
  return { dir, manifest };
}

describe('reading a JSONL manifest', () => {
  it('reads ids, paths relative to the root, modalities and trimmed captions, skipping blank lines', async () => {
    const { dir, manifest } = library([
      { id: 'a', path: 'a.jpg', modality: 'image', caption: '  a red car ' },
      '',
      { id: 'b', path: './sub/../b.wav', modality: 'audio', caption: '   ', extra: 1 },
      { id: 'c', path: 'sub/c.jpg', modality: 'image' },
    ]);
    const { candidates, failures } = await readManifest(manifest, join(dir, 'media'));
    expect(failures).toEqual([]);
    expect(candidates).toEqual([
      { path: join(dir, 'media/a.jpg'), externalId: 'a', origin: `${manifest}:1`, declared: 'image', captions: [{ text: 'a red car', source: 'manifest' }], sidecars: [join(dir, 'media/a.jpg.txt'), join(dir, 'media/a.txt')] },
      { path: join(dir, 'media/b.wav'), externalId: 'b', origin: `${manifest}:3`, declared: 'audio', captions: [], sidecars: [join(dir, 'media/b.wav.txt'), join(dir, 'media/b.txt')] },
      { path: join(dir, 'media/sub/c.jpg'), externalId: 'c', origin: `${manifest}:4`, declared: 'image', captions: [], sidecars: [join(dir, 'media/sub/c.jpg.txt'), join(dir, 'media/sub/c.txt')] },
    ]);
  });

  it('rejects lines that are not JSON or not items with INVALID_ARGUMENT, naming the line', async () => {
    const { dir, manifest } = library([
      '{"id": "a", "path": "a.jpg", "modality": "image"',
      { id: 'b', path: 'b.wav' },
      { id: 'c', path: 'sub/c.jpg', modality: 'video' },
      { id: '', path: 'a.jpg', modality: 'image' },
      { id: 'ok', path: 'a.jpg', modality: 'image' },
    ]);
    const { candidates, failures } = await readManifest(manifest, join(dir, 'media'));
    expect(candidates.map((c) => c.externalId)).toEqual(['ok']);
    expect(failures.map((f) => [f.path, f.code])).toEqual([1, 2, 3, 4].map((l) => [`${manifest}:${l}`, 'INVALID_ARGUMENT']));
    expect(failures[0].message).toContain('not valid JSON');
    expect(failures[1].message).toContain('modality');
  });

  it('rejects paths outside the root with OUTSIDE_ROOT: .., absolute, and links that lead out', async () => {
    const { dir, manifest } = library([
      { id: 'up', path: '../secret.jpg', modality: 'image' },
      { id: 'abs', path: join(root, 'anything.jpg'), modality: 'image' },
      { id: 'link', path: 'escape.jpg', modality: 'image' },
      { id: 'root', path: '.', modality: 'image' },
    ]);
    symlinkSync(join(dir, 'secret.jpg'), join(dir, 'media/escape.jpg'));
    const { candidates, failures } = await readManifest(manifest, join(dir, 'media'));
    expect(candidates).toEqual([]);
    expect(failures.map((f) => f.code)).toEqual(['OUTSIDE_ROOT', 'OUTSIDE_ROOT', 'OUTSIDE_ROOT', 'OUTSIDE_ROOT']);
    expect(failures[2].message).toContain('a link to');
  });

  it('reports a listed file that does not exist with NOT_FOUND', async () => {
    const { dir, manifest } = library([{ id: 'gone', path: 'gone.jpg', modality: 'image' }]);
    const { failures } = await readManifest(manifest, join(dir, 'media'));
    expect(failures).toMatchObject([{ path: join(dir, 'media/gone.jpg'), code: 'NOT_FOUND' }]);
  });
});
