/**
 * Orchestrates a demo build: render emoji and sketches, synthesise sounds, then write the
 * manifests, credits and summary.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import sharp from 'sharp';
import { RosettaError } from '../../models/errors.ts';
import { creditsMarkdown, DEMO_CREDITS } from './credits.ts';
import { composedQueries, countAll, imageItems, imageSplits, objectSoundItems, pairLines, soundItems } from './manifests.ts';
import { OBJECT_SOURCE_NAMES, synthesizeObjectSound, type ObjectSound } from './object-sounds.ts';
import { loadOpenMoji, type EmojiEntry } from './openmoji.ts';
import { imageId, imagePath, objectSoundPath, sketchPath, soundPath } from './paths.ts';
import { IMAGE_SIZE, mapLimit, rasterizeSvg } from './rasterize.ts';
import { selectEmoji } from './select.ts';
import { PRESET_NAMES, SAMPLE_RATE, synthesizeSound, type SynthSound } from './sounds.ts';
import { isReusable, openDemoDir, removeStale, saveState, type BuildState } from './state.ts';
import type { BuildDemoOptions, DemoManifest, DemoProgress, DemoSize } from './types.ts';

/**
 * What a build holds, by version: 2 added the object sounds and the split stratified by them.
 * A folder holding a build of another version is rebuilt by those who reuse builds.
 */
export const DEMO_VERSION = 2;

/**
 * Whether `dir` holds a finished build of `size` by this builder (DEMO_VERSION), which those who
 * reuse builds (the default space, the benchmarks) may take as it is.
 * @example await hasCurrentBuild('models/cache/demo-full', 'full') // true after buildDemoData there
 */
export async function hasCurrentBuild(dir: string, size: DemoSize): Promise<boolean> {
  try {
    const summary = JSON.parse(await readFile(join(dir, MANIFESTS.summary), 'utf8')) as { size?: string; version?: number };
    // The summary is written last, but a pairs file deleted by hand leaves nothing to train on.
    await readFile(join(dir, MANIFESTS.pairs));
    return summary.size === size && summary.version === DEMO_VERSION;
  } catch {
    return false;
  }
}

/** Sounds of each jsfxr preset and of each object sound source. */
const SOUNDS_PER_PRESET = { small: 4, full: 30 } as const;
const SUBFOLDERS = ['images', 'sketches', 'sounds'] as const;
const MANIFESTS = {
  items: 'items.jsonl',
  pairs: 'pairs.jsonl',
  composed: 'composed.jsonl',
  credits: 'CREDITS.md',
  summary: 'manifest.json',
} as const;

/**
 * Builds the demo collection into `options.dir`. Rebuilding into a dir that holds an earlier
 * build re-renders only PNGs that are missing or changed size; sounds and manifests are always
 * rewritten (a few seconds). The same seed gives byte-identical manifests, WAVs and PNGs.
 * @example await buildDemoData({dir: 'data/collection/demo', size: 'small'})
 *   // {counts: {images: 150, sketches: 111, sounds: 44, ...}, manifests: {items: 'items.jsonl', ...}, ...}
 */
export async function buildDemoData(options: BuildDemoOptions): Promise<DemoManifest> {
  const { dir, size, seed, concurrency, progress } = validate(options);
  const started = performance.now();
  const catalogue = loadOpenMoji();
  const state = await openDemoDir(dir, `v1|png-${IMAGE_SIZE}|vips-${sharp.versions.vips}|openmoji-${catalogue.version}`);
  for (const sub of SUBFOLDERS) await mkdir(join(dir, sub), { recursive: true });

  const emoji = selectEmoji(catalogue.entries, size);
  const [rendered, sounds] = await Promise.all([
    renderEmoji(emoji, dir, state, concurrency, progress),
    writeSounds(size, seed, dir, progress),
  ]);
  const { built, failed } = rendered;

  progress({ step: 'manifests', done: 0, total: 1 });
  const splitOfFamily = imageSplits(built, seed);
  const items = [...imageItems(built, seed, splitOfFamily), ...soundItems(sounds.game, seed), ...objectSoundItems(sounds.objects, seed)];
  const pairs = pairLines(items);
  const composed = composedQueries(built, splitOfFamily);
  const jsonl = (rows: readonly object[]): string => rows.map((r) => `${JSON.stringify(r)}\n`).join('');
  await writeFile(join(dir, MANIFESTS.items), jsonl(items));
  await writeFile(join(dir, MANIFESTS.pairs), jsonl(pairs));
  await writeFile(join(dir, MANIFESTS.composed), jsonl(composed));
  await writeFile(join(dir, MANIFESTS.credits), creditsMarkdown(DEMO_CREDITS));

  const keep = new Set<string>([...built.flatMap((e) => [imagePath(e.hexcode), sketchPath(e)]), ...sounds.game.map(soundPath), ...sounds.objects.map(objectSoundPath)]);
  for (const sub of SUBFOLDERS) await removeStale(dir, sub, keep);
  const files: BuildState['files'] = {};
  for (const path of Object.keys(state.files).sort()) if (keep.has(path)) files[path] = state.files[path];
  await saveState(dir, { key: state.key, files });

  const summary = {
    version: DEMO_VERSION,
    size,
    seed,
    imageSize: IMAGE_SIZE,
    sampleRate: SAMPLE_RATE,
    counts: countAll(items, pairs, composed),
    manifests: { ...MANIFESTS },
    credits: DEMO_CREDITS.map((c) => ({ ...c })),
  };
  await writeFile(join(dir, MANIFESTS.summary), `${JSON.stringify(summary, null, 2)}\n`);
  progress({ step: 'manifests', done: 1, total: 1 });
  const { imagesRendered, imagesReused } = rendered;
  return { ...summary, dir, build: { ms: Math.round(performance.now() - started), imagesRendered, imagesReused, failed } };
}

interface Rendered {
  built: EmojiEntry[];
  failed: Array<{ id: string; reason: string }>;
  imagesRendered: number;
  imagesReused: number;
}

/** Colour PNG per emoji, one sketch PNG per distinct drawing (rendered by its first emoji). */
async function renderEmoji(emoji: readonly EmojiEntry[], dir: string, state: BuildState, concurrency: number, progress: (p: DemoProgress) => void): Promise<Rendered> {
  const drawer = new Map<string, string>();
  for (const e of emoji) if (!drawer.has(sketchPath(e))) drawer.set(sketchPath(e), e.hexcode);
  const sketchesOk = new Set<string>();
  let imagesRendered = 0;
  let imagesReused = 0;
  let done = 0;
  const render = async (svg: string, path: string, kind: 'colour' | 'sketch'): Promise<boolean> => {
    if (isReusable(dir, state, path)) return false;
    state.files[path] = await rasterizeSvg(svg, join(dir, path), kind);
    return true;
  };
  const outcomes = await mapLimit(emoji, concurrency, async (e) => {
    try {
      let fresh = await render(e.colourSvg, imagePath(e.hexcode), 'colour');
      if (drawer.get(sketchPath(e)) === e.hexcode) {
        fresh = (await render(e.blackSvg, sketchPath(e), 'sketch')) || fresh;
        sketchesOk.add(sketchPath(e));
      }
      if (fresh) imagesRendered++;
      else imagesReused++;
    } finally {
      progress({ step: 'images', done: ++done, total: emoji.length });
    }
  });
  const failed: Rendered['failed'] = [];
  const built = emoji.filter((e, i) => {
    const o = outcomes[i];
    const reason = !o.ok ? o.reason : sketchesOk.has(sketchPath(e)) ? undefined : `its sketch ${sketchPath(e)} failed to render`;
    if (reason) failed.push({ id: imageId(e.hexcode), reason });
    return reason === undefined;
  });
  return { built, failed, imagesRendered, imagesReused };
}

/**
 * Synthesis is synchronous CPU work on this thread while sharp renders on libuv's; yielding
 * between sounds lets the render workers queue their next SVG.
 */
async function writeSounds(size: 'small' | 'full', seed: number, dir: string, progress: (p: DemoProgress) => void): Promise<{ game: SynthSound[]; objects: ObjectSound[] }> {
  const count = SOUNDS_PER_PRESET[size];
  const variants = Array.from({ length: count }, (_, variant) => variant);
  const plan = [
    ...PRESET_NAMES.flatMap((preset) => variants.map((variant) => () => synthesizeSound(preset, variant, seed))),
    ...OBJECT_SOURCE_NAMES.flatMap((source) => variants.map((variant) => () => synthesizeObjectSound(source, variant, seed))),
  ];
  const out: { game: SynthSound[]; objects: ObjectSound[] } = { game: [], objects: [] };
  let done = 0;
  for (const synthesize of plan) {
    await yieldToLoop();
    const sound = synthesize();
    if ('preset' in sound) {
      await writeFile(join(dir, soundPath(sound)), sound.wav);
      out.game.push(sound);
    } else {
      await writeFile(join(dir, objectSoundPath(sound)), sound.wav);
      out.objects.push(sound);
    }
    progress({ step: 'sounds', done: ++done, total: plan.length });
  }
  return out;
}

function validate(o: BuildDemoOptions): { dir: string; size: 'small' | 'full'; seed: number; concurrency: number; progress: (p: DemoProgress) => void } {
  if (o === null || typeof o !== 'object') throw new RosettaError('INVALID_ARGUMENT', 'options must be an object with dir and size');
  if (typeof o.dir !== 'string' || o.dir.trim() === '') throw new RosettaError('INVALID_ARGUMENT', `dir must be a non-empty path, got ${JSON.stringify(o.dir)}`);
  if (o.size !== 'small' && o.size !== 'full') throw new RosettaError('INVALID_ARGUMENT', `size must be 'small' or 'full', got ${JSON.stringify(o.size)}`);
  const seed = o.seed ?? 1;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RosettaError('INVALID_ARGUMENT', `seed must be an integer in 0..4294967295, got ${String(o.seed)}`);
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') throw new RosettaError('INVALID_ARGUMENT', 'onProgress must be a function');
  const concurrency = o.concurrency ?? Math.min(4, Math.max(2, availableParallelism()));
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 16) {
    throw new RosettaError('INVALID_ARGUMENT', `concurrency must be an integer in 1..16, got ${String(o.concurrency)}`);
  }
  const onProgress = o.onProgress;
  return { dir: resolve(o.dir), size: o.size, seed, concurrency, progress: onProgress ? (p) => onProgress(p) : () => {} };
}
