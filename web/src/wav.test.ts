/** The browser's WAV encoder must write files the server's own decoder reads back. */
import { afterAll, describe, expect, it } from 'vitest';
import { closeDecoderPool, decodeAudio } from '../../models/audio/index.ts';
import { encodeWav } from './wav.ts';

afterAll(async () => {
  await closeDecoderPool();
});

describe('encodeWav', () => {
  it('writes a 16-bit mono PCM header with the right sizes', () => {
    const wav = new DataView(encodeWav([new Float32Array(10)], 22_050));
    const ascii = (at: number) => String.fromCharCode(...new Uint8Array(wav.buffer, at, 4));
    expect(wav.byteLength).toBe(44 + 20);
    expect([ascii(0), ascii(8), ascii(12), ascii(36)]).toEqual(['RIFF', 'WAVE', 'fmt ', 'data']);
    expect(wav.getUint32(4, true)).toBe(36 + 20);
    expect([wav.getUint16(20, true), wav.getUint16(22, true), wav.getUint32(24, true), wav.getUint16(34, true)]).toEqual([1, 1, 22_050, 16]);
    expect(wav.getUint32(40, true)).toBe(20);
  });

  it('mixes channels to mono, clips to [-1, 1], and decodes back within one 16-bit step', async () => {
    const rate = 16_000;
    const left = Float32Array.from({ length: rate / 2 }, (_, i) => 0.8 * Math.sin((2 * Math.PI * 440 * i) / rate));
    const right = Float32Array.from({ length: rate / 2 }, (_, i) => 0.4 * Math.sin((2 * Math.PI * 660 * i) / rate));
    right[0] = 5; // out of range: clipped, not wrapped
    left[0] = 5;
    const wav = encodeWav([left, right], rate);
    const decoded = await decodeAudio({ name: 'browser.wav', data: Buffer.from(wav) }, { sampleRate: rate });
    expect(decoded.sampleRate).toBe(rate);
    expect(decoded.samples.length).toBe(left.length);
    expect(decoded.samples[0]).toBeCloseTo(1, 3);
    let worst = 0;
    for (let i = 1; i < left.length; i++) worst = Math.max(worst, Math.abs(decoded.samples[i] - (left[i] + right[i]) / 2));
    expect(worst).toBeLessThan(1.5 / 32_768);
  });

  it('writes an empty data chunk for no samples', () => {
    expect(encodeWav([], 8000).byteLength).toBe(44);
  });
});
