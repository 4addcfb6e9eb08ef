import { readFileSync } from 'node:fs';
import FFT from 'fft.js';
import { afterAll, describe, expect, it } from 'vitest';
import {
  AUDIO_DESCRIPTOR_DIM,
  audioDescriptor,
  closeDecoderPool,
  createAudioEncoder,
  decodeAudio,
  sniffAudioType,
  type DecodedAudio,
} from '../models/audio/index.ts';
import { isRosettaError, type ErrorCode } from '../models/errors.ts';
import type { MediaInput } from '../models/types.ts';

const dir = new URL('./fixtures/audio/', import.meta.url);
const fixture = (name: string): MediaInput => ({ name, data: readFileSync(new URL(name, dir)) });
const decode = (name: string, options?: Parameters<typeof decodeAudio>[1]): Promise<DecodedAudio> => decodeAudio(fixture(name), options);

afterAll(closeDecoderPool);

/** Expects `p` to reject with a RosettaError of `code` whose message names `name` and matches `reason`. */
async function expectRejects(p: Promise<unknown>, code: ErrorCode, name: string, reason: RegExp): Promise<void> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(isRosettaError(err), `expected a RosettaError, got ${String(err)}`).toBe(true);
  if (!isRosettaError(err)) return;
  expect(err.code).toBe(code);
  expect(err.message).toContain(name);
  expect(err.message).toMatch(reason);
}

function peakHz(samples: Float32Array, rate: number, n = 8192): number {
  const f = new FFT(n);
  const input = new Float64Array(n);
  const offset = Math.max(0, Math.floor((samples.length - n) / 2));
  for (let i = 0; i < n && offset + i < samples.length; i++) {
    input[i] = samples[offset + i] * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n));
  }
  const out = new Float64Array(2 * n);
  f.realTransform(out, input);
  let best = 1;
  for (let k = 1; k <= n / 2; k++) {
    if (Math.hypot(out[2 * k], out[2 * k + 1]) > Math.hypot(out[2 * best], out[2 * best + 1])) best = k;
  }
  return (best * rate) / n;
}

function rms(x: Float32Array): number {
  let s = 0;
  for (const v of x) s += v * v;
  return Math.sqrt(s / x.length);
}

function cosine(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    d += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return d / Math.sqrt(na * nb);
}

/** A PCM WAV header for `dataBytes` bytes of audio (which the caller may or may not append). */
function wavHeader(o: { rate: number; channels: number; bits: number; dataBytes: number; tag?: number }): Buffer {
  const h = Buffer.alloc(44);
  const block = (o.channels * o.bits) / 8;
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE((36 + o.dataBytes) >>> 0, 4);
  h.write('WAVEfmt ', 8, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(o.tag ?? 1, 20);
  h.writeUInt16LE(o.channels, 22);
  h.writeUInt32LE(o.rate, 24);
  h.writeUInt32LE(o.rate * block, 28);
  h.writeUInt16LE(block, 32);
  h.writeUInt16LE(o.bits, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(o.dataBytes >>> 0, 40);
  return h;
}

describe('sniffing the committed fixtures', () => {
  it('types each file by its bytes, not its name', () => {
    expect(sniffAudioType(fixture('speech.wav').data)).toBe('wav');
    expect(sniffAudioType(fixture('speech.flac').data)).toBe('flac');
    expect(sniffAudioType(fixture('speech.ogg').data)).toBe('ogg');
    expect(sniffAudioType(fixture('speech.mp3').data)).toBe('mp3');
    expect(sniffAudioType(fixture('text-named.wav').data)).toBeNull();
  });

  it('decodes a FLAC file named .wav as FLAC', async () => {
    const a = await decodeAudio({ name: 'misnamed.wav', data: fixture('speech.flac').data });
    expect(a.duration).toBeCloseTo(1.249, 2);
  });
});

describe('decodeAudio: formats', () => {
  const cases: Array<[string, number]> = [
    ['speech.wav', 1.249],
    ['speech.flac', 1.249],
    ['speech.ogg', 1.249],
    ['tone-stereo.mp3', 3.0],
    ['stereo-44k-24bit.wav', 0.6],
    ['float32.wav', 1],
    ['pcm8.wav', 1],
    ['pcm32.wav', 1],
    ['tone-1k.wav', 1],
    ['long-30s.ogg', 30],
  ];
  for (const [name, seconds] of cases) {
    it(`decodes ${name} to ${seconds} s (±2%) of mono 16 kHz audio`, async () => {
      const a = await decode(name);
      expect(a.sampleRate).toBe(16000);
      expect(Math.abs(a.duration - seconds) / seconds).toBeLessThan(0.02);
      expect(Math.abs(a.samples.length - a.duration * 16000)).toBeLessThanOrEqual(1);
      expect(a.samples.every(Number.isFinite)).toBe(true);
    });
  }

  it('keeps a 1 kHz tone at 1 kHz', async () => {
    expect(Math.abs(peakHz((await decode('tone-1k.wav')).samples, 16000) - 1000)).toBeLessThan(4);
  });

  it('downmixes 44.1 kHz stereo (1 kHz left, 3 kHz right) to a mono mix of both at half level', async () => {
    const a = await decode('stereo-44k-24bit.wav');
    const n = 8192;
    const f = new FFT(n);
    const input = new Float64Array(n);
    for (let i = 0; i < Math.min(n, a.samples.length); i++) input[i] = a.samples[i] * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / a.samples.length));
    const out = new Float64Array(2 * n);
    f.realTransform(out, input);
    const mag = (hz: number): number => Math.hypot(out[2 * Math.round((hz * n) / 16000)], out[2 * Math.round((hz * n) / 16000) + 1]);
    expect(mag(3000) / mag(1000)).toBeGreaterThan(0.8);
    expect(mag(3000) / mag(1000)).toBeLessThan(1.25);
    expect(mag(2000) / mag(1000)).toBeLessThan(0.01);
    // Each channel is a 0.5 sine; their mean has rms 0.5 / 2 = 0.25.
    expect(rms(a.samples.subarray(800, 8800))).toBeCloseTo(0.25, 2);
  });

  it('reads 8-bit, 32-bit integer and 32-bit float PCM to the same level', async () => {
    for (const name of ['pcm8.wav', 'pcm32.wav', 'float32.wav']) {
      const a = await decode(name);
      expect(rms(a.samples.subarray(800, a.samples.length - 800)), name).toBeCloseTo(0.5 / Math.SQRT2, 1);
      expect(Math.abs(peakHz(a.samples, 16000) - 440), name).toBeLessThan(4);
    }
  });

  it('accepts a file truncated to 70% of its bytes with the audio that decodes', async () => {
    for (const [name, full] of [['truncated-70.wav', 2], ['truncated-70.flac', 2], ['truncated-70.ogg', 4], ['truncated-70.mp3', 3]] as const) {
      const a = await decode(name);
      expect(a.duration, name).toBeGreaterThan(0.4 * full);
      expect(a.duration, name).toBeLessThan(0.8 * full);
    }
  });

  it('decodes several files at once through the worker pool', async () => {
    const names = ['speech.ogg', 'speech.flac', 'speech.mp3', 'tone-stereo.mp3', 'long-30s.ogg', 'speech.wav'];
    const all = await Promise.all(names.map((n) => decode(n)));
    expect(all.map((a) => a.duration > 1)).toEqual(names.map(() => true));
  });
});

describe('decodeAudio: bad input', () => {
  it('rejects a zero-byte file with EMPTY_INPUT', async () => {
    await expectRejects(decode('empty.wav'), 'EMPTY_INPUT', 'empty.wav', /empty \(0 bytes\)/);
  });

  it('rejects a WAV whose data chunk is empty with EMPTY_INPUT', async () => {
    const data = wavHeader({ rate: 16000, channels: 1, bits: 16, dataBytes: 0 });
    await expectRejects(decodeAudio({ name: 'no-samples.wav', data }), 'EMPTY_INPUT', 'no-samples.wav', /no samples/);
  });

  it('rejects a text file named .wav with UNSUPPORTED_MEDIA saying it looks like text', async () => {
    await expectRejects(decode('text-named.wav'), 'UNSUPPORTED_MEDIA', 'text-named.wav', /looks like text/);
  });

  it('rejects a PNG with UNSUPPORTED_MEDIA saying it looks like a PNG image', async () => {
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64)]);
    await expectRejects(decodeAudio({ name: 'cat.png', data: png }), 'UNSUPPORTED_MEDIA', 'cat.png', /PNG image/);
  });

  it('rejects Ogg Opus and MP3-in-WAV with UNSUPPORTED_MEDIA', async () => {
    const ogg = Buffer.from(fixture('speech.ogg').data);
    ogg.write('OpusHead', 28, 'latin1');
    await expectRejects(decodeAudio({ name: 'voice.opus', data: ogg }), 'UNSUPPORTED_MEDIA', 'voice.opus', /Opus/);
    const mp3InWav = Buffer.concat([wavHeader({ rate: 16000, channels: 1, bits: 16, dataBytes: 64, tag: 0x55 }), Buffer.alloc(64)]);
    await expectRejects(decodeAudio({ name: 'odd.wav', data: mp3InWav }), 'UNSUPPORTED_MEDIA', 'odd.wav', /format tag 0x55/);
  });

  it('rejects garbage after an Ogg, FLAC or MP3 magic number with CORRUPT_MEDIA', async () => {
    await expectRejects(decode('garbage-after-magic.ogg'), 'CORRUPT_MEDIA', 'garbage-after-magic.ogg', /Ogg/);
    await expectRejects(decode('garbage-after-magic.flac'), 'CORRUPT_MEDIA', 'garbage-after-magic.flac', /STREAMINFO/);
    await expectRejects(decode('garbage-after-sync.mp3'), 'CORRUPT_MEDIA', 'garbage-after-sync.mp3', /MPEG audio frames/);
  });

  it('rejects header-only WAV and FLAC files with CORRUPT_MEDIA', async () => {
    await expectRejects(decode('header-only.wav'), 'CORRUPT_MEDIA', 'header-only.wav', /no audio could be decoded/);
    await expectRejects(decode('header-only.flac'), 'CORRUPT_MEDIA', 'header-only.flac', /no audio could be decoded/);
  });

  it('rejects a WAV cut to under half its stated length with CORRUPT_MEDIA', async () => {
    const whole = fixture('truncated-70.wav').data; // states 2 s
    const data = whole.subarray(0, 44 + 0.3 * 64000);
    await expectRejects(decodeAudio({ name: 'cut.wav', data }), 'CORRUPT_MEDIA', 'cut.wav', /truncated: only 0\.60 s of the 2\.00 s/);
  });

  it('rejects a Vorbis stream whose audio pages are garbage with CORRUPT_MEDIA', async () => {
    // Keep the header pages (granule position 0), overwrite every audio page with noise.
    const ogg = Buffer.from(fixture('speech.ogg').data);
    let p = 0;
    while (ogg.readBigInt64LE(p + 6) === 0n) p = ogg.indexOf('OggS', p + 1, 'latin1');
    for (let i = p; i < ogg.length; i++) ogg[i] = (i * 7919) & 0xff;
    await expectRejects(decodeAudio({ name: 'noise-pages.ogg', data: ogg }), 'CORRUPT_MEDIA', 'noise-pages.ogg', /no audio could be decoded/);
  });

  it('rejects a float WAV full of NaN with CORRUPT_MEDIA', async () => {
    const body = Buffer.alloc(4 * 1600);
    for (let i = 0; i < 1600; i++) body.writeFloatLE(Number.NaN, 4 * i);
    const data = Buffer.concat([wavHeader({ rate: 16000, channels: 1, bits: 32, dataBytes: body.length, tag: 3 }), body]);
    await expectRejects(decodeAudio({ name: 'nan.wav', data }), 'CORRUPT_MEDIA', 'nan.wav', /NaN/);
  });

  it('rejects a WAV header with 0 channels or a 0 Hz rate with CORRUPT_MEDIA', async () => {
    const data = Buffer.concat([wavHeader({ rate: 0, channels: 1, bits: 16, dataBytes: 32 }), Buffer.alloc(32)]);
    await expectRejects(decodeAudio({ name: 'zero-rate.wav', data }), 'CORRUPT_MEDIA', 'zero-rate.wav', /0 Hz/);
  });

  it('rejects a file over maxBytes with INPUT_TOO_LARGE', async () => {
    await expectRejects(decode('speech.wav', { maxBytes: 1000 }), 'INPUT_TOO_LARGE', 'speech.wav', /limit/);
  });

  it('rejects a WAV header declaring an absurd length with INPUT_TOO_LARGE, without reading it', async () => {
    const data = Buffer.concat([wavHeader({ rate: 8000, channels: 1, bits: 8, dataBytes: 0x7ffffff0 }), Buffer.alloc(800)]);
    await expectRejects(decodeAudio({ name: 'huge.wav', data }), 'INPUT_TOO_LARGE', 'huge.wav', /header says \d+ s, over the 600 s limit/);
  });

  it('rejects audio longer than maxSeconds with INPUT_TOO_LARGE for every format', async () => {
    await expectRejects(decode('long-30s.ogg', { maxSeconds: 10 }), 'INPUT_TOO_LARGE', 'long-30s.ogg', /over the 10 s limit/);
    await expectRejects(decode('tone-stereo.mp3', { maxSeconds: 1 }), 'INPUT_TOO_LARGE', 'tone-stereo.mp3', /limit/);
    await expectRejects(decode('speech.flac', { maxSeconds: 0.5 }), 'INPUT_TOO_LARGE', 'speech.flac', /limit/);
    // A FLAC that does not state its length is stopped while decoding.
    const flac = Buffer.from(fixture('speech.flac').data);
    flac[21] &= 0xf0;
    flac.writeUInt32BE(0, 22);
    await expectRejects(decodeAudio({ name: 'unknown-length.flac', data: flac }, { maxSeconds: 0.5 }), 'INPUT_TOO_LARGE', 'unknown-length.flac', /longer than the 0\.50 s limit/);
  });

  it('contains a decode that overruns its deadline (CORRUPT_MEDIA) and keeps working afterwards', async () => {
    await expectRejects(decode('long-30s.ogg', { timeoutMs: 1 }), 'CORRUPT_MEDIA', 'long-30s.ogg', /took longer than/);
    const a = await decode('speech.ogg');
    expect(a.duration).toBeCloseTo(1.249, 2);
  });

  it('answers 40 randomly damaged fixtures with audio or a RosettaError, never a crash or a hang', async () => {
    const names = ['speech.wav', 'speech.flac', 'speech.ogg', 'tone-stereo.mp3', 'stereo-44k-24bit.wav', 'float32.wav'];
    let seed = 12345;
    const rnd = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const codes = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const name = names[i % names.length];
      const data = Buffer.from(fixture(name).data);
      if (i % 3 === 0) {
        for (let k = 0; k < 20; k++) data[Math.floor(rnd() * data.length)] = Math.floor(rnd() * 256);
      } else if (i % 3 === 1) {
        for (let k = 0; k < 4; k++) data[Math.floor(rnd() * Math.min(64, data.length))] = Math.floor(rnd() * 256);
      } else {
        const start = Math.floor(rnd() * data.length);
        data.fill(0x5a, start, Math.min(data.length, start + 1500));
      }
      const outcome = await decodeAudio({ name: `${name}#${i}`, data }).then(
        (a) => (a.samples.every(Number.isFinite) ? 'ok' : 'non-finite'),
        (e: unknown) => (isRosettaError(e) ? e.code : `not a RosettaError: ${String(e)}`),
      );
      codes.add(outcome);
    }
    expect([...codes].every((c) => ['ok', 'CORRUPT_MEDIA', 'UNSUPPORTED_MEDIA', 'INPUT_TOO_LARGE', 'EMPTY_INPUT'].includes(c)), [...codes].join(', ')).toBe(true);
  });

  it('rejects bad options with INVALID_ARGUMENT', async () => {
    await expectRejects(decode('speech.wav', { sampleRate: 0 }), 'INVALID_ARGUMENT', 'sampleRate', /positive integer/);
  });
});

describe('descriptors of the fixtures', () => {
  const describeFile = async (name: string): Promise<Float32Array> => audioDescriptor(await decode(name));

  it('gives the same sound in WAV and FLAC a cosine > 0.99, and in Ogg and MP3 > 0.95', async () => {
    const wav = await describeFile('speech.wav');
    expect(cosine(wav, await describeFile('speech.flac'))).toBeGreaterThan(0.99);
    expect(cosine(wav, await describeFile('speech.ogg'))).toBeGreaterThan(0.95);
    expect(cosine(wav, await describeFile('speech.mp3'))).toBeGreaterThan(0.95);
  });

  it('keeps different sounds (tone, noise, speech, clicks) farther apart than formats of one sound', async () => {
    const [speech, speechOgg, tone, noise, clicks] = await Promise.all(['speech.wav', 'speech.ogg', 'tone-1k.wav', 'noise.wav', 'clicks-4hz.wav'].map(describeFile));
    const same = cosine(speech, speechOgg);
    for (const [a, b] of [[speech, tone], [speech, noise], [tone, noise], [speech, clicks], [tone, clicks], [noise, clicks]]) {
      expect(cosine(a, b)).toBeLessThan(same - 0.3);
    }
  });

  it('is finite and of fixed length for silence and a truncated file', async () => {
    for (const name of ['silence.wav', 'truncated-70.ogg', 'clicks-4hz.wav']) {
      const d = await describeFile(name);
      expect(d.length).toBe(AUDIO_DESCRIPTOR_DIM);
      expect(d.every(Number.isFinite), name).toBe(true);
    }
  });

  it('uses all of a 30 s clip: its descriptor differs from that of its first half', async () => {
    const full = await decode('long-30s.ogg');
    const half = { samples: full.samples.slice(0, 15 * 16000), sampleRate: 16000, duration: 15 };
    const a = audioDescriptor(full);
    const b = audioDescriptor(half);
    expect(cosine(a, b)).toBeLessThan(0.95);
    // The window maxima see the noise half; the first half alone has none of it.
    let diff = 0;
    for (let i = 271; i < 542; i++) diff += Math.abs(a[i] - b[i]);
    expect(diff / 271).toBeGreaterThan(0.2);
  });
});

describe('createAudioEncoder', () => {
  const encoder = createAudioEncoder();

  it('describes itself', () => {
    expect(encoder.modality).toBe('audio');
    expect(encoder.kind).toBe('dense');
    expect(encoder.dim).toBe(AUDIO_DESCRIPTOR_DIM);
    expect(encoder.identity.name).toBe('audio-descriptor');
    expect(encoder.identity.version).toBe('1');
    expect(encoder.identity.weightsHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('encodes a batch of mixed formats to one finite row each, equal to prepare + run', async () => {
    const batch = ['speech.wav', 'speech.ogg', 'tone-stereo.mp3', 'speech.flac'].map(fixture);
    const rows = await encoder.encode(batch);
    expect(rows.length).toBe(4);
    for (const r of rows) {
      expect(r.length).toBe(encoder.dim);
      expect(r.every(Number.isFinite)).toBe(true);
    }
    const prepared = await Promise.all(batch.map((b) => encoder.prepare(b)));
    const staged = await encoder.run(prepared);
    for (let i = 0; i < 4; i++) expect(Array.from(staged[i])).toEqual(Array.from(rows[i]));
  });

  it('gives encode() the same rows as decodeAudio + audioDescriptor in this thread, for WAV 16/44.1 kHz, mono/stereo', async () => {
    const names = ['speech.wav', 'stereo-44k-24bit.wav', 'tone-1k.wav', 'float32.wav', 'truncated-70.wav'];
    const rows = await encoder.encode(names.map(fixture));
    for (let i = 0; i < names.length; i++) {
      const direct = audioDescriptor(await decode(names[i]));
      expect(Array.from(rows[i]), names[i]).toEqual(Array.from(direct));
    }
  });

  it('refuses in encode() what decodeAudio refuses, with the same code and message', async () => {
    const nan = Buffer.alloc(4 * 1600);
    for (let i = 0; i < 1600; i++) nan.writeFloatLE(Number.NaN, 4 * i);
    const cut = fixture('truncated-70.wav').data;
    const inputs: MediaInput[] = [
      { name: 'nan.wav', data: Buffer.concat([wavHeader({ rate: 16000, channels: 1, bits: 32, dataBytes: nan.length, tag: 3 }), nan]) },
      { name: 'cut.wav', data: cut.subarray(0, 44 + 0.3 * 64000) },
      fixture('header-only.flac'),
      { name: 'no-samples.wav', data: wavHeader({ rate: 16000, channels: 1, bits: 16, dataBytes: 0 }) },
    ];
    for (const input of inputs) {
      const viaDecode = await decodeAudio(input, { sampleRate: 16000 }).then(() => null, (e: unknown) => e);
      const viaEncode = await encoder.encode([input]).then(() => null, (e: unknown) => e);
      if (!isRosettaError(viaDecode) || !isRosettaError(viaEncode)) throw new Error(`${input.name}: expected RosettaErrors, got ${String(viaDecode)} and ${String(viaEncode)}`);
      expect([viaEncode.code, viaEncode.message], input.name).toEqual([viaDecode.code, viaDecode.message]);
    }
  });

  it('rejects a batch naming its first bad input', async () => {
    const batch = ['speech.wav', 'text-named.wav', 'garbage-after-magic.ogg'].map(fixture);
    await expectRejects(encoder.encode(batch), 'UNSUPPORTED_MEDIA', 'text-named.wav', /looks like text/);
  });

  it('works again after close()', async () => {
    await encoder.close();
    const [row] = await encoder.encode([fixture('speech.ogg')]);
    expect(row.length).toBe(encoder.dim);
  });
});
