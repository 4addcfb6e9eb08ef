// Turns TF.js weight bytes into float32 arrays, undoing the converter's quantization.
import { RosettaError } from '../errors.ts';
import type { WeightSpec } from './artifacts.ts';

export interface KerasWeight {
  name: string;
  shape: number[];
  values: Float32Array;
}

const bytesPer: Record<string, number> = { uint8: 1, uint16: 2, float16: 2, float32: 4, int32: 4, bool: 1 };

/**
 * Decodes every weight in `specs` from `data` (bytes laid out back to back in spec order).
 * Quantized uint8/uint16 weights become `min + q * scale`, computed in double precision and
 * rounded to float32 exactly as tfjs-core's `decodeWeights` does, so our values are bit-equal.
 *
 * @example
 * const w = decodeWeights(a.weightSpecs, a.weightData);
 * w.get('Conv1/kernel') // { name, shape: [3, 3, 3, 32], values: Float32Array(864) }
 */
export function decodeWeights(specs: readonly WeightSpec[], data: Uint8Array): Map<string, KerasWeight> {
  const out = new Map<string, KerasWeight>();
  let offset = 0;
  for (const spec of specs) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    const stored = spec.quantization?.dtype ?? spec.dtype;
    const size = bytesPer[stored];
    if (size === undefined) {
      throw new RosettaError('MODEL_INVALID', `weight '${spec.name}' is stored as unsupported type '${stored}'`);
    }
    if (spec.dtype !== 'float32') {
      throw new RosettaError('MODEL_INVALID', `weight '${spec.name}' has dtype '${spec.dtype}'; only float32 is supported`);
    }
    const byteLength = count * size;
    if (offset + byteLength > data.byteLength) {
      throw new RosettaError(
        'MODEL_INVALID',
        `weight data ends at byte ${data.byteLength} but '${spec.name}' needs bytes ${offset}..${offset + byteLength}`,
      );
    }
    // Copy so typed views are aligned regardless of where the weight starts.
    const bytes = data.slice(offset, offset + byteLength);
    offset += byteLength;
    out.set(spec.name, { name: spec.name, shape: [...spec.shape], values: decodeOne(spec, stored, bytes, count) });
  }
  if (offset !== data.byteLength) {
    throw new RosettaError(
      'MODEL_INVALID',
      `weight manifest describes ${offset} bytes but the shards hold ${data.byteLength}`,
    );
  }
  return out;
}

function decodeOne(spec: WeightSpec, stored: string, bytes: Uint8Array, count: number): Float32Array {
  const values = new Float32Array(count);
  if (stored === 'uint8' || stored === 'uint16') {
    const { min, scale } = spec.quantization ?? {};
    if (typeof min !== 'number' || typeof scale !== 'number') {
      throw new RosettaError('MODEL_INVALID', `quantized weight '${spec.name}' lacks min/scale`);
    }
    const q = stored === 'uint8' ? bytes : new Uint16Array(bytes.buffer, bytes.byteOffset, count);
    for (let i = 0; i < count; i++) values[i] = q[i] * scale + min;
  } else if (stored === 'float16') {
    const h = new Uint16Array(bytes.buffer, bytes.byteOffset, count);
    for (let i = 0; i < count; i++) values[i] = halfToFloat(h[i]);
  } else {
    values.set(new Float32Array(bytes.buffer, bytes.byteOffset, count));
  }
  return values;
}

// Node 20 has no Float16Array; IEEE 754 binary16 by hand.
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}
