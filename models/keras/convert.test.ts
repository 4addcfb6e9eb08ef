import { describe, expect, it } from 'vitest';
import { isRosettaError } from '../errors.ts';
import { OnnxSession } from '../runtime/index.ts';
import { convertKerasModel, type KerasLayer, type KerasModelTopology, type KerasWeight, type OutputSpec } from './index.ts';
import { permute, windowGeometry } from './layers.ts';

// A tiny functional model: each entry is [name, class, config, inputs].
function topology(h: number, w: number, c: number, layers: [string, string, Record<string, unknown>, string[]][]): KerasModelTopology {
  const all: KerasLayer[] = [
    { name: 'in', class_name: 'InputLayer', config: { batch_input_shape: [null, h, w, c] }, inbound_nodes: [] },
    ...layers.map(([name, class_name, config, inputs]) => ({
      name,
      class_name,
      config: { name, ...config },
      inbound_nodes: [inputs.map((i) => [i, 0, 0, {}] as [string, number, number, Record<string, unknown>])],
    })),
  ];
  return {
    model_config: {
      class_name: 'Model',
      config: { name: 'tiny', layers: all, input_layers: [['in', 0, 0]], output_layers: [[all[all.length - 1].name, 0, 0]] },
    },
  };
}

function weights(entries: [string, number[], number[]][]): Map<string, KerasWeight> {
  return new Map(entries.map(([name, shape, values]) => [name, { name, shape, values: Float32Array.from(values) }]));
}

async function run(t: KerasModelTopology, w: Map<string, KerasWeight>, outputs: OutputSpec[], x: Float32Array, dims: number[]) {
  const m = convertKerasModel(t, w, { outputs });
  const session = await OnnxSession.create(m.bytes);
  const out = await session.run({ image: { data: x, dims } });
  await session.close();
  return { m, out };
}

const range = (n: number): Float32Array => Float32Array.from({ length: n }, (_, i) => i);

describe('windowGeometry', () => {
  const ctx = { layer: { name: 'l', class_name: 'Conv2D', config: {}, inbound_nodes: [] } };
  it("pads 'same' stride 2 with the odd pixel at the end, as TF does", () => {
    expect(windowGeometry(ctx, [224, 224], [3, 3], [2, 2], [1, 1], 'same')).toEqual({ pads: [0, 0, 1, 1], outH: 112, outW: 112 });
    expect(windowGeometry(ctx, [225, 8], [3, 3], [2, 2], [1, 1], 'same')).toEqual({ pads: [1, 0, 1, 1], outH: 113, outW: 4 });
    expect(windowGeometry(ctx, [17, 17], [7, 1], [1, 1], [1, 1], 'same')).toEqual({ pads: [3, 0, 3, 0], outH: 17, outW: 17 });
  });
  it("gives 'valid' no padding and floors the output size", () => {
    expect(windowGeometry(ctx, [299, 299], [3, 3], [2, 2], [1, 1], 'valid')).toEqual({ pads: [0, 0, 0, 0], outH: 149, outW: 149 });
  });
  it('rejects a padding mode it does not know', () => {
    expect(() => windowGeometry(ctx, [8, 8], [3, 3], [1, 1], [1, 1], 'causal')).toThrowError(/unsupported padding 'causal'/);
  });
});

describe('permute', () => {
  it('moves axes like numpy.transpose', () => {
    // [2, 3] -> [3, 2]
    expect(Array.from(permute(range(6), [2, 3], [1, 0]))).toEqual([0, 3, 1, 4, 2, 5]);
  });
});

describe('convertKerasModel on tiny models', () => {
  it("matches TF's asymmetric 'same' padding for a stride-2 convolution", async () => {
    const t = topology(4, 4, 1, [['conv', 'Conv2D', { kernel_size: [3, 3], strides: [2, 2], padding: 'same', use_bias: false, activation: 'linear' }, ['in']]]);
    const w = weights([['conv/kernel', [3, 3, 1, 1], [1, 1, 1, 1, 1, 1, 1, 1, 1]]]);
    const x = range(16);
    const { out } = await run(t, w, [{ name: 'y', layer: 'conv', pool: 'none' }], x, [1, 4, 4, 1]);
    // TF pads 0 before and 1 after: output (r, c) sums input rows 2r..2r+2 and cols 2c..2c+2 that exist.
    const expected: number[] = [];
    for (let r = 0; r < 2; r++) {
      for (let c = 0; c < 2; c++) {
        let s = 0;
        for (let i = 2 * r; i <= 2 * r + 2; i++) for (let j = 2 * c; j <= 2 * c + 2; j++) if (i < 4 && j < 4) s += x[i * 4 + j];
        expected.push(s);
      }
    }
    expect(out.y.dims).toEqual([1, 2, 2, 1]);
    expect(Array.from(out.y.data)).toEqual(expected);
  });

  it('orders depthwise output channels as c * multiplier + m and clips ReLU at max_value', async () => {
    const t = topology(1, 1, 2, [
      ['dw', 'DepthwiseConv2D', { kernel_size: [1, 1], strides: [1, 1], padding: 'valid', depth_multiplier: 2, use_bias: true, activation: 'linear' }, ['in']],
      ['relu6', 'ReLU', { max_value: 6, negative_slope: 0, threshold: 0 }, ['dw']],
    ]);
    const w = weights([
      ['dw/depthwise_kernel', [1, 1, 2, 2], [1, 10, -1, 3]],
      ['dw/bias', [4], [0, 0, 0, 0.5]],
    ]);
    const { out } = await run(t, w, [{ name: 'y', layer: 'relu6', pool: 'none' }], Float32Array.from([0.5, 2]), [1, 1, 1, 2]);
    // channels: x0*1, x0*10, x1*(-1), x1*3 + 0.5 -> clipped to [0, 6]
    expect(Array.from(out.y.data)).toEqual([0.5, 5, 0, 6]);
  });

  it("averages 'same' pooling windows over real pixels only, like TF", async () => {
    const t = topology(2, 2, 1, [['pool', 'AveragePooling2D', { pool_size: [3, 3], strides: [1, 1], padding: 'same' }, ['in']]]);
    const { out } = await run(t, new Map(), [{ name: 'y', layer: 'pool', pool: 'none' }], Float32Array.from([1, 2, 3, 6]), [1, 2, 2, 1]);
    expect(Array.from(out.y.data)).toEqual([3, 3, 3, 3]);
  });

  it('folds BatchNormalization without gamma (scale: false) and flattens in NHWC order before Dense', async () => {
    const t = topology(1, 2, 2, [
      ['bn', 'BatchNormalization', { axis: 3, epsilon: 0, scale: false, center: true }, ['in']],
      ['flat', 'Flatten', {}, ['bn']],
      ['fc', 'Dense', { units: 1, use_bias: false, activation: 'linear' }, ['flat']],
    ]);
    const w = weights([
      ['bn/beta', [2], [1, 0]],
      ['bn/moving_mean', [2], [0, 1]],
      ['bn/moving_variance', [2], [1, 4]],
      ['fc/kernel', [4, 1], [1, 10, 100, 1000]],
    ]);
    const x = Float32Array.from([1, 3, 2, 5]); // pixel0 = (1, 3), pixel1 = (2, 5)
    const { out } = await run(t, w, [{ name: 'f', layer: 'flat', pool: 'none' }, { name: 'y', layer: 'fc', pool: 'none' }], x, [1, 1, 2, 2]);
    // channel 0: x + 1; channel 1: (x - 1) / 2
    expect(Array.from(out.f.data)).toEqual([2, 1, 3, 2]);
    expect(out.y.data[0]).toBeCloseTo(2 + 10 + 300 + 2000, 4);
  });

  it('pools a feature map by avg, max, GeM and avg+max', async () => {
    const t = topology(1, 3, 1, [['id', 'Activation', { activation: 'linear' }, ['in']]]);
    const pools = (['avg', 'max', 'gem', 'avgmax'] as const).map((pool) => ({ name: pool, layer: 'id', pool }));
    const { m, out } = await run(t, new Map(), pools, Float32Array.from([1, 2, 3]), [1, 1, 3, 1]);
    expect(m.outputs.map((o) => o.dims)).toEqual([['N', 1], ['N', 1], ['N', 1], ['N', 2]]);
    expect(out.avg.data[0]).toBeCloseTo(2, 6);
    expect(out.max.data[0]).toBe(3);
    expect(out.gem.data[0]).toBeCloseTo(((1 + 8 + 27) / 3) ** (1 / 3), 5);
    expect(Array.from(out.avgmax.data)).toEqual([2, 3]);
  });

  it('rejects an unknown layer class, naming the class and the layer', () => {
    const t = topology(4, 4, 1, [['warp', 'Lambda', {}, ['in']]]);
    try {
      convertKerasModel(t, new Map(), { outputs: [{ name: 'y', layer: 'warp', pool: 'avg' }] });
      expect.unreachable();
    } catch (err) {
      expect(isRosettaError(err, 'MODEL_INVALID')).toBe(true);
      expect((err as Error).message).toMatch(/layer class 'Lambda' is not supported \(layer 'warp'\)/);
    }
  });

  it('rejects a missing weight and an output layer the model lacks', () => {
    const t = topology(4, 4, 1, [['conv', 'Conv2D', { kernel_size: [1, 1], padding: 'valid', use_bias: false }, ['in']]]);
    expect(() => convertKerasModel(t, new Map(), { outputs: [{ name: 'y', layer: 'conv', pool: 'avg' }] })).toThrowError(/weight 'conv\/kernel' is missing/);
    expect(() => convertKerasModel(t, new Map(), { outputs: [{ name: 'y', layer: 'nope', pool: 'avg' }] })).toThrowError(/names layer 'nope'/);
  });

  it('takes uint8 pixels with pixelInput and scales each channel before the first layer', async () => {
    // A 1x1 convolution that keeps each channel: the output is the scaled input itself.
    const t = topology(2, 2, 3, [['conv', 'Conv2D', { kernel_size: [1, 1], padding: 'valid', use_bias: false }, ['in']]]);
    const w = weights([['conv/kernel', [1, 1, 3, 3], [1, 0, 0, 0, 1, 0, 0, 0, 1]]]);
    const pixelInput = { multiply: [1, 2, 1], subtract: [127.5, 0, -3], divide: [127.5, 1, 4] };
    const m = convertKerasModel(t, w, { outputs: [{ name: 'y', layer: 'conv', pool: 'none' }], pixelInput });
    const session = await OnnxSession.create(m.bytes);
    const x = Uint8Array.from([0, 10, 20, 255, 1, 2, 128, 0, 255, 7, 8, 9]);
    const out = await session.run({ image: { data: x, dims: [1, 2, 2, 3] } });
    await session.close();
    const c = (i: number) => i % 3;
    const expected = Array.from(x, (v, i) => Math.fround((v * pixelInput.multiply[c(i)] - pixelInput.subtract[c(i)]) / pixelInput.divide[c(i)]));
    expect(out.y.dims).toEqual([1, 2, 2, 3]);
    expect(Array.from(out.y.data)).toEqual(expected);
  });

  it('rejects pixelInput without one finite value per channel, or a divide of 0', () => {
    const t = topology(2, 2, 3, [['conv', 'Conv2D', { kernel_size: [1, 1], padding: 'valid', use_bias: false }, ['in']]]);
    const w = weights([['conv/kernel', [1, 1, 3, 1], [1, 1, 1]]]);
    const ok = { multiply: [1, 1, 1], subtract: [0, 0, 0], divide: [1, 1, 1] };
    const convert = (patch: Partial<typeof ok>) => () =>
      convertKerasModel(t, w, { outputs: [{ name: 'y', layer: 'conv', pool: 'none' }], pixelInput: { ...ok, ...patch } });
    expect(convert({})).not.toThrow();
    expect(convert({ multiply: [1, 1] })).toThrowError(/pixelInput.multiply must hold 3 finite numbers/);
    expect(convert({ subtract: [0, NaN, 0] })).toThrowError(/pixelInput.subtract must hold 3 finite numbers/);
    expect(convert({ divide: [1, 0, 1] })).toThrowError(/pixelInput.divide must hold 3 finite numbers \(one per channel, none 0\)/);
  });
});
