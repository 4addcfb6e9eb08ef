/**
 * English function words that carry no content for search: articles, pronouns, auxiliaries,
 * conjunctions and the commonest prepositions. Based on the usual NLTK/Snowball lists, minus
 * words that can matter in a caption ("no", "not", "off", "out", "up", "down", "over",
 * "under", "above", "below", "against", "few", "more", "most", "same", "very").
 * Tokens are matched after normalisation (lowercase, accents stripped, clitics split).
 */
export const stopWords: ReadonlySet<string> = new Set(
  `a an the and or but nor if then else so than too
  i me my myself we us our ours ourselves you your yours yourself yourselves
  he him his himself she her hers herself it its itself they them their theirs themselves
  what which who whom whose this that these those
  am is are was were be been being have has had having do does did doing done
  will would shall should can could may might must
  of at by for with about into through during before after to from in on
  again further once here there when where why how all any both each other some such
  only own just also as until while because nor own
  s t d ll m o re ve y`
    .split(/\s+/)
    .filter((w) => w.length > 0),
);

/** True when `token` (already normalised) is a stop word. */
export function isStopWord(token: string): boolean {
  return stopWords.has(token);
}
