import { describe, expect, it } from 'vitest';
import { clock, progressBar, progressEvent, summaryEvent, summaryText } from './progress.ts';
import { Tally } from './tally.ts';

describe('progress output', () => {
  it('draws a bar with count, percentage, rate and ETA', () => {
    expect(progressBar({ done: 500, total: 2000, rate: 52.34, etaSeconds: 28.7 }, 20)).toBe(
      '[#####---------------]  500/2000  25%  52.3/s  ETA 0:29',
    );
    expect(progressBar({ done: 0, total: 10, rate: 0, etaSeconds: null }, 10)).toBe('[----------]  0/10  0%  0.0/s  ETA --:--');
    expect(progressBar({ done: 0, total: 0, rate: 0, etaSeconds: null }, 4)).toBe('[####] 0/0  100%  0.0/s  ETA --:--');
  });

  it('formats durations as m:ss or h:mm:ss', () => {
    expect(clock(0)).toBe('0:00');
    expect(clock(59.6)).toBe('1:00');
    expect(clock(3725)).toBe('1:02:05');
  });

  it('writes progress as one JSON object with the documented keys', () => {
    expect(JSON.parse(progressEvent({ done: 10, total: 40, rate: 5, etaSeconds: 6 }))).toEqual({
      event: 'progress',
      done: 10,
      total: 40,
      rate: 5,
      eta_s: 6,
    });
  });
});

describe('the tally', () => {
  it('counts outcomes, groups failures by code with a few examples, and sums to done', () => {
    const t = new Tally();
    t.total = 9;
    t.count('added');
    t.count('added');
    t.count('updated');
    t.count('unchanged');
    t.count('duplicate');
    for (let i = 0; i < 4; i++) t.fail({ path: `/x/${i}.jpg`, code: 'CORRUPT_MEDIA', message: `bad ${i}` });
    const s = t.summary(7, 'succeeded');
    expect(s).toMatchObject({ jobId: 7, total: 9, indexed: 3, added: 2, updated: 1, unchanged: 1, duplicates: 1, failed: 4 });
    expect(s.errors.CORRUPT_MEDIA.count).toBe(4);
    expect(s.errors.CORRUPT_MEDIA.examples.map((e) => e.path)).toEqual(['/x/0.jpg', '/x/1.jpg', '/x/2.jpg']);
    expect(t.done).toBe(9);
    expect(t.progress()).toMatchObject({ done: 9, total: 9, etaSeconds: 0 });
    expect(t.counts()).toEqual({ total: 9, added: 2, updated: 1, unchanged: 1, duplicates: 1, failed: 4 });
    expect(JSON.parse(summaryEvent(s))).toMatchObject({ event: 'summary', indexed: 3, failed: 4 });
  });

  it('prints the summary with reasons grouped by code, commonest first', () => {
    const t = new Tally();
    t.total = 3;
    t.fail({ path: '/a', code: 'EMPTY_INPUT', message: '/a is empty (0 bytes)' });
    t.fail({ path: '/b', code: 'CORRUPT_MEDIA', message: 'b broken' });
    t.fail({ path: '/c', code: 'CORRUPT_MEDIA', message: 'c broken' });
    const text = summaryText(t.summary(2, 'succeeded')).split('\n');
    expect(text[0]).toMatch(/^indexed 0 \(0 new, 0 updated\), unchanged 0, duplicates 0, failed 3 of 3 files in [\d.]+ s \(job 2\)$/);
    expect(text.slice(1).map((l) => l.trim())).toEqual(['CORRUPT_MEDIA  2', 'b broken', 'c broken', 'EMPTY_INPUT    1', '/a is empty (0 bytes)']);
  });
});
