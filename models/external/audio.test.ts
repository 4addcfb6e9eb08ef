import { describe, expect, it } from 'vitest';
import { fitSamples, windowLength } from './audio.ts';

describe('fitSamples', () => {
  it('keeps the first `length` samples of a longer clip', () => {
    expect(fitSamples(Float32Array.of(1, 2, 3, 4), 3, 'zero')).toEqual(Float32Array.of(1, 2, 3));
  });
  it('pads a shorter clip with silence', () => {
    expect(fitSamples(Float32Array.of(1, 2), 5, 'zero')).toEqual(Float32Array.of(1, 2, 0, 0, 0));
  });
  it('pads a shorter clip by repeating it', () => {
    expect(fitSamples(Float32Array.of(1, 2), 5, 'repeat')).toEqual(Float32Array.of(1, 2, 1, 2, 1));
  });
  it('pads an empty clip with silence even when asked to repeat', () => {
    expect(fitSamples(new Float32Array(0), 3, 'repeat')).toEqual(new Float32Array(3));
  });
  it('does not alias the caller’s buffer', () => {
    const input = Float32Array.of(1, 2, 3);
    fitSamples(input, 3, 'zero')[0] = 9;
    expect(input[0]).toBe(1);
  });
});

describe('windowLength', () => {
  it('is sampleRate x seconds, rounded', () => {
    expect(windowLength({ sampleRate: 48_000, seconds: 10 })).toBe(480_000);
    expect(windowLength({ sampleRate: 16_000, seconds: 0.1 })).toBe(1600);
  });
});
