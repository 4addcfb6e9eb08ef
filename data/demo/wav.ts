/**
 * A 16-bit mono PCM WAV file from samples. Written here because the format is a 44-byte header
 * and none of our dependencies writes WAV (audio-decode only reads; jsfxr writes its own).
 */

/**
 * @example pcm16Wav(new Int16Array([0, 1000, -1000]), 16_000).length // 50
 */
export function pcm16Wav(samples: Int16Array, rate: number): Buffer {
  const buf = Buffer.alloc(44 + samples.length * 2);
  buf.write('RIFF', 0);
  buf.writeUInt32LE(36 + samples.length * 2, 4);
  buf.write('WAVE', 8);
  buf.write('fmt ', 12);
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20);
  buf.writeUInt16LE(1, 22);
  buf.writeUInt32LE(rate, 24);
  buf.writeUInt32LE(rate * 2, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36);
  buf.writeUInt32LE(samples.length * 2, 40);
  samples.forEach((v, i) => buf.writeInt16LE(v, 44 + i * 2));
  return buf;
}

/**
 * Floats in about [-1, 1] as 16-bit samples, scaled so the loudest is at `peak` of full scale
 * (a sound built from parts of unknown sum then neither clips nor whispers).
 * @example toPcm16(new Float64Array([0, 2, -1]), 0.5) // Int16Array [0, 16384, -8192]
 */
export function toPcm16(samples: Float64Array, peak: number): Int16Array {
  let max = 0;
  for (const v of samples) max = Math.max(max, Math.abs(v));
  const gain = max > 0 ? (peak * 32767) / max : 0;
  return Int16Array.from(samples, (v) => Math.max(-32768, Math.min(32767, Math.round(v * gain))));
}
