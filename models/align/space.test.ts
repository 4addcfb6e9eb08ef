import { describe, expect, it } from 'vitest';
import { isRosettaError } from '../errors.ts';
import { LinearSpace, type LinearSpaceData } from './space.ts';

function handMade(): LinearSpaceData {
  return {
    dim: 3,
    maps: {
      image: {
        mean: Float32Array.of(0.5, 0, 0, 1),
        weight: Float32Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1),
      },
      sketch: undefined,
      audio: undefined,
      text: { mean: Float32Array.of(0.1, -0.2), weight: Float32Array.of(1, 2, 0, 0, 1, -1) },
    },
    textBag: {
      idSpace: 100,
      dim: 2,
      ids: Uint32Array.of(3, 10, 42),
      rows: Float32Array.of(1, 0, 0, 1, 0.5, 0.5),
      singularValues: Float32Array.of(2, 1),
    },
    correlations: [0.9, 0.5, 0.1],
  };
}

// Typed arrays as {type, values} so the whole space passes through JSON text.
function viaJson(data: LinearSpaceData): LinearSpaceData {
  const text = JSON.stringify(data, (_, v: unknown) =>
    ArrayBuffer.isView(v) ? { type: v.constructor.name, values: Array.from(v as Float32Array) } : v,
  );
  return JSON.parse(text, (_, v: { type?: string; values?: number[] }) => {
    if (v && v.type === 'Float32Array') return Float32Array.from(v.values!);
    if (v && v.type === 'Uint32Array') return Uint32Array.from(v.values!);
    return v;
  }) as LinearSpaceData;
}

describe('LinearSpace', () => {
  const space = new LinearSpace(handMade());

  it('projects (x - mean)·W and L2-normalises it', () => {
    const v = space.project('image', Float32Array.of(1.5, 2, 0, 1));
    // (1, 2, 0, 0)·W = (1, 2, 0) -> / sqrt(5)
    expect(Array.from(v)).toEqual(Array.from(Float32Array.of(1 / Math.sqrt(5), 2 / Math.sqrt(5), 0)));
  });

  it('projects text through the bag: t·E, then the text map', () => {
    const v = space.project('text', { ids: Uint32Array.of(10, 42, 77), weights: Float32Array.of(1, 2, 5) });
    // t·E = 1·(0, 1) + 2·(0.5, 0.5) = (1, 2) (id 77 has no row); minus mean = (0.9, 2.2);
    // ·W = (0.9, 1.8 + 2.2, -2.2) = (0.9, 4, -2.2)
    const n = Math.hypot(0.9, 4, -2.2);
    expect(v[0]).toBeCloseTo(0.9 / n, 6);
    expect(v[1]).toBeCloseTo(4 / n, 6);
    expect(v[2]).toBeCloseTo(-2.2 / n, 6);
  });

  it('round-trips exactly through toData, JSON text and fromData', () => {
    const data = space.toData();
    const back = LinearSpace.fromData(viaJson(data));
    expect(back.toData()).toEqual(data);
    const x = Float32Array.of(0.3, -1, 2, 0.25);
    expect(back.project('image', x)).toEqual(space.project('image', x));
  });

  it('toData is a copy: changing it leaves the space alone', () => {
    const data = space.toData();
    data.maps.image!.weight[0] = 99;
    expect(space.maps.image!.weight[0]).toBe(1);
  });

  it('rejects image features of another length with DIMENSION_MISMATCH naming both dims', () => {
    expect(() => space.project('image', new Float32Array(5))).toThrow(
      expect.objectContaining({ code: 'DIMENSION_MISMATCH', message: expect.stringMatching(/5 dims .* takes 4/) }),
    );
  });

  it('rejects a modality it has no map for with INVALID_ARGUMENT listing the ones it has', () => {
    expect(() => space.project('audio', new Float32Array(4))).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('image, text') }),
    );
  });

  it('rejects text with no id the bag knows with EMPTY_INPUT', () => {
    let err: unknown;
    try {
      space.project('text', { ids: Uint32Array.of(4, 5), weights: Float32Array.of(1, 1) });
    } catch (e) {
      err = e;
    }
    expect(isRosettaError(err, 'EMPTY_INPUT')).toBe(true);
  });

  it('rejects a NaN feature with INVALID_ARGUMENT', () => {
    expect(() => space.project('image', Float32Array.of(1, NaN, 0, 0))).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  it('fromData rejects a weight of the wrong size with MODEL_INVALID', () => {
    const data = handMade();
    data.maps.image!.weight = new Float32Array(11);
    expect(() => LinearSpace.fromData(data)).toThrow(
      expect.objectContaining({ code: 'MODEL_INVALID', message: expect.stringContaining('image weight has 11 values') }),
    );
  });

  it('fromData rejects unsorted bag ids with MODEL_INVALID', () => {
    const data = handMade();
    data.textBag.ids = Uint32Array.of(10, 3, 42);
    expect(() => LinearSpace.fromData(data)).toThrow(expect.objectContaining({ code: 'MODEL_INVALID' }));
  });
});
