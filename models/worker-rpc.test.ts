import { afterEach, describe, expect, it } from 'vitest';
import { isRosettaError } from './errors.ts';
import { WorkerRpc } from './worker-rpc.ts';

const entry = new URL('../test/fixtures/worker-rpc/serve.ts', import.meta.url);

describe('WorkerRpc', () => {
  const open: WorkerRpc[] = [];
  const start = () => {
    const rpc = new WorkerRpc(entry, { name: 'thread' }, 'test');
    open.push(rpc);
    return rpc;
  };
  afterEach(async () => {
    await Promise.all(open.splice(0).map((r) => r.close()));
  });

  it('answers calls made before the thread was up, with the data it was given', async () => {
    expect(await start().call('hello')).toBe('hello thread');
  });

  it('starts handlers in call order while their replies settle independently', async () => {
    const rpc = start();
    const done: number[] = [];
    await Promise.all([1, 2, 3].map((n) => rpc.call<number>('record', [n, n === 1 ? 60 : 0]).then((x) => done.push(x))));
    expect(await rpc.call('started')).toEqual([1, 2, 3]);
    expect(done).toEqual([2, 3, 1]);
  });

  it('carries typed arrays and RosettaError codes across; other errors become INTERNAL', async () => {
    const rpc = start();
    const data = await rpc.call<Float32Array>('bytes', [4]);
    expect(data).toBeInstanceOf(Float32Array);
    expect([...data]).toEqual([0.5, 0.5, 0.5, 0.5]);
    await expect(rpc.call('typed', ['cat'])).rejects.toSatisfy((e) => isRosettaError(e, 'NOT_FOUND') && /no cat here/.test((e as Error).message));
    await expect(rpc.call('untyped')).rejects.toSatisfy((e) => isRosettaError(e, 'INTERNAL') && /a bug/.test((e as Error).message));
    await expect(rpc.call('nothing')).rejects.toThrow(/no operation 'nothing'/);
    expect(await rpc.call('hello')).toBe('hello thread');
  });

  it('rejects what is pending and every later call once the thread is gone', async () => {
    const rpc = start();
    const slow = rpc.call('record', [1, 5_000]);
    await expect(rpc.call('exit')).rejects.toThrow(/test thread has exited/);
    await expect(slow).rejects.toThrow(/exited/);
    await expect(rpc.call('hello')).rejects.toThrow(/exited/);
  });

  it('close() lets calls already made finish, ends the thread and refuses later calls', async () => {
    const rpc = start();
    const slow = rpc.call<number>('record', [7, 100]);
    await rpc.close();
    expect(await slow).toBe(7);
    await rpc.close();
    await expect(rpc.call('hello')).rejects.toSatisfy((e) => isRosettaError(e, 'INTERNAL') && /test was used after close\(\)/.test((e as Error).message));
  });
});
