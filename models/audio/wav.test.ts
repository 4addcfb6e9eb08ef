import { readFileSync } from 'node:fs';
import decode from 'audio-decode';
import { describe, expect, it } from 'vitest';
import { downmix } from './decode-job.ts';
import { readPcmWav } from './wav.ts';

const fixture = (name: string): Buffer => readFileSync(new URL(`../../test/fixtures/audio/${name}`, import.meta.url));

/** A WAV file of `frames` frames whose sample k (interleaved) is `sample(k)`, written by `write`. */
function wav(o: { rate: number; channels: number; bits: number; tag: number; frames: number; write: (b: Buffer, at: number, k: number) => void; extra?: Buffer }): Buffer {
  const block = (o.channels * o.bits) / 8;
  const body = Buffer.alloc(o.frames * block);
  for (let k = 0; k < o.frames * o.channels; k++) o.write(body, (k * o.bits) / 8, k);
  const h = Buffer.alloc(36);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(28 + (o.extra?.length ?? 0) + 8 + body.length, 4);
  h.write('WAVEfmt ', 8, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(o.tag, 20);
  h.writeUInt16LE(o.channels, 22);
  h.writeUInt32LE(o.rate, 24);
  h.writeUInt32LE(o.rate * block, 28);
  h.writeUInt16LE(block, 32);
  h.writeUInt16LE(o.bits, 34);
  const data = Buffer.alloc(8);
  data.write('data', 0, 'latin1');
  data.writeUInt32LE(body.length, 4);
  return Buffer.concat([h, o.extra ?? Buffer.alloc(0), data, body]);
}

/** What audio-decode gives for the file, downmixed as decode-job.ts downmixes it. */
async function viaLibrary(bytes: Uint8Array): Promise<{ samples: Float32Array; sampleRate: number; channels: number }> {
  const r = await decode(bytes);
  return { samples: downmix(r.channelData), sampleRate: r.sampleRate, channels: r.channelData.length };
}

describe('readPcmWav', () => {
  it('gives the same samples, to the bit, as audio-decode plus the downmix for every WAV fixture', async () => {
    for (const name of ['speech.wav', 'stereo-44k-24bit.wav', 'float32.wav', 'pcm8.wav', 'pcm32.wav', 'tone-1k.wav', 'noise.wav', 'truncated-70.wav']) {
      const bytes = fixture(name);
      const mine = readPcmWav(bytes);
      const theirs = await viaLibrary(bytes);
      expect(mine, name).not.toBeNull();
      expect([mine!.sampleRate, mine!.channels, mine!.samples.length], name).toEqual([theirs.sampleRate, theirs.channels, theirs.samples.length]);
      expect(Buffer.from(mine!.samples.buffer).equals(Buffer.from(theirs.samples.buffer, theirs.samples.byteOffset, theirs.samples.byteLength)), name).toBe(true);
    }
  });

  it('matches audio-decode for 3-channel 16-bit, stereo float64 and an odd-sized chunk before the data', async () => {
    const cases = [
      wav({ rate: 8000, channels: 3, bits: 16, tag: 1, frames: 999, write: (b, at, k) => b.writeInt16LE(((k * 7919) % 65536) - 32768, at) }),
      wav({ rate: 22050, channels: 2, bits: 64, tag: 3, frames: 500, write: (b, at, k) => b.writeDoubleLE(Math.sin(k * 0.37) * 0.9, at) }),
    ];
    for (const bytes of cases) {
      const mine = readPcmWav(bytes)!;
      const theirs = await viaLibrary(bytes);
      expect(Array.from(mine.samples)).toEqual(Array.from(theirs.samples));
    }
    // A 3-byte LIST chunk is padded to 4 (RIFF); the data chunk after it must still be found.
    const padded = wav({ rate: 8000, channels: 1, bits: 16, tag: 1, frames: 10, write: (b, at, k) => b.writeInt16LE(1000 * k, at), extra: Buffer.from('LIST\x03\x00\x00\x00abc\x00', 'latin1') });
    expect(Array.from(readPcmWav(padded)!.samples).map((v) => Math.round(v * 32767))).toEqual(Array.from({ length: 10 }, (_, k) => 1000 * k));
  });

  it('reads a data chunk cut short as far as whole frames go, and counts NaN and the peak of float data', () => {
    const bytes = wav({ rate: 16000, channels: 1, bits: 32, tag: 3, frames: 100, write: (b, at, k) => b.writeFloatLE(k === 5 ? Number.NaN : k === 7 ? -3 : 0.25, at) });
    const cut = readPcmWav(bytes.subarray(0, bytes.length - 42))!;
    expect(cut.samples.length).toBe(89);
    expect(cut.nonFinite).toBe(1);
    expect(cut.peak).toBe(3);
  });

  it('leaves A-law, ADPCM and mismatched block sizes to audio-decode (null)', () => {
    const alaw = wav({ rate: 8000, channels: 1, bits: 8, tag: 6, frames: 10, write: () => {} });
    expect(readPcmWav(alaw)).toBeNull();
    const odd = wav({ rate: 8000, channels: 2, bits: 16, tag: 1, frames: 10, write: () => {} });
    odd.writeUInt16LE(6, 32);
    expect(readPcmWav(odd)).toBeNull();
    expect(readPcmWav(Buffer.from('RIFF\x00\x00\x00\x00WAVE', 'latin1'))).toBeNull();
  });
});
