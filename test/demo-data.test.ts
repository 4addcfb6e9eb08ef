/**
 * The small demo build end to end in temp dirs: real sharp renders, real jsfxr WAVs, and the
 * manifests the indexer and trainer will read.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildDemoData,
  DEMO_VERSION,
  hasCurrentBuild,
  CAPTIONLESS_FRACTION,
  EVAL_FRACTION,
  familySplits,
  OBJECT_SOURCE_NAMES,
  OBJECT_SOURCES,
  IMAGE_SIZE,
  SAMPLE_RATE,
  splitOf,
  type ComposedQuery,
  type DemoItem,
  type DemoManifest,
  type DemoProgress,
  type ImageMeta,
  type PairLine,
  type SoundMeta,
} from '../data/demo/index.ts';
import { isRosettaError, type ErrorCode } from '../models/errors.ts';

const root = mkdtempSync(join(tmpdir(), 'rosetta-demo-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const jsonl = <T>(dir: string, name: string): T[] =>
  readFileSync(join(dir, name), 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as T);

function wavHeader(path: string): { rate: number; channels: number; bits: number; seconds: number } {
  const wav = readFileSync(path);
  expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
  expect(wav.toString('ascii', 8, 16)).toBe('WAVEfmt ');
  expect(wav.readUInt16LE(20)).toBe(1); // PCM
  expect(wav.toString('ascii', 36, 40)).toBe('data');
  const dataBytes = wav.readUInt32LE(40);
  expect(dataBytes).toBe(wav.length - 44);
  const rate = wav.readUInt32LE(24);
  const channels = wav.readUInt16LE(22);
  const bits = wav.readUInt16LE(34);
  return { rate, channels, bits, seconds: dataBytes / (rate * channels * (bits / 8)) };
}

async function rejects(p: Promise<unknown>, code: ErrorCode, mention: RegExp): Promise<void> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(isRosettaError(err, code), String(err)).toBe(true);
  expect((err as Error).message).toMatch(mention);
}

const dirA = join(root, 'a');
const dirB = join(root, 'b');
let manifest: DemoManifest;
let items: DemoItem[];
let pairs: PairLine[];
let composed: ComposedQuery[];
const progress: DemoProgress[] = [];

beforeAll(async () => {
  manifest = await buildDemoData({ dir: dirA, size: 'small', seed: 7, onProgress: (p) => progress.push(p) });
  items = jsonl<DemoItem>(dirA, manifest.manifests.items);
  pairs = jsonl<PairLine>(dirA, manifest.manifests.pairs);
  composed = jsonl<ComposedQuery>(dirA, manifest.manifests.composed);
});

describe('small demo build', () => {
  it('reports counts that match the manifests', () => {
    const images = items.filter((i) => i.modality === 'image');
    const sounds = items.filter((i) => i.modality === 'audio');
    expect(manifest.counts.images).toBe(images.length);
    expect(manifest.counts.sounds).toBe(sounds.length);
    expect(images.length).toBe(150);
    // 4 of each of the 11 jsfxr presets and of the 11 object sound sources.
    expect(sounds.length).toBe(88);
    expect(manifest.counts.pairs.caption + manifest.counts.pairs.sketch).toBe(pairs.length);
    expect(manifest.counts.composed.total).toBe(composed.length);
    expect(manifest.build.failed).toEqual([]);
    expect(manifest.build.imagesRendered).toBe(150);
    const summary = JSON.parse(readFileSync(join(dirA, manifest.manifests.summary), 'utf8')) as Partial<DemoManifest>;
    expect(summary.counts).toEqual(manifest.counts);
    expect(summary.dir).toBeUndefined();
  });

  it('is a current build of its size for those who reuse builds, and an older builder\'s is not', async () => {
    expect(await hasCurrentBuild(dirA, 'small')).toBe(true);
    expect(await hasCurrentBuild(dirA, 'full')).toBe(false);
    const older = join(mkdtempSync(join(tmpdir(), 'rosetta-demo-old-')), 'demo');
    mkdirSync(older);
    writeFileSync(join(older, 'manifest.json'), JSON.stringify({ version: DEMO_VERSION - 1, size: 'small' }));
    writeFileSync(join(older, 'pairs.jsonl'), '');
    expect(await hasCurrentBuild(older, 'small')).toBe(false);
    rmSync(join(older, '..'), { recursive: true, force: true });
  });

  it('reports progress for every step and ends with the manifests', () => {
    expect(progress.filter((p) => p.step === 'images')).toHaveLength(150);
    expect(progress.filter((p) => p.step === 'sounds').at(-1)).toEqual({ step: 'sounds', done: 88, total: 88 });
    expect(progress.at(-1)).toEqual({ step: 'manifests', done: 1, total: 1 });
  });

  it('writes every file a manifest names, and nothing else in its folders', () => {
    const named = new Set<string>();
    for (const i of items) {
      named.add(i.path);
      if (i.meta.source === 'openmoji') named.add(i.meta.sketch);
    }
    for (const p of pairs) for (const path of 'sketch' in p ? [p.sketch, p.image] : [p.path]) expect(named.has(path), path).toBe(true);
    for (const q of composed) expect(named.has(q.image), q.image).toBe(true);
    for (const path of named) expect(statSync(join(dirA, path)).size, path).toBeGreaterThan(44);
    const onDisk = ['images', 'sketches', 'sounds'].flatMap((sub) => readdirSync(join(dirA, sub)).map((f) => `${sub}/${f}`));
    expect(onDisk.sort()).toEqual([...named].sort());
  });

  it('renders PNGs that decode at the stated size: colour RGB, sketches greyscale', async () => {
    for (const id of ['om-1F600', 'om-1F44B-1F3FF']) {
      const item = items.find((i) => i.id === id)!;
      const colour = await sharp(join(dirA, item.path)).metadata();
      expect(colour).toMatchObject({ format: 'png', width: IMAGE_SIZE, height: IMAGE_SIZE, channels: 3, hasAlpha: false });
      const sketch = await sharp(join(dirA, (item.meta as ImageMeta).sketch)).metadata();
      expect(sketch).toMatchObject({ format: 'png', width: IMAGE_SIZE, height: IMAGE_SIZE, channels: 1 });
    }
    // The grinning face is yellow in colour and has dark ink on white in the sketch.
    const { data } = await sharp(join(dirA, 'images', '1F600.png')).raw().toBuffer({ resolveWithObject: true });
    const c = (IMAGE_SIZE / 2) * IMAGE_SIZE * 3 + (IMAGE_SIZE / 4) * 3;
    expect([data[c], data[c + 1], data[c + 2]]).toEqual([0xfc, 0xea, 0x2b]);
    const ink = await sharp(join(dirA, 'sketches', '1F600.png')).stats();
    expect(ink.channels[0].min).toBeLessThan(40);
    expect(ink.channels[0].max).toBe(255);
  });

  it('shares one sketch among emoji with identical line art (skin tones draw the same)', () => {
    const meta = (id: string): ImageMeta => items.find((i) => i.id === id)!.meta as ImageMeta;
    expect(meta('om-1F44B-1F3FF')).toMatchObject({ sketch: 'sketches/1F44B.png', sketchShared: 6 });
    expect(meta('om-1F600')).toMatchObject({ sketch: 'sketches/1F600.png', sketchShared: 1 });
    expect(existsSync(join(dirA, 'sketches', '1F44B-1F3FF.png'))).toBe(false);
    expect(manifest.counts.sketches).toBe(readdirSync(join(dirA, 'sketches')).length);
    expect(manifest.counts.sketches).toBeLessThan(manifest.counts.images);
  });

  it('writes 16-bit mono WAVs whose header duration matches the manifest', () => {
    for (const item of items.filter((i) => i.modality === 'audio')) {
      const meta = item.meta as SoundMeta;
      const h = wavHeader(join(dirA, item.path));
      expect(h).toMatchObject({ rate: SAMPLE_RATE, channels: 1, bits: 16 });
      expect(h.seconds).toBeCloseTo(meta.durationSec, 3);
      expect(h.seconds).toBeGreaterThanOrEqual(0.1);
      expect(h.seconds).toBeLessThan(8);
    }
  });

  it('captions the grinning face and a laser sensibly', () => {
    const grin = items.find((i) => i.id === 'om-1F600')!;
    const meta = grin.meta as ImageMeta;
    expect(meta).toMatchObject({ annotation: 'grinning face', group: 'smileys-emotion', subgroup: 'face-smiling' });
    expect(meta.caption).toMatch(/^grinning face — .*smile/);
    if (grin.caption !== undefined) expect(grin.caption).toBe(meta.caption);
    const lasers = items.filter((i) => i.id.startsWith('sfx-laserShoot-'));
    expect(lasers).toHaveLength(4);
    for (const l of lasers) expect((l.meta as SoundMeta).caption).toMatch(/^(\S+ ){1,6}laser zap — laser/);
    expect(lasers.every((l) => (l.meta as SoundMeta).descriptors.includes('falling'))).toBe(true);
    for (const i of items) expect(i.meta.caption.trim().length, i.id).toBeGreaterThan(2);
  });

  it('stores exactly 30% of each modality without a caption, keeping it in meta', () => {
    for (const modality of ['image', 'audio'] as const) {
      const of = items.filter((i) => i.modality === modality);
      const bare = of.filter((i) => i.caption === undefined);
      expect(bare.length).toBe(Math.round(CAPTIONLESS_FRACTION * of.length));
      for (const i of of) expect(i.meta.captionless).toBe(i.caption === undefined);
      for (const i of bare) expect('caption' in i).toBe(false);
    }
    expect(manifest.counts.captionless).toEqual({ image: 45, audio: 26 });
  });

  it('holds out an eval split by variant family (images) or id (sounds), about 15%, with sounds of every object source', () => {
    const imageSplit = familySplits(
      items.flatMap((i) => (i.meta.source === 'openmoji' ? [{ family: i.meta.family, caption: i.meta.caption }] : [])),
      Object.values(OBJECT_SOURCES).map((s) => s.tags),
      7,
    );
    for (const i of items) {
      if (i.meta.source === 'openmoji') expect(i.split, i.id).toBe(imageSplit(i.meta.family));
      if (i.meta.source === 'jsfxr') expect(i.split, i.id).toBe(splitOf(i.id, 7));
    }
    for (const source of OBJECT_SOURCE_NAMES) {
      const sounds = items.filter((i) => i.meta.source === 'rosetta-synth' && i.meta.object === source);
      expect(sounds.map((i) => i.split).filter((s) => s === 'eval'), source).toHaveLength(1);
    }
    const share = items.filter((i) => i.split === 'eval').length / items.length;
    expect(share).toBeGreaterThan(EVAL_FRACTION - 0.1);
    expect(share).toBeLessThan(EVAL_FRACTION + 0.1);
    expect(items.some((i) => i.split === 'eval' && i.modality === 'image')).toBe(true);
  });

  it('builds training pairs from captioned train items only, and one sketch pair per single-family drawing', () => {
    const byPath = new Map(items.map((i) => [i.path, i]));
    const bySketch = new Map<string, DemoItem[]>();
    for (const i of items) if (i.meta.source === 'openmoji') bySketch.set(i.meta.sketch, [...(bySketch.get(i.meta.sketch) ?? []), i]);
    for (const p of pairs) {
      const item = 'sketch' in p ? byPath.get(p.image) : p.modality === 'sketch' ? bySketch.get(p.path)?.[0] : byPath.get(p.path);
      expect(item?.split).toBe('train');
      if ('sketch' in p) expect([p.id, (item!.meta as ImageMeta).sketch]).toEqual([item!.id, p.sketch]);
      else expect(p.caption).toBe(item!.caption);
    }
    const expected = [...bySketch.values()].filter((g) => g[0].split === 'train' && new Set(g.map((i) => (i.meta as ImageMeta).family)).size === 1);
    expect(manifest.counts.pairs.sketch).toBe(expected.length);
    expect(pairs).toContainEqual({ sketch: 'sketches/1F600.png', image: 'images/1F600.png', id: 'om-1F600' });
    const captionPairs = pairs.filter((p) => 'caption' in p);
    expect(captionPairs.length).toBe(manifest.counts.pairs.caption);
    expect(new Set(captionPairs.map((p) => ('path' in p ? p.path : ''))).size).toBe(captionPairs.length);
  });

  it('composes skin-tone and gender queries over ids that exist', () => {
    const ids = new Map(items.map((i) => [i.id, i]));
    expect(composed).toContainEqual({
      qid: 'cq-1F44B-1F3FF-tone',
      image: 'images/1F44B.png',
      base: 'om-1F44B',
      text: 'dark skin tone',
      kind: 'skin-tone',
      relevant: ['om-1F44B-1F3FF'],
      split: ids.get('om-1F44B-1F3FF')!.split,
    });
    expect(composed.find((q) => q.relevant[0] === 'om-1F646-200D-2640-FE0F')).toMatchObject({ base: 'om-1F646', text: 'woman', kind: 'gender' });
    for (const q of composed) {
      expect(ids.get(q.base)?.path).toBe(q.image);
      for (const r of q.relevant) expect(ids.has(r), r).toBe(true);
      expect(q.split).toBe(ids.get(q.relevant[0])!.split);
    }
    expect(new Set(composed.map((q) => q.qid)).size).toBe(composed.length);
    expect(composed.filter((q) => q.kind === 'gender').length).toBeGreaterThan(10);
  });

  it('credits OpenMoji and jsfxr in the manifest and in CREDITS.md', () => {
    const names = manifest.credits.map((c) => c.name);
    expect(names).toEqual(['OpenMoji', 'jsfxr']);
    const md = readFileSync(join(dirA, manifest.manifests.credits), 'utf8');
    expect(md).toContain('All emojis designed by OpenMoji – the open-source emoji and icon project. License: CC BY-SA 4.0');
    expect(md).toContain('https://openmoji.org/');
    expect(md).toContain('https://creativecommons.org/licenses/by-sa/4.0/');
    expect(md).toContain('https://github.com/chr15m/jsfxr');
    const repoCredits = readFileSync(join(import.meta.dirname, '..', 'data', 'CREDITS.md'), 'utf8');
    expect(repoCredits).toContain('All emojis designed by OpenMoji');
  });

  it('is deterministic: a second build with the same seed gives identical manifests, WAVs and PNGs', async () => {
    const again = await buildDemoData({ dir: dirB, size: 'small', seed: 7 });
    for (const name of Object.values(again.manifests)) {
      expect(readFileSync(join(dirB, name)).equals(readFileSync(join(dirA, name))), name).toBe(true);
    }
    for (const f of readdirSync(join(dirA, 'sounds'))) {
      expect(readFileSync(join(dirB, 'sounds', f)).equals(readFileSync(join(dirA, 'sounds', f))), f).toBe(true);
    }
    for (const f of ['images/1F600.png', 'images/1F646-200D-2640-FE0F.png', 'sketches/1F646.png']) {
      expect(readFileSync(join(dirB, f)).equals(readFileSync(join(dirA, f))), f).toBe(true);
    }
  });

  it('rebuilds in place quickly: reuses intact PNGs, re-renders a damaged one, drops stray files', async () => {
    const before = readFileSync(join(dirA, 'items.jsonl'));
    const good = readFileSync(join(dirA, 'images', '1F600.png'));
    truncateSync(join(dirA, 'images', '1F600.png'), 100);
    writeFileSync(join(dirA, 'images', 'stray.png'), 'x');
    const again = await buildDemoData({ dir: dirA, size: 'small', seed: 7 });
    expect(again.build).toMatchObject({ imagesRendered: 1, imagesReused: 149, failed: [] });
    expect(readFileSync(join(dirA, 'images', '1F600.png')).equals(good)).toBe(true);
    expect(existsSync(join(dirA, 'images', 'stray.png'))).toBe(false);
    expect(readFileSync(join(dirA, 'items.jsonl')).equals(before)).toBe(true);
  });
});

describe('buildDemoData refuses bad options', () => {
  it('rejects a non-empty folder it did not make with INVALID_ARGUMENT', async () => {
    const foreign = join(root, 'foreign');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'notes.txt'), 'mine');
    await rejects(buildDemoData({ dir: foreign, size: 'small' }), 'INVALID_ARGUMENT', /foreign.*not empty/);
    expect(readdirSync(foreign)).toEqual(['notes.txt']);
  });

  it('rejects an unknown size, a bad seed, a bad concurrency and an empty dir with INVALID_ARGUMENT', async () => {
    const dir = join(root, 'never');
    await rejects(buildDemoData({ dir, size: 'huge' as 'small' }), 'INVALID_ARGUMENT', /size.*huge/);
    await rejects(buildDemoData({ dir, size: 'small', seed: 1.5 }), 'INVALID_ARGUMENT', /seed/);
    await rejects(buildDemoData({ dir, size: 'small', seed: -1 }), 'INVALID_ARGUMENT', /seed/);
    await rejects(buildDemoData({ dir, size: 'small', concurrency: 0 }), 'INVALID_ARGUMENT', /concurrency/);
    await rejects(buildDemoData({ dir: '', size: 'small' }), 'INVALID_ARGUMENT', /dir/);
    expect(existsSync(dir)).toBe(false);
  });
});
