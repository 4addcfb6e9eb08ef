// The fixed costs of onnxruntime-node's WebGPU provider that bound any training design on it
// (models/README.md, "Training on a GPU"): the time to copy a tensor up and back (an Identity
// graph, by size), and the host time per kernel (a chain of small Adds), with Dawn's validation
// at ONNX Runtime's default and switched off. A diagnostic: it talks to onnxruntime-node
// directly, because the provider options it varies are not part of Rosetta's session options.
//   npx tsx test/bench/gpu/webgpu-costs.ts [--device webgpu]
import * as ort from 'onnxruntime-node';
import { parseArgs } from 'node:util';
import { GraphBuilder } from '../../../models/onnxgraph/index.ts';
import { median, timeRuns } from '../timing.ts';

const { values } = parseArgs({ options: { device: { type: 'string', default: 'webgpu' }, repeats: { type: 'string', default: '15' } } });
const repeats = Number(values.repeats);

function identity(): Uint8Array {
  const g = new GraphBuilder('copy', { opset: 18 });
  g.output(g.op('Identity', [g.input('x', 'float32', ['N'])]), 'float32', ['N'], 'y');
  return g.serialize();
}

function addChain(nodes: number): Uint8Array {
  const g = new GraphBuilder('adds', { opset: 18 });
  let v = g.input('x', 'float32', [256]);
  const one = g.initializer('one', Float32Array.of(1), [1]);
  for (let i = 0; i < nodes; i++) v = g.op('Add', [v, one]);
  g.output(v, 'float32', [256], 'y');
  return g.serialize();
}

async function time(model: Uint8Array, provider: ort.InferenceSession.ExecutionProviderConfig, x: Float32Array): Promise<number> {
  const session = await ort.InferenceSession.create(model, { executionProviders: [provider], graphOptimizationLevel: 'disabled' });
  const feeds = { x: new ort.Tensor('float32', x, [x.length]) };
  const run = async () => {
    const out = await session.run(feeds);
    if ((out.y.data as Float32Array).length !== x.length) throw new Error('wrong output size');
  };
  await timeRuns(2, run); // warm-up: shader compiles and buffer pools
  const ms = await timeRuns(repeats, run);
  await session.release();
  return median(ms);
}

const providers: [string, ort.InferenceSession.ExecutionProviderConfig][] =
  values.device === 'cpu'
    ? [['cpu', 'cpu']]
    : [
        ['webgpu, validation default', 'webgpu'],
        ['webgpu, validation disabled', { name: 'webgpu', validationMode: 'disabled' } as ort.InferenceSession.ExecutionProviderConfig],
      ];
for (const [label, provider] of providers) {
  for (const mib of [0.001, 1, 8, 64]) {
    const x = Float32Array.from({ length: Math.round((mib * 1048576) / 4) }, (_, i) => Math.sin(i));
    const ms = await time(identity(), provider, x);
    console.log(`${label}: copy ${mib} MiB up and back: ${ms.toFixed(2)} ms median${mib >= 1 ? ` (${((2 * mib) / 1024 / (ms / 1000)).toFixed(2)} GiB/s counting both ways)` : ''}`);
  }
  const x = Float32Array.from({ length: 256 }, (_, i) => i);
  const [short, long] = [await time(addChain(10), provider, x), await time(addChain(160), provider, x)];
  console.log(`${label}: 10 Adds ${short.toFixed(2)} ms, 160 Adds ${long.toFixed(2)} ms: ${(((long - short) / 150) * 1000).toFixed(0)} us per kernel`);
}
