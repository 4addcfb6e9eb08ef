import type { IndexDuplicate, IndexFailure, IndexProgress, IndexSummary } from './types.ts';

/**
 * One line of a terminal progress bar (no newline; the caller rewrites it with \r).
 *
 * @example
 * progressBar({ done: 500, total: 2000, rate: 52.3, etaSeconds: 28.7 }, 20)
 * // '[#####---------------]  500/2000  25%  52.3/s  ETA 0:29'
 */
export function progressBar(p: IndexProgress, width = 30): string {
  const fraction = p.total > 0 ? Math.min(1, p.done / p.total) : 1;
  const filled = Math.round(fraction * width);
  const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
  const count = `${String(p.done).padStart(String(p.total).length)}/${p.total}`;
  const eta = p.etaSeconds === null ? '--:--' : clock(p.etaSeconds);
  return `[${bar}] ${count}  ${Math.floor(fraction * 100)}%  ${p.rate.toFixed(1)}/s  ETA ${eta}`;
}

/** @example clock(3725) // '1:02:05' */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/**
 * The machine-readable events of `rosetta index --json`, one JSON object per line.
 *
 * @example
 * progressEvent({ done: 10, total: 40, rate: 5, etaSeconds: 6 })
 * // '{"event":"progress","done":10,"total":40,"rate":5,"eta_s":6}'
 */
export function progressEvent(p: IndexProgress): string {
  return JSON.stringify({ event: 'progress', done: p.done, total: p.total, rate: p.rate, eta_s: p.etaSeconds });
}

/**
 * `jobId`, as in the summary; `job` is the same number, kept for scripts written before.
 *
 * @example startEvent({ jobId: 3, total: 40 }) // '{"event":"start","jobId":3,"job":3,"total":40}'
 */
export function startEvent(info: { jobId: number; total: number }): string {
  return JSON.stringify({ event: 'start', jobId: info.jobId, job: info.jobId, total: info.total });
}

/**
 * @example
 * duplicateEvent(d) // '{"event":"duplicate","path":"/lib/dog.jpg","externalId":"my-dog","of":{"id":4,"externalId":"1F415",...},"captionsAdded":1}'
 */
export function duplicateEvent(d: IndexDuplicate): string {
  return JSON.stringify({ event: 'duplicate', ...d });
}

export function errorEvent(f: IndexFailure): string {
  return JSON.stringify({ event: 'error', ...f });
}

export function summaryEvent(s: IndexSummary): string {
  return JSON.stringify({ event: 'summary', ...s });
}

/**
 * The human summary printed at the end of a run.
 *
 * @example
 * summaryText(summary)
 * // 'indexed 1180 (1180 new, 0 updated), unchanged 0, duplicates 12, failed 8 of 1200 files in 31.5 s (job 3)
 * //  CORRUPT_MEDIA  8  e.g. /photos/x.jpg: Image "/photos/x.jpg" could not be decoded: ...
 * //  my-dog: same file as 1F415 (stored once; its caption added to 1F415)'
 */
export function summaryText(s: IndexSummary): string {
  const head =
    `${s.status === 'cancelled' ? 'cancelled: ' : ''}indexed ${s.indexed} (${s.added} new, ${s.updated} updated), ` +
    `unchanged ${s.unchanged}, duplicates ${s.duplicates}, failed ${s.failed} of ${s.total} files in ${s.seconds} s (job ${s.jobId})`;
  const codes = Object.entries(s.errors).sort((a, b) => b[1].count - a[1].count);
  const width = Math.max(0, ...codes.map(([code]) => code.length));
  const lines = codes.flatMap(([code, g]) => [
    `  ${code.padEnd(width)}  ${g.count}`,
    ...g.examples.map((e) => `  ${''.padEnd(width)}    ${e.message}`),
  ]);
  const listed = (s.duplicatesOf ?? []).map(
    (d) =>
      `  ${d.externalId}: same file as ${d.of.externalId} (stored once${d.captionsAdded > 0 ? `; ${d.captionsAdded === 1 ? 'its caption' : `${d.captionsAdded} captions`} added to ${d.of.externalId}` : ''})`,
  );
  const unlisted = s.duplicates - listed.length;
  if (listed.length > 0 && unlisted > 0) listed.push(`  ... and ${unlisted} more duplicates (--json lists each)`);
  return [head, ...lines, ...listed].join('\n');
}
