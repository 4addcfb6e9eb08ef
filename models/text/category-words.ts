/** The words a caption's tag list names its category by. */
import { isStopWord } from './stopwords.ts';
import { tokenize } from './tokenize.ts';

export const EMERGENT_RELEVANCE =
  "an image is relevant to a sound when their captions share a category word: the words after ' — ' in a caption " +
  "(the tag list; the whole caption when it has none), lower-cased, stop words and words under 3 letters dropped, a plural 's' removed";

/**
 * The category words of a caption, by the EMERGENT_RELEVANCE rule: what the demo's evaluation
 * matches sounds to images by (models/space evaluate.ts, server/eval dev-set.ts) and what the
 * demo's split is stratified by (data/demo split.ts).
 * @example categoryWords('bird — birds, ornithology') // Set {'bird', 'ornithology'}
 */
export function categoryWords(caption: string): Set<string> {
  const dash = caption.lastIndexOf(' — ');
  const tags = dash >= 0 ? caption.slice(dash + 3) : caption;
  const out = new Set<string>();
  for (const raw of tokenize(tags)) {
    const w = raw.toLowerCase();
    if (w.length < 3 || isStopWord(w) || !/\p{L}/u.test(w)) continue;
    out.add(w.length > 3 && w.endsWith('s') && !w.endsWith('ss') ? w.slice(0, -1) : w);
  }
  return out;
}
