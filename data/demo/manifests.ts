/**
 * The manifest lines, as pure functions of what was built: items, training pairs, composed
 * queries, and the counts for the summary.
 */
import { emojiCaption, type EmojiEntry } from './openmoji.ts';
import { OBJECT_SOURCES, type ObjectSound } from './object-sounds.ts';
import { imageId, imagePath, objectSoundId, objectSoundPath, sketchPath, soundId, soundPath } from './paths.ts';
import { SAMPLE_RATE, type SynthSound } from './sounds.ts';
import { captionlessSet, familySplits, heldOutSet, splitOf } from './split.ts';
import type { ComposedQuery, DemoCounts, DemoItem, ImageMeta, PairLine, Split } from './types.ts';

/** Which split each image family is in: stratified by the object sounds' sources (see `familySplits`). */
export function imageSplits(built: readonly EmojiEntry[], seed: number): (family: string) => Split {
  const images = built.map((e) => ({ family: e.family, caption: emojiCaption(e) }));
  return familySplits(
    images,
    Object.values(OBJECT_SOURCES).map((s) => s.tags),
    seed,
  );
}

/**
 * `splitOfFamily`: `imageSplits` of the same build, which composedQueries must agree with.
 * @example imageItems(built, 1, imageSplits(built, 1))[0] // {id: 'om-1F600', path: 'images/1F600.png', modality: 'image', caption: 'grinning face — ...', split: 'train', meta: {...}}
 */
export function imageItems(built: readonly EmojiEntry[], seed: number, splitOfFamily: (family: string) => Split): DemoItem[] {
  const captionless = captionlessSet(built.map((e) => imageId(e.hexcode)), seed);
  const sharing = new Map<string, number>();
  for (const e of built) sharing.set(sketchPath(e), (sharing.get(sketchPath(e)) ?? 0) + 1);
  return built.map((e) => {
    const id = imageId(e.hexcode);
    const caption = emojiCaption(e);
    return {
      id,
      path: imagePath(e.hexcode),
      modality: 'image',
      ...(captionless.has(id) ? {} : { caption }),
      split: splitOfFamily(e.family),
      meta: {
        source: 'openmoji',
        hexcode: e.hexcode,
        emoji: e.emoji,
        annotation: e.annotation,
        tags: e.tags,
        group: e.group,
        subgroup: e.subgroup,
        sketch: sketchPath(e),
        sketchShared: sharing.get(sketchPath(e))!,
        caption,
        captionless: captionless.has(id),
        family: e.family,
        ...(e.skinTone ? { skinTone: e.skinTone, skinToneBase: e.skinToneBase } : {}),
        ...(e.gender ? { gender: e.gender, genderBase: e.genderBase } : {}),
      },
    };
  });
}

/** @example soundItems(sounds, 1)[0] // {id: 'sfx-pickupCoin-00', path: 'sounds/pickupCoin-00.wav', modality: 'audio', ...} */
export function soundItems(sounds: readonly SynthSound[], seed: number): DemoItem[] {
  const captionless = captionlessSet(sounds.map(soundId), seed);
  return sounds.map((s) => {
    const id = soundId(s);
    const d = s.description;
    return {
      id,
      path: soundPath(s),
      modality: 'audio',
      ...(captionless.has(id) ? {} : { caption: d.caption }),
      split: splitOf(id, seed),
      meta: {
        source: 'jsfxr',
        preset: s.preset,
        variant: s.variant,
        caption: d.caption,
        captionless: captionless.has(id),
        durationSec: s.durationSec,
        sampleRate: SAMPLE_RATE,
        startHz: d.startHz,
        pitchChangeOctaves: d.pitchChangeOctaves,
        wave: d.wave,
        descriptors: d.descriptors,
        params: s.params,
      },
    };
  });
}

/**
 * Object sounds: each source holds out the same number of its sounds (`heldOutSet`), so every
 * source has sounds in the eval split to find its images with.
 * @example objectSoundItems(sounds, 1)[0] // {id: 'snd-birdsong-00', path: 'sounds/birdsong-00.wav', modality: 'audio', ...}
 */
export function objectSoundItems(sounds: readonly ObjectSound[], seed: number): DemoItem[] {
  const captionless = captionlessSet(sounds.map(objectSoundId), seed);
  const held = new Set<string>();
  for (const source of new Set(sounds.map((s) => s.source))) {
    for (const id of heldOutSet(sounds.filter((s) => s.source === source).map(objectSoundId), seed)) held.add(id);
  }
  return sounds.map((s) => {
    const id = objectSoundId(s);
    return {
      id,
      path: objectSoundPath(s),
      modality: 'audio',
      ...(captionless.has(id) ? {} : { caption: s.caption }),
      split: held.has(id) ? 'eval' : 'train',
      meta: {
        source: 'rosetta-synth',
        object: s.source,
        variant: s.variant,
        caption: s.caption,
        captionless: captionless.has(id),
        durationSec: s.durationSec,
        sampleRate: SAMPLE_RATE,
        descriptors: s.descriptors,
        params: s.params,
      },
    };
  });
}

/**
 * Training pairs, from the train split only. A sketch is paired once, with the first image
 * that uses it, and only when every image sharing it is of one variant family (a waving hand's
 * drawing fits all six skin tones; one heart drawing shared by nine coloured hearts teaches
 * nothing and is left to evaluation). Captionless images still give sketch-image pairs: those
 * need no caption.
 * @example pairLines(items) // [{path: 'images/1F600.png', modality: 'image', caption: '...'}, {path: 'sketches/1F600.png', modality: 'sketch', caption: '...'}, {sketch: 'sketches/1F600.png', image: 'images/1F600.png', id: 'om-1F600'}, ...]
 */
export function pairLines(items: readonly DemoItem[]): PairLine[] {
  const families = new Map<string, Set<string>>();
  for (const item of items) {
    if (item.meta.source !== 'openmoji') continue;
    const set = families.get(item.meta.sketch) ?? new Set<string>();
    set.add(item.meta.family);
    families.set(item.meta.sketch, set);
  }
  const paired = new Set<string>();
  const out: PairLine[] = [];
  for (const item of items) {
    if (item.split === 'train' && item.caption !== undefined) out.push({ path: item.path, modality: item.modality, caption: item.caption });
    if (item.meta.source !== 'openmoji') continue;
    const meta: ImageMeta = item.meta;
    if (paired.has(meta.sketch)) continue;
    paired.add(meta.sketch);
    if (item.split !== 'train' || families.get(meta.sketch)!.size > 1) continue;
    if (item.caption !== undefined) out.push({ path: meta.sketch, modality: 'sketch', caption: item.caption });
    out.push({ sketch: meta.sketch, image: item.path, id: item.id });
  }
  return out;
}

/**
 * Base image + modifier text -> the variant, for every variant whose base is in the build.
 * @example composedQueries(built, imageSplits(built, 1))[0] // {qid: 'cq-1F44B-1F3FB-tone', image: 'images/1F44B.png', base: 'om-1F44B', text: 'light skin tone', kind: 'skin-tone', relevant: ['om-1F44B-1F3FB'], split: 'train'}
 */
export function composedQueries(built: readonly EmojiEntry[], splitOfFamily: (family: string) => Split): ComposedQuery[] {
  const present = new Set(built.map((e) => e.hexcode));
  const out: ComposedQuery[] = [];
  const query = (qid: string, base: string, text: string, kind: ComposedQuery['kind'], e: EmojiEntry): ComposedQuery => ({
    qid,
    image: imagePath(base),
    base: imageId(base),
    text,
    kind,
    relevant: [imageId(e.hexcode)],
    // Base and variant share a family, hence a split.
    split: splitOfFamily(e.family),
  });
  for (const e of built) {
    if (e.skinTone && e.skinToneBase && present.has(e.skinToneBase)) out.push(query(`cq-${e.hexcode}-tone`, e.skinToneBase, e.skinTone, 'skin-tone', e));
    if (e.gender && e.genderBase && present.has(e.genderBase)) out.push(query(`cq-${e.hexcode}-gender`, e.genderBase, e.gender, 'gender', e));
  }
  return out;
}

export function countAll(items: readonly DemoItem[], pairs: readonly PairLine[], composed: readonly ComposedQuery[]): DemoCounts {
  const of = (m: DemoItem['modality'], pred: (i: DemoItem) => boolean): number => items.filter((i) => i.modality === m && pred(i)).length;
  const sketches = new Set(items.flatMap((i) => (i.meta.source === 'openmoji' ? [i.meta.sketch] : [])));
  return {
    images: of('image', () => true),
    sketches: sketches.size,
    sounds: of('audio', () => true),
    captioned: { image: of('image', (i) => i.caption !== undefined), audio: of('audio', (i) => i.caption !== undefined) },
    captionless: { image: of('image', (i) => i.caption === undefined), audio: of('audio', (i) => i.caption === undefined) },
    eval: { image: of('image', (i) => i.split === 'eval'), audio: of('audio', (i) => i.split === 'eval') },
    pairs: { caption: pairs.filter((p) => 'caption' in p).length, sketch: pairs.filter((p) => 'sketch' in p).length },
    composed: { total: composed.length, eval: composed.filter((q) => q.split === 'eval').length },
  };
}
