import { describe, expect, it } from 'vitest';
import { isRosettaError } from '../errors.ts';
import { decodeWeights } from './weights.ts';

describe('decodeWeights', () => {
  it('dequantizes uint8 as min + q * scale and reads float32 and float16 as stored', () => {
    const f32 = new Float32Array([1.5, -2]);
    const data = new Uint8Array([0, 10, 255, ...new Uint8Array(f32.buffer), 0x00, 0x3c, 0x00, 0xc0]);
    const w = decodeWeights(
      [
        { name: 'a/kernel', shape: [3], dtype: 'float32', quantization: { dtype: 'uint8', min: -1, scale: 0.5 } },
        { name: 'b/bias', shape: [2], dtype: 'float32' },
        { name: 'c/gamma', shape: [2], dtype: 'float32', quantization: { dtype: 'float16' } },
      ],
      data,
    );
    expect(Array.from(w.get('a/kernel')!.values)).toEqual([-1, 4, 126.5]);
    expect(Array.from(w.get('b/bias')!.values)).toEqual([1.5, -2]);
    expect(Array.from(w.get('c/gamma')!.values)).toEqual([1, -2]);
  });

  it('rejects weight data shorter than the manifest with MODEL_INVALID', () => {
    const err = (() => {
      try {
        decodeWeights([{ name: 'a/kernel', shape: [4], dtype: 'float32' }], new Uint8Array(8));
      } catch (e) {
        return e;
      }
    })();
    expect(isRosettaError(err, 'MODEL_INVALID')).toBe(true);
    expect((err as Error).message).toMatch(/'a\/kernel' needs bytes 0\.\.16/);
  });

  it('rejects leftover bytes the manifest does not describe', () => {
    expect(() => decodeWeights([{ name: 'a', shape: [1], dtype: 'float32' }], new Uint8Array(5))).toThrowError(/describes 4 bytes but the shards hold 5/);
  });
});
