import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scanInputs } from './scan.ts';

const root = mkdtempSync(join(tmpdir(), 'rosetta-scan-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A tree from a map of relative path to content. */
function tree(files: Record<string, string>): string {
  const dir = join(root, `t${++n}`);
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
  return dir;
}

describe('scanning inputs', () => {
  it('walks directories recursively in byte order, with ids relative to the scanned directory', async () => {
    const dir = tree({ 'b.jpg': 'x', 'a/z.png': 'x', 'a/B.wav': 'x', 'C d/e f.jpg': 'x' });
    const { candidates, failures } = await scanInputs([dir]);
    expect(failures).toEqual([]);
    expect(candidates.map((c) => c.externalId)).toEqual(['C d/e f.jpg', 'a/B.wav', 'a/z.png', 'b.jpg']);
    expect(candidates[3]).toEqual({ path: join(dir, 'b.jpg'), externalId: 'b.jpg', captions: [], sidecars: [] });
  });

  it('skips hidden entries and treats .txt files as captions of the file with the same base name', async () => {
    const dir = tree({ '.DS_Store': 'x', '.git/config': 'x', 'cat.jpg': 'x', 'cat.txt': 'a cat', 'dog.wav': 'x', 'dog.wav.txt': 'a dog', 'notes.txt': 'x' });
    const { candidates } = await scanInputs([dir]);
    expect(candidates.map((c) => [c.externalId, c.sidecars])).toEqual([
      ['cat.jpg', [join(dir, 'cat.txt')]],
      ['dog.wav', [join(dir, 'dog.wav.txt')]],
    ]);
  });

  it('gives a file named on its own its base name as id, and looks for both sidecar names', async () => {
    const dir = tree({ 'x/cat.jpg': 'x' });
    const { candidates } = await scanInputs([join(dir, 'x/cat.jpg')]);
    expect(candidates).toEqual([
      { path: join(dir, 'x/cat.jpg'), externalId: 'cat.jpg', captions: [], sidecars: [join(dir, 'x/cat.jpg.txt'), join(dir, 'x/cat.txt')] },
    ]);
  });

  it('reads a .jsonl argument as a manifest, relative to its own directory or to the root given', async () => {
    const dir = tree({ 'lib/a.jpg': 'x', 'm/items.jsonl': '{"id":"one","path":"a.jpg","modality":"image","caption":" hi "}\n' });
    const viaRoot = await scanInputs([join(dir, 'm/items.jsonl')], [], join(dir, 'lib'));
    expect(viaRoot.candidates).toMatchObject([
      { path: join(dir, 'lib/a.jpg'), externalId: 'one', declared: 'image', captions: [{ text: 'hi', source: 'manifest' }] },
    ]);
    const own = await scanInputs([], [{ path: join(dir, 'm/items.jsonl') }]);
    expect(own.failures.map((f) => f.code)).toEqual(['NOT_FOUND']);
  });

  it('names paths that do not exist with NOT_FOUND and goes on', async () => {
    const dir = tree({ 'a.jpg': 'x' });
    const { candidates, failures } = await scanInputs([join(dir, 'nope'), dir]);
    expect(failures).toMatchObject([{ path: join(dir, 'nope'), code: 'NOT_FOUND' }]);
    expect(candidates).toHaveLength(1);
  });

  it('rejects a directory link back to an ancestor with SYMLINK_LOOP, and a link to itself', async () => {
    const dir = tree({ 'sub/a.jpg': 'x' });
    symlinkSync(dir, join(dir, 'sub/up'));
    symlinkSync('self.jpg', join(dir, 'self.jpg'));
    const { candidates, failures } = await scanInputs([dir]);
    expect(candidates.map((c) => c.externalId)).toEqual(['sub/a.jpg']);
    expect(failures.map((f) => [f.path, f.code])).toEqual([
      [join(dir, 'self.jpg'), 'SYMLINK_LOOP'],
      [join(dir, 'sub/up'), 'SYMLINK_LOOP'],
    ]);
  });

  it('follows links to files and to directories that are not ancestors', async () => {
    const dir = tree({ 'real/a.jpg': 'x', 'lib/b.jpg': 'x' });
    symlinkSync(join(dir, 'real'), join(dir, 'lib/linked'));
    symlinkSync(join(dir, 'real/a.jpg'), join(dir, 'lib/c.jpg'));
    const { candidates } = await scanInputs([join(dir, 'lib')]);
    expect(candidates.map((c) => c.externalId)).toEqual(['b.jpg', 'c.jpg', 'linked/a.jpg']);
  });

  it('reports a dangling link with NOT_FOUND', async () => {
    const dir = tree({});
    mkdirSync(dir, { recursive: true });
    symlinkSync(join(dir, 'gone.jpg'), join(dir, 'dangling.jpg'));
    const { failures } = await scanInputs([dir]);
    expect(failures).toMatchObject([{ path: join(dir, 'dangling.jpg'), code: 'NOT_FOUND' }]);
  });

  it('rejects a FIFO with NOT_A_FILE without opening it', async () => {
    const dir = tree({ 'a.jpg': 'x' });
    execFileSync('mkfifo', [join(dir, 'pipe.jpg')]);
    const { candidates, failures } = await scanInputs([dir, join(dir, 'pipe.jpg')]);
    expect(candidates.map((c) => c.externalId)).toEqual(['a.jpg']);
    expect(failures.map((f) => f.code)).toEqual(['NOT_A_FILE', 'NOT_A_FILE']);
  });

  it('lists a file named twice once, and refuses a second file under an id already given', async () => {
    const dir = tree({ 'a/x.jpg': 'x', 'b/x.jpg': 'y' });
    const { candidates, failures } = await scanInputs([join(dir, 'a'), join(dir, 'a/x.jpg'), join(dir, 'b/x.jpg')]);
    expect(candidates.map((c) => c.path)).toEqual([join(dir, 'a/x.jpg')]);
    expect(failures).toMatchObject([{ path: join(dir, 'b/x.jpg'), code: 'INVALID_ARGUMENT' }]);
    expect(failures[0].message).toContain('"x.jpg"');
  });
});
