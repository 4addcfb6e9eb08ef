/**
 * Which items are held out for evaluation and which are stored without captions. Both are
 * decided by hashes of ids under the seed, so they do not depend on build order or size.
 */
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
 * Exactly round(CAPTIONLESS_FRACTION * ids.length) ids, chosen by hash rank under the seed.
 * @example captionlessSet(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'], 1).size // 3
 */
export function captionlessSet(ids: readonly string[], seed: number): Set<string> {
  const count = Math.round(CAPTIONLESS_FRACTION * ids.length);
  const ranked = ids
    .map((id) => ({ id, h: hash32(`${seed}:captionless:${id}`) }))
    .sort((a, b) => a.h - b.h || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return new Set(ranked.slice(0, count).map((r) => r.id));
}
