/**
 * Which items are held out for evaluation and which are stored without captions. Both are
 * decided by hashes of ids under the seed, so they do not depend on build order. Images whose
 * tags an object sound source names are held out by rank among that source's images, which
 * depends on which of them the build holds (a small build holds few).
 */
import { categoryWords } from '../../models/text/index.ts';
import { hash32, unitHash } from './prng.ts';

/** Share of items (by variant family for images) held out for evaluation. */
export const EVAL_FRACTION = 0.15;
/** Share of each modality's items stored without a caption. */
export const CAPTIONLESS_FRACTION = 0.3;

/**
 * Evaluation split for a group key. Images use their variant family as the key, so a family's
 * base, skin tones and gendered forms land on the same side and composed queries in the eval
 * split ask about emoji the trainer never saw.
 * @example splitOf('1F44B', 1) // 'train'
 */
export function splitOf(key: string, seed: number): 'train' | 'eval' {
  return unitHash(`${seed}:eval:${key}`) < EVAL_FRACTION ? 'eval' : 'train';
}

/**
 * Share of the images of each object sound's source (object-sounds.ts) held out, by family.
 * Higher than EVAL_FRACTION because a source has only 5 to 30 image families: at 15 % most
 * would put one or none in the eval split, and a sound could not be asked to find them there.
 */
export const OBJECT_EVAL_FRACTION = 0.3;

/**
 * The eval split of image families, stratified by object sound source: of the families whose
 * captions hold one of a source's tags (models/text `categoryWords`, the rule that makes a
 * sound's relevant images), the share OBJECT_EVAL_FRACTION (at least one when there are two)
 * goes to eval, chosen by hash rank; a family two sources share goes by the first. Every other
 * family goes by `splitOf`.
 * @example familySplits([{family: '1F426', caption: 'bird — bird, ornithology'}], [['bird']], 1)('1F426') // 'train'
 */
export function familySplits(
  images: readonly { family: string; caption: string }[],
  sourceTags: readonly (readonly string[])[],
  seed: number,
): (family: string) => 'train' | 'eval' {
  const wordsOf = new Map<string, Set<string>>();
  for (const img of images) {
    const set = wordsOf.get(img.family) ?? new Set<string>();
    for (const w of categoryWords(img.caption)) set.add(w);
    wordsOf.set(img.family, set);
  }
  const decided = new Map<string, 'train' | 'eval'>();
  for (const tags of sourceTags) {
    const wanted = new Set(tags.flatMap((t) => [...categoryWords(t)]));
    const families = [...wordsOf]
      .filter(([family, words]) => !decided.has(family) && [...words].some((w) => wanted.has(w)))
      .map(([family]) => ({ family, h: hash32(`${seed}:eval:${family}`) }))
      .sort((a, b) => a.h - b.h || (a.family < b.family ? -1 : 1));
    const held = families.length < 2 ? 0 : Math.max(1, Math.round(OBJECT_EVAL_FRACTION * families.length));
    families.forEach(({ family }, rank) => decided.set(family, rank < held ? 'eval' : 'train'));
  }
  return (family) => decided.get(family) ?? splitOf(family, seed);
}

/**
 * The first max(1, round(EVAL_FRACTION * n)) of `ids` by hash rank under the seed: a source's
 * sounds held out, the same number for every source.
 * @example heldOutSet(['a', 'b', 'c', 'd', 'e', 'f', 'g'], 1).size // 1
 */
export function heldOutSet(ids: readonly string[], seed: number): Set<string> {
  return firstByHash(ids, Math.max(1, Math.round(EVAL_FRACTION * ids.length)), `${seed}:eval`);
}

/**
 * Exactly round(CAPTIONLESS_FRACTION * ids.length) ids, chosen by hash rank under the seed.
 * @example captionlessSet(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'], 1).size // 3
 */
export function captionlessSet(ids: readonly string[], seed: number): Set<string> {
  return firstByHash(ids, Math.round(CAPTIONLESS_FRACTION * ids.length), `${seed}:captionless`);
}

function firstByHash(ids: readonly string[], count: number, salt: string): Set<string> {
  const ranked = ids
    .map((id) => ({ id, h: hash32(`${salt}:${id}`) }))
    .sort((a, b) => a.h - b.h || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return new Set(ranked.slice(0, count).map((r) => r.id));
}
