/**
 * Seeded, order-independent grouping of pairs: the validation split and the default space's
 * subset both take whole groups (a file with its captions, a sketch with its photo), so no
 * file or caption is on both sides.
 */
import { hash32 } from '../random.ts';
import { RosettaError } from '../errors.ts';
import { pairCounts, pairLinks, selectPairs, type PairCorpus, type PairSetName } from './corpus.ts';

export interface SplitOptions {
  /** Share of each pair set held out. Default 0.1. */
  fraction?: number;
  /** Held-out pairs per set at least (but never more than half the set). Default 32. */
  minCount?: number;
  seed?: number;
}

export const defaultSplit = { fraction: 0.1, minCount: 32, seed: 1 } as const;

/**
 * Holds out a validation split: groups in seeded hash order go to validation while some set
 * they touch still needs pairs, so every set gets about `fraction` of its pairs (at least
 * `minCount`), and never more than half of any set.
 *
 * @example
 * const { train, val } = splitCorpus(corpus, { seed: 1 });
 * pairCounts(val) // { 'image-text': 265, 'sketch-text': 264, 'audio-text': 32, 'sketch-image': 379 }
 */
export function splitCorpus(corpus: PairCorpus, options: SplitOptions = {}): { train: PairCorpus; val: PairCorpus } {
  const fraction = options.fraction ?? defaultSplit.fraction;
  const minCount = options.minCount ?? defaultSplit.minCount;
  const seed = options.seed ?? defaultSplit.seed;
  if (!(fraction > 0 && fraction < 1)) throw new RosettaError('INVALID_ARGUMENT', `split fraction must be in (0, 1); got ${fraction}`);
  if (!Number.isInteger(minCount) || minCount < 0) throw new RosettaError('INVALID_ARGUMENT', `split minCount must be a non-negative integer; got ${minCount}`);
  const counts = pairCounts(corpus);
  const cap = Object.fromEntries(Object.entries(counts).map(([set, n]) => [set, Math.floor(n / 2)])) as Record<PairSetName, number>;
  const target = Object.fromEntries(
    Object.entries(counts).map(([set, n]) => [set, Math.min(Math.max(Math.round(fraction * n), minCount), cap[set as PairSetName])]),
  ) as Record<PairSetName, number>;
  const held: Record<PairSetName, number> = { 'image-text': 0, 'sketch-text': 0, 'audio-text': 0, 'sketch-image': 0 };
  const val = new Set<string>();
  for (const group of orderedGroups(corpus, seed)) {
    if (!group.pairs.some((p) => held[p.set] < target[p.set])) continue;
    // A group taken for one set also takes its pairs of the others: never past half of any set,
    // or a small manifest could leave training a single pair of one (and Stage 1 fails on it).
    const adds = new Map<PairSetName, number>();
    for (const p of group.pairs) adds.set(p.set, (adds.get(p.set) ?? 0) + 1);
    if ([...adds].some(([set, n]) => held[set] + n > cap[set])) continue;
    for (const p of group.pairs) {
      held[p.set]++;
      val.add(`${p.set}#${p.index}`);
    }
  }
  const pick = (inVal: boolean) => {
    const keep: Partial<Record<PairSetName, number[]>> = {};
    for (const link of pairLinks(corpus)) {
      if (val.has(`${link.set}#${link.index}`) === inVal) (keep[link.set] ??= []).push(link.index);
    }
    return selectPairs(corpus, keep);
  };
  return { train: pick(false), val: pick(true) };
}

/**
 * Groups of linked pairs in a seeded order that does not depend on the corpus order.
 *
 * @example orderedGroups(corpus, 1)[0] // { key: 'images/1F3A8.png', pairs: [{ set: 'image-text', index: 12 }, ...] }
 */
export function orderedGroups(corpus: PairCorpus, seed: number): { key: string; pairs: { set: PairSetName; index: number }[] }[] {
  const links = pairLinks(corpus);
  return groupLinks(links.map((l) => l.keys), seed).map((g) => ({ key: g.key, pairs: g.members.map((i) => ({ set: links[i].set, index: links[i].index })) }));
}

/**
 * Connected groups of links (each joins two named things), in seeded hash order of the group's
 * smallest name: the same links give the same groups and order whatever order they come in.
 *
 * @example groupLinks([['a', 'b'], ['b', 'c'], ['d', 'e']], 1) // [{ key: 'd', members: [2] }, { key: 'a', members: [0, 1] }]
 */
export function groupLinks(links: readonly (readonly [string, string])[], seed: number): { key: string; members: number[] }[] {
  const parent = new Map<string, string>();
  const find = (k: string): string => {
    let root = k;
    while (parent.get(root) !== root) root = parent.get(root)!;
    // Path compression keeps later finds short on long chains.
    while (parent.get(k) !== root) {
      const next = parent.get(k)!;
      parent.set(k, root);
      k = next;
    }
    return root;
  };
  for (const keys of links) {
    for (const k of keys) if (!parent.has(k)) parent.set(k, k);
    const [a, b] = [find(keys[0]), find(keys[1])];
    // The smaller key becomes the root, so a group's name does not depend on link order.
    if (a !== b) a < b ? parent.set(b, a) : parent.set(a, b);
  }
  const groups = new Map<string, number[]>();
  links.forEach((keys, i) => {
    const root = find(keys[0]);
    const list = groups.get(root) ?? [];
    list.push(i);
    groups.set(root, list);
  });
  return [...groups.entries()]
    .map(([key, members]) => ({ key, members, h: hash32(`${seed}:${key}`) }))
    .sort((a, b) => a.h - b.h || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map(({ key, members }) => ({ key, members }));
}

export { hash32 } from '../random.ts';
