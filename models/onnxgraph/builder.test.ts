import { describe, expect, it } from 'vitest';
import onnxProto from 'onnx-proto';
import { OnnxSession } from '../runtime/index.ts';
import { isRosettaError } from '../errors.ts';
import { GraphBuilder, float } from './index.ts';

describe('GraphBuilder', () => {
  it('builds MatMul+Add+Relu that onnxruntime runs to the hand-computed result', async () => {
    const g = new GraphBuilder('tiny', { metadata: { purpose: 'test' } });
    const x = g.input('x', 'float32', ['N', 3]);
    const w = g.floats('w', [1, -1, 0.5, 2, 0, -3], [3, 2]);
    const b = g.floats('b', [0.25, -0.5], [2]);
    const y = g.op('Relu', [g.op('Add', [g.op('MatMul', [x, w]), b])]);
    g.output(y, 'float32', ['N', 2], 'y');

    const session = await OnnxSession.create(g.serialize(), { expectInputs: ['x'], expectOutputs: ['y'] });
    const input = new Float32Array([1, 2, 3, -1, 0.5, -2]);
    const { y: out } = await session.run({ x: { data: input, dims: [2, 3] } });
    await session.close();

    // Row-major x[2x3] @ w[3x2] + b, then max(0, .).
    const W = [[1, -1], [0.5, 2], [0, -3]];
    const expected: number[] = [];
    for (let r = 0; r < 2; r++) {
      for (let c = 0; c < 2; c++) {
        let s = [0.25, -0.5][c];
        for (let k = 0; k < 3; k++) s += input[r * 3 + k] * W[k][c];
        expected.push(Math.max(0, s));
      }
    }
    expect(out.dims).toEqual([2, 2]);
    for (let i = 0; i < 4; i++) expect(out.data[i]).toBeCloseTo(expected[i], 6);
  });

  it('encodes float, int and int64 constants the runtime reads back', async () => {
    const g = new GraphBuilder('attrs', { opset: 18 });
    const x = g.input('x', 'float32', [4]);
    const clipped = g.op('Clip', [x, g.floats('lo', [-1]), g.floats('hi', [1])]);
    const reshaped = g.op('Reshape', [clipped, g.int64s('shape', [2, 2])]);
    const e = g.op('Elu', [reshaped], { alpha: float(0.5) });
    g.output(g.op('ReduceSum', [e, g.int64s('axes', [1])], { keepdims: 0 }), 'float32', [2], 'y');
    const session = await OnnxSession.create(g.serialize());
    const { y } = await session.run({ x: { data: new Float32Array([-3, 0.5, 2, 0.25]), dims: [4] } });
    await session.close();
    expect(Array.from(y.data)).toEqual([Math.fround(0.5 * (Math.exp(-1) - 1) + 0.5), 1.25].map(Math.fround));
  });

  it('records opset, IR version and metadata in the model', () => {
    const g = new GraphBuilder('meta', { opset: 17, metadata: { source: 'abc' } });
    g.output(g.op('Identity', [g.input('x', 'float32', [1])]), 'float32', [1]);
    const model = onnxProto.onnx.ModelProto.decode(g.serialize());
    expect(Number(model.opsetImport[0].version)).toBe(17);
    expect(Number(model.irVersion)).toBe(8);
    expect(model.metadataProps.map((p) => [p.key, p.value])).toEqual([['source', 'abc']]);
  });

  it('rejects a node whose input is not defined yet', () => {
    const g = new GraphBuilder('bad');
    g.input('x', 'float32', [1]);
    expect(() => g.op('Add', ['x', 'missing'])).toThrowError(/input of Add 'missing' is not defined/);
  });

  it('rejects an initializer whose dims do not match its data', () => {
    const g = new GraphBuilder('bad');
    try {
      g.floats('w', [1, 2, 3], [2, 2]);
      expect.unreachable();
    } catch (err) {
      expect(isRosettaError(err, 'INVALID_ARGUMENT')).toBe(true);
      expect((err as Error).message).toMatch(/'w' has 3 values but dims \[2, 2\] need 4/);
    }
  });

  it('rejects a non-integer attribute not wrapped in float()', () => {
    const g = new GraphBuilder('bad');
    const x = g.input('x', 'float32', [1]);
    expect(() => g.op('LeakyRelu', [x], { alpha: 0.1 })).toThrowError(/wrap non-integers with float/);
  });

  it('gives fresh names when one is taken', () => {
    const g = new GraphBuilder('names');
    const a = g.floats('c', [1]);
    const b = g.floats('c', [2]);
    expect(a).toBe('c');
    expect(b).not.toBe('c');
  });
});
