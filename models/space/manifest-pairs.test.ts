import { mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RosettaError } from '../errors.ts';
import type { Encoder, MediaInput, SparseRow, StagedEncoder } from '../types.ts';
import { pairCounts } from './corpus.ts';
import { encodePairLines, parsePairLines } from './manifest-pairs.ts';

/** A dense "encoder" over files holding comma-separated numbers; anything else is CORRUPT_MEDIA. */
function numbersEncoder(modality: 'image' | 'sketch' | 'audio', calls: { runs: number }): StagedEncoder<typeof modality> {
  const prepare = async (input: MediaInput) => {
    const values = input.data.toString('utf8').split(',').map(Number);
    if (values.length !== 3 || values.some((v) => !Number.isFinite(v))) throw new RosettaError('CORRUPT_MEDIA', `${input.name} is not three numbers`);
    return Float32Array.from(values);
  };
  const run = async (rows: Float32Array[]) => {
    calls.runs += rows.length;
    return rows.map((r) => r.slice());
  };
  return {
    modality,
    kind: 'dense',
    dim: 3,
    identity: { name: `numbers-${modality}`, version: '1', weightsHash: '0123456789abcdef' },
    prepare,
    run,
    encode: async (inputs) => run(await Promise.all(inputs.map(prepare))),
    close: async () => {},
  } as StagedEncoder<typeof modality>;
}

/** A dense "encoder" of drawings: their share of dark pixels, width and height (sharp decodes them). */
function inkEncoder(calls: { runs: number }): Encoder<'sketch', 'dense'> {
  return {
    modality: 'sketch',
    kind: 'dense',
    dim: 3,
    identity: { name: 'ink', version: '1', weightsHash: 'fedcba9876543210' },
    encode: async (inputs: MediaInput[]) =>
      Promise.all(
        inputs.map(async (input) => {
          calls.runs++;
          const { data, info } = await sharp(input.data).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
          const dark = data.reduce((n, v) => n + (v < 128 ? 1 : 0), 0);
          return Float32Array.from([dark / data.length, info.width / 100, info.height / 100]);
        }),
      ),
    close: async () => {},
  };
}

/** A black ring on white, as a PNG. */
const ring = (r: number) =>
  sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="120" height="120"><rect width="120" height="120" fill="white"/><circle cx="60" cy="60" r="${r}" fill="none" stroke="black" stroke-width="5"/></svg>`))
    .png()
    .toBuffer();

const textEncoder: Encoder<'text', 'sparse'> = {
  modality: 'text',
  kind: 'sparse',
  dim: 1000,
  identity: { name: 'words', version: '1', weightsHash: 'abcdef0123456789' },
  encode: async (texts: string[]): Promise<SparseRow[]> =>
    texts.map((t) => {
      const words = t.split(/\W+/).filter(Boolean);
      if (words.length === 0) throw new RosettaError('EMPTY_INPUT', 'no words');
      const ids = [...new Set(words.map((w) => [...w].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 1000, 7)))].sort((a, b) => a - b);
      return { ids: Uint32Array.from(ids), weights: new Float32Array(ids.length).fill(1 / Math.sqrt(ids.length)) };
    }),
  close: async () => {},
};

let root: string;
beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'rosetta-pairs-'));
  mkdirSync(path.join(root, 'drawn'));
  writeFileSync(path.join(root, 'drawn/small.png'), await ring(25));
  writeFileSync(path.join(root, 'drawn/large.png'), await ring(45));
  mkdirSync(path.join(root, 'img'));
  writeFileSync(path.join(root, 'img/a.png'), '1,0,0');
  writeFileSync(path.join(root, 'img/b.png'), '0,1,0');
  writeFileSync(path.join(root, 'img/bad.png'), 'not an image');
  writeFileSync(path.join(root, 'img/a-sketch.png'), '1,0.1,0');
  writeFileSync(path.join(root, 'clip.wav'), '0,0,1');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('parsePairLines', () => {
  it('reads caption lines and sketch lines, skipping blank lines', () => {
    const lines = parsePairLines('{"path":"a.png","modality":"image","caption":"a cat"}\n\n{"sketch":"s.png","image":"a.png"}\n', 'pairs.jsonl');
    expect(lines).toEqual([{ path: 'a.png', modality: 'image', caption: 'a cat' }, { sketch: 's.png', image: 'a.png' }]);
  });

  it('rejects a line that is not JSON with INVALID_ARGUMENT naming file and line', () => {
    expect(() => parsePairLines('{"path":"a.png","modality":"image","caption":"x"}\n{oops', 'pairs.jsonl')).toThrowError(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: 'pairs.jsonl:2 is not JSON' }),
    );
  });

  it('rejects an unknown modality and an empty caption, naming the field', () => {
    expect(() => parsePairLines('{"path":"a.mp4","modality":"video","caption":"x"}', 'p.jsonl')).toThrowError(/p\.jsonl:1 .*modality/);
    expect(() => parsePairLines('{"path":"a.png","modality":"image","caption":"  "}', 'p.jsonl')).toThrowError(/p\.jsonl:1 .*caption/);
  });

  it('rejects a manifest without pairs with EMPTY_INPUT', () => {
    expect(() => parsePairLines('\n\n', 'p.jsonl')).toThrowError(expect.objectContaining({ code: 'EMPTY_INPUT' }));
  });
});

describe('encodePairLines', () => {
  it('encodes each file once, skips a corrupt or missing file, and drops only its pairs', async () => {
    const calls = { runs: 0 };
    const lines = parsePairLines(
      [
        { path: 'img/a.png', modality: 'image', caption: 'a red thing' },
        { path: './img/a.png', modality: 'image', caption: 'the red one' },
        { path: 'img/b.png', modality: 'image', caption: 'a green thing' },
        { path: 'img/bad.png', modality: 'image', caption: 'broken' },
        { path: 'img/missing.png', modality: 'image', caption: 'gone' },
        { path: 'clip.wav', modality: 'audio', caption: 'a red sound' },
        { sketch: 'img/a-sketch.png', image: 'img/a.png' },
      ]
        .map((l) => JSON.stringify(l))
        .join('\n'),
      'p.jsonl',
    );
    const encoders = { text: textEncoder, image: numbersEncoder('image', calls), sketch: numbersEncoder('sketch', calls), audio: numbersEncoder('audio', calls) };
    const { corpus, report } = await encodePairLines(lines, { root, encoders });
    expect(pairCounts(corpus)).toEqual({ 'image-text': 3, 'sketch-text': 0, 'audio-text': 1, 'sketch-image': 1 });
    expect(report.skipped.map((s) => [s.path, s.code]).sort()).toEqual([['img/bad.png', 'CORRUPT_MEDIA'], ['img/missing.png', 'NOT_FOUND']]);
    expect(report.droppedPairs).toBe(2);
    expect(calls.runs).toBe(4); // a (named twice, run once), b, a-sketch, clip
    expect(corpus.captioned.image!.source).toEqual(['img/a.png', 'img/a.png', 'img/b.png']);
    expect(corpus.encoders.image).toEqual({ key: 'numbers-image@1#0123456789ab', dim: 3 });
  });

  it('keeps features by content in the feature cache, so a second run encodes nothing', async () => {
    const cacheDir = path.join(root, 'cache');
    const lines = parsePairLines('{"path":"img/a.png","modality":"image","caption":"red"}\n{"path":"img/b.png","modality":"image","caption":"green"}', 'p.jsonl');
    const first = { runs: 0 };
    await encodePairLines(lines, { root, cacheDir, encoders: { text: textEncoder, image: numbersEncoder('image', first) } });
    expect(first.runs).toBe(2);
    expect(readdirSync(cacheDir)).toHaveLength(1);
    const second = { runs: 0 };
    const { corpus } = await encodePairLines(lines, { root, cacheDir, encoders: { text: textEncoder, image: numbersEncoder('image', second) } });
    expect(second.runs).toBe(0);
    expect(Array.from(corpus.captioned.image!.features[1])).toEqual([0, 1, 0]);
  });
});

describe('encodePairLines with drawn sketch variants', () => {
  const lines = parsePairLines(
    [
      { sketch: 'drawn/small.png', image: 'img/a.png' },
      { sketch: 'drawn/large.png', image: 'img/b.png' },
      { sketch: 'drawn/large.png', image: 'img/a.png' },
      { sketch: 'drawn/missing.png', image: 'img/b.png' },
    ]
      .map((l) => JSON.stringify(l))
      .join('\n'),
    'p.jsonl',
  );

  it("draws and encodes each sketch's variants once, beside its pairs, and none for a sketch that could not be read", async () => {
    const calls = { runs: 0 };
    const progress = new Set<string>();
    const { corpus, report } = await encodePairLines(lines, {
      root,
      encoders: { text: textEncoder, image: numbersEncoder('image', { runs: 0 }), sketch: inkEncoder(calls) },
      sketchVariants: 3,
      onProgress: (p) => progress.add(p.modality),
    });
    const si = corpus.sketchImage!;
    expect(si.sketchSource).toEqual(['drawn/small.png', 'drawn/large.png', 'drawn/large.png']);
    expect(report.skipped.map((s) => s.path)).toEqual(['drawn/missing.png']);
    expect(report.sketchVariants).toBe(6);
    expect(calls.runs).toBe(2 + 6); // two drawings, three variants of each
    expect(si.variants!.map((v) => v.length)).toEqual([3, 3, 3]);
    // A pair's variants are its own drawing's: the same rows for the two pairs of the large ring.
    expect(si.variants![2]).toEqual(si.variants![1]);
    // Each variant is the drawing changed: other shapes (tilt, stretch) or other ink (pen).
    for (const [i, rows] of si.variants!.entries()) {
      for (const row of rows) expect(Array.from(row)).not.toEqual(Array.from(si.sketch[i]));
      expect(new Set(rows.map((r) => Array.from(r).join()))).toHaveProperty('size', 3);
    }
    expect([...progress].sort()).toEqual(['image', 'sketch', 'sketch variants']);
  });

  it('draws the same variants again, so the feature cache answers a second run', async () => {
    const cacheDir = path.join(root, 'variant-cache');
    const encode = async (calls: { runs: number }) =>
      encodePairLines(lines, { root, cacheDir, encoders: { text: textEncoder, image: numbersEncoder('image', { runs: 0 }), sketch: inkEncoder(calls) }, sketchVariants: 2 });
    const [first, second] = [{ runs: 0 }, { runs: 0 }];
    const a = await encode(first);
    const b = await encode(second);
    expect([first.runs, second.runs]).toEqual([2 + 4, 0]);
    expect(b.corpus.sketchImage!.variants).toEqual(a.corpus.sketchImage!.variants);
  });

  it('draws none by default, and rejects a count that is not a non-negative integer with INVALID_ARGUMENT', async () => {
    const encoders = { text: textEncoder, image: numbersEncoder('image', { runs: 0 }), sketch: inkEncoder({ runs: 0 }) };
    const plain = await encodePairLines(lines, { root, encoders });
    expect(plain.corpus.sketchImage!.variants).toBeUndefined();
    expect(plain.report.sketchVariants).toBeUndefined();
    for (const bad of [-1, 1.5]) {
      await expect(encodePairLines(lines, { root, encoders, sketchVariants: bad })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('sketchVariants') });
    }
  });
});
