import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeAudio } from './decode.ts';
import { audioDescriptorParams } from './descriptor.ts';
import { analyseFrames } from './features.ts';
import { closeDecoderPool } from './pool.ts';

const analyse = async (name: string): Promise<ReturnType<typeof analyseFrames>> => {
  const data = readFileSync(new URL(`../../test/fixtures/audio/${name}`, import.meta.url));
  const audio = await decodeAudio({ name, data });
  return analyseFrames(audio.samples, audioDescriptorParams.analysis);
};
const count = (onsets: Uint8Array): number => onsets.reduce((a, b) => a + b, 0);

afterAll(closeDecoderPool);

describe('analyseFrames', () => {
  it('counts the 8 bursts of a 4 Hz click train as 8 onsets, and none in a steady tone or noise', async () => {
    expect(count((await analyse('clicks-4hz.wav')).onsets)).toBe(8);
    expect(count((await analyse('tone-1k.wav')).onsets)).toBe(0);
    expect(count((await analyse('noise.wav')).onsets)).toBe(0);
  });

  it('puts a 1 kHz tone at a centroid and rolloff near 1 kHz, and silence at zero with flatness 1', async () => {
    const tone = await analyse('tone-1k.wav');
    const mid = Math.floor(tone.frames / 2);
    expect(tone.centroid[mid] * 8000).toBeGreaterThan(900);
    expect(tone.centroid[mid] * 8000).toBeLessThan(1100);
    expect(tone.rolloff[mid] * 8000).toBeLessThan(1100);
    // 1 kHz at 16 kHz crosses zero 2000 times a second: 1/8 of sample pairs.
    expect(tone.zcr[mid]).toBeCloseTo(0.125, 2);
    const silence = await analyse('silence.wav');
    expect(silence.rmsDb[5]).toBeCloseTo(-100, 3);
    expect(silence.centroid[5]).toBe(0);
    expect(silence.flatness[5]).toBeCloseTo(1, 6);
    expect(count(silence.onsets)).toBe(0);
  });

  it('finds white-ish noise flatter than a tone', async () => {
    const noise = await analyse('noise.wav');
    const tone = await analyse('tone-1k.wav');
    expect(noise.flatness[20]).toBeGreaterThan(10 * tone.flatness[20]);
  });
});
