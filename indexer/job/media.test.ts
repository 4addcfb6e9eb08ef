import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { isRosettaError } from '../../models/errors.ts';
import { loadFile, mediaType, statMedia } from './media.ts';
import { itemFailure } from './reasons.ts';

const fixtures = fileURLToPath(new URL('../../test/fixtures/', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'rosetta-media-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const isRoot = process.getuid?.() === 0;

async function failureOf(p: Promise<unknown>, path: string) {
  try {
    await p;
  } catch (err) {
    return itemFailure(err, path);
  }
  throw new Error(`${path} did not fail`);
}

describe('telling media apart by content', () => {
  it('names every supported image and audio container by its magic number, whatever the extension', () => {
    const cases: [string, string, string][] = [
      ['images/quadrants.jpg', 'image', 'image/jpeg'],
      ['images/alpha.png', 'image', 'image/png'],
      ['images/quadrants.webp', 'image', 'image/webp'],
      ['images/animated.gif', 'image', 'image/gif'],
      ['images/quadrants.tiff', 'image', 'image/tiff'],
      ['images/quadrants.avif', 'image', 'image/avif'],
      ['images/quadrants.svg', 'image', 'image/svg+xml'],
      ['audio/speech.wav', 'audio', 'audio/wav'],
      ['audio/speech.ogg', 'audio', 'audio/ogg'],
      ['audio/speech.mp3', 'audio', 'audio/mpeg'],
      ['audio/speech.flac', 'audio', 'audio/flac'],
    ];
    for (const [file, modality, mime] of cases) {
      expect(mediaType(`renamed-${file}.bin`, readFileSync(join(fixtures, file)))).toMatchObject({ modality, mime });
    }
  });

  it('rejects a BMP, text named .jpg and text named .wav with UNSUPPORTED_MEDIA, saying what they look like', () => {
    for (const [file, looks] of [['images/tiny.bmp', 'BMP'], ['images/not-an-image.jpg', 'text'], ['audio/text-named.wav', 'text']]) {
      let err: unknown;
      try {
        mediaType(file, readFileSync(join(fixtures, file)));
      } catch (e) {
        err = e;
      }
      expect(isRosettaError(err, 'UNSUPPORTED_MEDIA')).toBe(true);
      expect((err as Error).message).toContain(file);
      expect((err as Error).message).toContain(looks);
    }
  });
});

describe('reading a file', () => {
  it('returns the bytes with their sha256, size and mtime', async () => {
    const path = join(fixtures, 'images/scene.jpg');
    const file = await loadFile(path);
    expect(file.data.equals(readFileSync(path))).toBe(true);
    expect(file.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(file.size).toBe(file.data.length);
    expect(file.mtimeMs).toBe((await statMedia(path)).mtimeMs);
  });

  it('rejects a zero-byte file with EMPTY_INPUT before reading it', async () => {
    const path = join(fixtures, 'images/empty.jpg');
    expect(await failureOf(statMedia(path), path)).toMatchObject({ code: 'EMPTY_INPUT' });
    expect(await failureOf(loadFile(path), path)).toMatchObject({ code: 'EMPTY_INPUT' });
  });

  it('rejects a directory and a FIFO with NOT_A_FILE, and a missing file with NOT_FOUND', async () => {
    const dir = join(root, 'd.jpg');
    mkdirSync(dir);
    const fifo = join(root, 'p.jpg');
    execFileSync('mkfifo', [fifo]);
    expect(await failureOf(statMedia(dir), dir)).toMatchObject({ code: 'NOT_A_FILE' });
    expect(await failureOf(statMedia(fifo), fifo)).toMatchObject({ code: 'NOT_A_FILE' });
    expect(await failureOf(loadFile(fifo), fifo)).toMatchObject({ code: 'NOT_A_FILE' });
    expect(await failureOf(loadFile(join(root, 'none.jpg')), 'none')).toMatchObject({ code: 'NOT_FOUND' });
  });

  // chmod does not stop root, so as root the read is tried by a child that gave up root.
  it('rejects a file it may not read (chmod 000) with UNREADABLE', async (ctx) => {
    const path = join(root, 'locked.jpg');
    writeFileSync(path, readFileSync(join(fixtures, 'images/scene.jpg')));
    chmodSync(path, 0o000);
    if (!isRoot) {
      expect(await failureOf(loadFile(path), path)).toMatchObject({ code: 'UNREADABLE' });
      return;
    }
    chmodSync(root, 0o755);
    const project = fileURLToPath(new URL('../..', import.meta.url));
    // The unprivileged child must reach the project's modules; a checkout under a private
    // folder (mktemp -d is 0700) hides them, and then this case cannot be run as root.
    const probe = spawnSync(process.execPath, ['-e', `require('fs').accessSync(${JSON.stringify(join(project, 'node_modules/tsx/package.json'))})`], { uid: 65534, gid: 65534 });
    if (probe.status !== 0) ctx.skip();
    const media = fileURLToPath(new URL('./media.ts', import.meta.url));
    const reasons = fileURLToPath(new URL('./reasons.ts', import.meta.url));
    const script =
      `const { loadFile } = await import(${JSON.stringify(media)}); const { itemFailure } = await import(${JSON.stringify(reasons)});` +
      `try { await loadFile(${JSON.stringify(path)}); console.log('{}'); } catch (e) { console.log(JSON.stringify(itemFailure(e, 'x'))); }`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      uid: 65534,
      gid: 65534,
      cwd: project,
      encoding: 'utf8',
      env: { ...process.env, HOME: tmpdir() },
    });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toMatchObject({ code: 'UNREADABLE', message: 'x cannot be read: permission denied' });
  });
});
