// The query file: what it accepts, the type it infers, and the lines it refuses (all at once,
// each with its line number).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RosettaError } from '../../models/errors.ts';
import { inferQueryType, parseQueries, queryFiles, readQueries } from './queries.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'rosetta-eval-queries-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function refusal(fn: () => unknown): RosettaError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RosettaError);
    return err as RosettaError;
  }
  throw new Error('expected a RosettaError');
}

describe('inferQueryType', () => {
  it('names a single-field query after its field and image + text composed', () => {
    expect(inferQueryType({ text: 'cat' })).toBe('text');
    expect(inferQueryType({ image: 'a.png' })).toBe('image');
    expect(inferQueryType({ sketch: 's.png' })).toBe('sketch');
    expect(inferQueryType({ audio: 'a.wav' })).toBe('audio');
    expect(inferQueryType({ image: 'a.png', text: 'dark skin tone' })).toBe('composed');
  });

  it('refuses other combinations with INVALID_ARGUMENT naming the fields', () => {
    const err = refusal(() => inferQueryType({ sketch: 's.png', audio: 'a.wav' }));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toContain('sketch + audio');
  });
});

describe('parseQueries', () => {
  it('reads every field, skips blank lines and keeps a given type', () => {
    const text = [
      '{"qid":"q1","text":"a cat","relevant":["cat.jpg"]}',
      '',
      '{"qid":"q2","image":"base.png","text":"woman","relevant":["w.png","w2.png"],"exclude":["base"],"modalities":["image"]}',
      '{"qid":"q3","type":"audio→image","audio":"s/boom.wav","relevant":["bomb"]}',
    ].join('\n');
    expect(parseQueries(text, 'q.jsonl')).toEqual([
      { qid: 'q1', type: 'text', text: 'a cat', relevant: ['cat.jpg'] },
      { qid: 'q2', type: 'composed', image: 'base.png', text: 'woman', relevant: ['w.png', 'w2.png'], exclude: ['base'], modalities: ['image'] },
      { qid: 'q3', type: 'audio→image', audio: 's/boom.wav', relevant: ['bomb'] },
    ]);
  });

  it('rejects every bad line in one INVALID_ARGUMENT, each with its line number', () => {
    const text = [
      '{"qid":"ok","text":"fine","relevant":["a"]}', // 1
      '{"qid":"bad json",', // 2
      '{"qid":"q3","text":"x","relevant":[]}', // 3: no relevant id
      '{"qid":"q4","relevant":["a"]}', // 4: no query field
      '{"qid":"q5","sketch":"s.png","audio":"a.wav","relevant":["a"]}', // 5: no type to infer
      '{"qid":"ok","text":"again","relevant":["a"]}', // 6: repeated qid
      '{"qid":"q7","text":"x","relevant":["a"],"relevent":["b"]}', // 7: unknown key
    ].join('\n');
    const err = refusal(() => parseQueries(text, 'q.jsonl'));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toContain('6 bad line(s) in q.jsonl');
    expect(err.message).toMatch(/q\.jsonl:2: not valid JSON/);
    expect(err.message).toMatch(/q\.jsonl:3: relevant: must name at least one/);
    expect(err.message).toMatch(/q\.jsonl:4: .*the query is empty/);
    expect(err.message).toMatch(/q\.jsonl:5: cannot infer a query type/);
    expect(err.message).toMatch(/q\.jsonl:6: qid "ok" repeats the query of line 1/);
    expect(err.message).toMatch(/q\.jsonl:7: .*relevent/);
    expect(err.message).not.toMatch(/q\.jsonl:1:/);
  });

  it('rejects a file without queries', () => {
    expect(refusal(() => parseQueries('\n\n', 'empty.jsonl')).message).toContain('empty.jsonl holds no queries');
  });
});

describe('readQueries', () => {
  it('reads a file from disk', async () => {
    const file = path.join(dir, 'queries.jsonl');
    writeFileSync(file, '{"qid":"q1","sketch":"s.png","relevant":["a"]}\n');
    expect(await readQueries(file)).toEqual([{ qid: 'q1', type: 'sketch', sketch: 's.png', relevant: ['a'] }]);
  });

  it('reports a missing file as NOT_FOUND naming it', async () => {
    const file = path.join(dir, 'nope.jsonl');
    await expect(readQueries(file)).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining(file) as string });
  });
});

describe('queryFiles', () => {
  it('resolves media paths against the root and keeps absolute ones', () => {
    expect(queryFiles({ image: 'images/a.png', audio: '/abs/b.wav' }, '/data/demo')).toEqual({ image: '/data/demo/images/a.png', audio: '/abs/b.wav' });
  });
});
