import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../onnxgraph/index.ts';
import { isRosettaError } from '../errors.ts';
import { OnnxSession } from './onnx.ts';

// y = relu(x · W): small enough to check by hand, big enough (N x 512 x 512) to take a while.
function model(dim: number): { bytes: Uint8Array; w: Float32Array } {
  const g = new GraphBuilder('relu-matmul');
  const x = g.input('x', 'float32', ['N', dim]);
  const w = Float32Array.from({ length: dim * dim }, (_, i) => Math.sin(i) / dim);
  g.output(g.op('Relu', [g.op('MatMul', [x, g.initializer('w', w, [dim, dim])])]), 'float32', ['N', dim], 'y');
  return { bytes: g.serialize(), w };
}

describe('OnnxSession', () => {
  it.each(['main', 'worker'] as const)('computes relu(x W) on the %s thread', async (thread) => {
    const { bytes, w } = model(4);
    const session = await OnnxSession.create(bytes, { thread, expectInputs: ['x'], expectOutputs: ['y'] });
    const x = Float32Array.from([1, -2, 3, 0.5, 0, 1, 0, -1]);
    const { y } = await session.run({ x: { data: x, dims: [2, 4] } });
    expect(y.dims).toEqual([2, 4]);
    for (let r = 0; r < 2; r++)
      for (let c = 0; c < 4; c++) {
        let v = 0;
        for (let k = 0; k < 4; k++) v += x[r * 4 + k] * w[k * 4 + c];
        expect(y.data[r * 4 + c]).toBeCloseTo(Math.max(0, v), 5);
      }
    // The caller's input is copied to the worker, not moved: it stays usable.
    expect(x[1]).toBe(-2);
    await session.close();
  });

  it.each(['main', 'worker'] as const)('reports the declared input shapes on the %s thread: names for symbolic axes', async (thread) => {
    const session = await OnnxSession.create(model(4).bytes, { thread });
    expect(session.inputShapes).toEqual({ x: ['N', 4] });
    await session.close();
  });

  it('moves a feed marked transfer to the worker instead of copying it, with the same result', async () => {
    const { bytes } = model(4);
    const session = await OnnxSession.create(bytes, { thread: 'worker' });
    const copied = Float32Array.from([1, -2, 3, 0.5]);
    const moved = copied.slice();
    const a = await session.run({ x: { data: copied, dims: [1, 4] } });
    const b = await session.run({ x: { data: moved, dims: [1, 4], transfer: true } });
    expect([...b.y.data]).toEqual([...a.y.data]);
    expect(copied.length).toBe(4);
    // Moved: the caller's array is detached.
    expect(moved.length).toBe(0);
    await session.close();
  });

  it('keeps the main thread free while a worker session runs', async () => {
    const { bytes } = model(512);
    const session = await OnnxSession.create(bytes, { thread: 'worker', intraOpThreads: 1 });
    const x = new Float32Array(2048 * 512).fill(0.5);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const started = performance.now();
    for (let i = 0; i < 4; i++) await session.run({ x: { data: x, dims: [2048, 512] } });
    const elapsed = performance.now() - started;
    clearInterval(timer);
    // A timer that fires about once per millisecond fired for a good share of the run.
    expect(ticks).toBeGreaterThan(elapsed / 10);
    await session.close();
  });

  it('rejects a model without the expected input with MODEL_INVALID naming both', async () => {
    const err = await OnnxSession.create(model(4).bytes, { thread: 'worker', expectInputs: ['pixel_values'] }).catch((e: unknown) => e);
    expect(isRosettaError(err, 'MODEL_INVALID')).toBe(true);
    expect((err as Error).message).toMatch(/no input named pixel_values \(it has: x\)/);
  });

  it('rejects bytes that are not an ONNX model with MODEL_INVALID', async () => {
    const err = await OnnxSession.create(new Uint8Array([1, 2, 3, 4]), { thread: 'worker' }).catch((e: unknown) => e);
    expect(isRosettaError(err, 'MODEL_INVALID')).toBe(true);
  });

  it("writes ONNX Runtime's per-operator profile on close, naming each node's provider", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rosetta-profile-'));
    try {
      const session = await OnnxSession.create(model(4).bytes, { profile: join(dir, 'step') });
      for (let i = 0; i < 3; i++) await session.run({ x: { data: new Float32Array(8), dims: [2, 4] } });
      await session.close();
      const files = await readdir(dir);
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(/^step_.*\.json$/);
      const events = JSON.parse(await readFile(join(dir, files[0]), 'utf8')) as { cat: string; name: string; args?: { op_name?: string; provider?: string } }[];
      expect(events.filter((e) => e.cat === 'Session' && e.name === 'model_run')).toHaveLength(3);
      const matmul = events.find((e) => e.cat === 'Node' && e.args?.op_name === 'MatMul');
      expect(matmul?.args?.provider).toBe('CPUExecutionProvider');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a profile of a worker-thread session with INVALID_ARGUMENT', async () => {
    const err = await OnnxSession.create(model(4).bytes, { thread: 'worker', profile: join(tmpdir(), 'never') }).catch((e: unknown) => e);
    expect(isRosettaError(err, 'INVALID_ARGUMENT')).toBe(true);
    expect((err as Error).message).toMatch(/profile is only available for sessions on the main thread/);
  });

  it('reports an unavailable execution provider as DEVICE_UNAVAILABLE, not a silent CPU fallback', async () => {
    const err = await OnnxSession.create(model(4).bytes, { device: 'cuda' }).catch((e: unknown) => e);
    expect(isRosettaError(err, 'DEVICE_UNAVAILABLE')).toBe(true);
    expect((err as Error).message).toMatch(/device 'cuda' is unavailable/);
  });
});

describe('OnnxSession on a worker, in a process that has nothing else to do', () => {
  it('closes cleanly: the process exits 0 after an awaited close()', async () => {
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const script = `
      import { OnnxSession } from './models/runtime/index.ts';
      import { GraphBuilder } from './models/onnxgraph/index.ts';
      const g = new GraphBuilder('id');
      g.output(g.op('Relu', [g.input('x', 'float32', [1])]), 'float32', [1], 'y');
      const s = await OnnxSession.create(g.serialize(), { thread: 'worker' });
      const { y } = await s.run({ x: { data: new Float32Array([2]), dims: [1] } });
      await s.close();
      console.log('y=' + y.data[0]);
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: new URL('../..', import.meta.url).pathname,
    });
    expect(stdout.trim()).toBe('y=2');
  });
});
