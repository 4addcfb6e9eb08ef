/**
 * Turns what a user typed into an FTS5 query that cannot be a syntax error: words are quoted,
 * joined with OR (bm25 ranks items matching more words first), and the last word matches as
 * a prefix so that a half-typed word finds something.
 *
 * @example
 * ftsQuery('red "bird" son'); // '"red" OR "bird" OR "son"*'
 * ftsQuery('!!'); // undefined
 */
export function ftsQuery(text: string): string | undefined {
  const words = text.normalize('NFKC').match(/[\p{L}\p{N}]+/gu);
  if (!words) return undefined;
  const quoted = words.slice(0, 32).map((w) => `"${w}"`);
  quoted[quoted.length - 1] += '*';
  return quoted.join(' OR ');
}
