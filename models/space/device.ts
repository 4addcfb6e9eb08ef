// Which execution provider training will run on, decided before any encoding or fitting.
import { GraphBuilder } from '../onnxgraph/index.ts';
import { RosettaError, isRosettaError } from '../errors.ts';
import { OnnxSession, type Device } from '../runtime/index.ts';

/**
 * Opens a one-op session on `device` and says where it landed. An unavailable provider is
 * DEVICE_UNAVAILABLE for an explicit device; only 'auto' falls back: to cuda where it is
 * installed, else to the cpu. 'auto' never picks WebGPU, which trains slower than the CPU: on an
 * H200 machine the step ran at 0.46-0.67x the rate of that machine's 16 cores (issue 4's note,
 * test/bench/gpu/). onnxruntime-node cannot keep tensors on the GPU between runs, so every step
 * copies its parameters both ways, and the WebGPU provider copies at about 1.3 GiB/s. It stays
 * available by name.
 *
 * @example await probeDevice('auto') // 'cpu' on a machine without CUDA
 */
export async function probeDevice(device: Device): Promise<Exclude<Device, 'auto'>> {
  if (device === 'auto') {
    try {
      return await probeDevice('cuda');
    } catch (err) {
      if (!isRosettaError(err, 'DEVICE_UNAVAILABLE')) throw err;
      return probeDevice('cpu');
    }
  }
  const g = new GraphBuilder('rosetta-device-probe', { opset: 18 });
  const x = g.input('x', 'float32', ['N', 2]);
  g.output(g.op('MatMul', [x, g.initializer('w', Float32Array.of(1, 0, 0, 1), [2, 2])]), 'float32', ['N', 2], 'y');
  let session: OnnxSession;
  try {
    session = await OnnxSession.create(g.serialize(), { device });
  } catch (err) {
    if (isRosettaError(err, 'DEVICE_UNAVAILABLE')) {
      throw new RosettaError('DEVICE_UNAVAILABLE', `training device '${device}' is unavailable (${err.message}); use --device cpu, or --device auto to fall back`, { cause: err });
    }
    throw err;
  }
  try {
    // Some providers load but fail on first run (no adapter); a run proves the device works.
    await session.run({ x: { data: Float32Array.of(1, 2), dims: [1, 2] } });
  } catch (err) {
    await session.close();
    throw new RosettaError('DEVICE_UNAVAILABLE', `training device '${device}' failed to run a test graph: ${(err as Error).message}`, { cause: err });
  }
  const resolved = session.device;
  await session.close();
  return resolved;
}
