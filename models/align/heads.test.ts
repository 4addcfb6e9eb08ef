import { describe, expect, it } from 'vitest';
import { OnnxSession } from '../runtime/index.ts';
import { isRosettaError } from '../errors.ts';
import { bagFeeds, exportHead, HEAD_OUTPUT } from './heads.ts';
import { bagHead, bagRowIndex, checkParams, denseHead, gaussian, paramSlots, INITIAL_LOG_SCALE } from './head-params.ts';

async function runHead(bytes: Uint8Array, feeds: Parameters<OnnxSession['run']>[0]): Promise<Float32Array> {
  const session = await OnnxSession.create(bytes, { expectOutputs: [HEAD_OUTPUT] });
  const out = await session.run(feeds);
  await session.close();
  return out[HEAD_OUTPUT].data;
}

function normalize(v: number[]): number[] {
  const n = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return v.map((x) => x / n);
}

describe('dense head', () => {
  const inDim = 5;
  const dim = 3;
  const W = gaussian(inDim * dim, 1, 1);
  const mean = gaussian(inDim, 2, 1);
  const b = gaussian(dim, 3, 1);
  const x = gaussian(2 * inDim, 4, 1);

  function linear(row: number): number[] {
    return Array.from({ length: dim }, (_, c) => {
      let s = b[c];
      for (let k = 0; k < inDim; k++) s += (x[row * inDim + k] - mean[k]) * W[k * dim + c];
      return s;
    });
  }

  it('starts as the normalised CCA map: the residual MLP has W2 = 0', async () => {
    const head = denseHead({ inDim, dim, W, mean, b, hidden: 4, seed: 9 });
    expect(head.mlp?.W2.every((v) => v === 0)).toBe(true);
    const y = await runHead(exportHead(head), { features: { data: x, dims: [2, inDim] } });
    const expected = [...normalize(linear(0)), ...normalize(linear(1))];
    expected.forEach((v, i) => expect(y[i]).toBeCloseTo(v, 6));
  });

  it('adds relu(y·W1 + b1)·W2 before normalising', async () => {
    const head = denseHead({ inDim, dim, W, mean, b, hidden: 4, seed: 9 });
    const mlp = head.mlp!;
    mlp.W2 = gaussian(4 * dim, 5, 1);
    mlp.b1 = gaussian(4, 6, 1);
    const y = await runHead(exportHead(head), { features: { data: x, dims: [2, inDim] } });
    for (let r = 0; r < 2; r++) {
      const y0 = linear(r);
      const h = Array.from({ length: 4 }, (_, j) => Math.max(0, y0.reduce((s, v, c) => s + v * mlp.W1[c * 4 + j], mlp.b1[j])));
      const u = y0.map((v, c) => v + h.reduce((s, hv, j) => s + hv * mlp.W2[j * dim + c], 0));
      normalize(u).forEach((v, c) => expect(y[r * dim + c]).toBeCloseTo(v, 5));
    }
  });

  it('rejects a W of the wrong size with DIMENSION_MISMATCH naming it', () => {
    try {
      denseHead({ inDim, dim, W: new Float32Array(7) });
      expect.unreachable();
    } catch (err) {
      expect(isRosettaError(err, 'DIMENSION_MISMATCH')).toBe(true);
      expect((err as Error).message).toMatch(/head\.W has 7 values; expected 15/);
    }
  });
});

describe('text bag head', () => {
  const dim = 2;
  const ids = Uint32Array.of(101, 202, 303);
  const E = Float32Array.of(1, 0, 0, 1, 3, 4);
  const head = bagHead(ids, E, dim);

  it('sums weight·E[id] over known ids, drops unknown ids and normalises', async () => {
    const feeds = bagFeeds(
      [
        { ids: Uint32Array.of(101, 999, 202), weights: Float32Array.of(3, 50, 4) },
        { ids: Uint32Array.of(303), weights: Float32Array.of(2) },
      ],
      bagRowIndex(head),
    );
    expect(feeds.rows.dims).toEqual([2, 2]);
    const y = await runHead(exportHead(head), feeds);
    expect(Array.from(y)).toEqual([0.6, 0.8, 0.6, 0.8].map(Math.fround));
  });

  it('embeds a caption with no known id as a zero vector, not NaN', async () => {
    const feeds = bagFeeds([{ ids: Uint32Array.of(5), weights: Float32Array.of(1) }], bagRowIndex(head));
    expect(Array.from(await runHead(exportHead(head), feeds))).toEqual([0, 0]);
  });

  it('rejects a non-finite initial row value with INVALID_ARGUMENT', () => {
    expect(() => bagHead(Uint32Array.of(1), Float32Array.of(0, NaN), 2)).toThrowError(/head\.E has a non-finite value at 1 \(NaN\)/);
  });

  it('rejects duplicate hashed ids with INVALID_ARGUMENT', () => {
    expect(() => bagHead(Uint32Array.of(1, 1), new Float32Array(4), 2)).toThrowError(/ids has duplicates/);
  });

  it('rejects a caption whose ids and weights differ in length', () => {
    expect(() => bagFeeds([{ ids: Uint32Array.of(1, 2), weights: Float32Array.of(1) }], new Map())).toThrowError(/caption 0 has 2 ids but 1 weights/);
  });
});

describe('parameters', () => {
  it('lists trainable slots with weight decay on matrices only', () => {
    const slots = paramSlots({ kind: 'dense', inDim: 4, dim: 2, hidden: 3 }, { kind: 'bag', dim: 2 });
    expect(slots.map((s) => [s.name, s.decay])).toEqual([
      ['a.W', true],
      ['a.b', false],
      ['a.W1', true],
      ['a.b1', false],
      ['a.W2', true],
      ['b.E', true],
      ['logScale', false],
    ]);
  });

  it('rejects heads of different dimensions with DIMENSION_MISMATCH', () => {
    const a = denseHead({ inDim: 2, dim: 2, W: new Float32Array(4) });
    const b = bagHead(Uint32Array.of(1), new Float32Array(3), 3);
    expect(() => checkParams({ a, b, logScale: INITIAL_LOG_SCALE })).toThrowError(/params.a has dim 2 but params.b has dim 3/);
  });

  it('rejects a log scale above log(100)', () => {
    const a = denseHead({ inDim: 2, dim: 2, W: new Float32Array(4) });
    expect(() => checkParams({ a, b: a, logScale: 5 })).toThrowError(/logScale must be finite and <= log\(100\)/);
  });
});
