/*
 * A direct reader for uncompressed WAV (integer PCM 8/16/24/32-bit, float 32/64), which
 * downmixes while it reads. audio-decode reads the same files, but through per-channel arrays,
 * a downmix pass, a pass for the statistics and a join: bench.ts's decode stage took 10-20 CPU
 * ms for 10 s of 44.1 kHz stereo that way and takes 3-4 ms here (16 kHz mono: about 3 -> 1.5).
 * Sample values are the same to the bit (wav.test.ts): integer PCM is scaled as
 * audio-decode scales it (negatives by 2^-(bits-1), positives by 1 / (2^(bits-1) - 1)) and
 * channels are summed and averaged in float32 steps as decode-job.ts's downmix does.
 *
 * Anything else (A-law, mu-law, ADPCM, a block size that does not match the channels and bit
 * depth, a big-endian host) is left to audio-decode: readPcmWav returns null.
 */

/** What decoding produced: mono samples at the source rate and what the checks need. */
export interface MonoPcm {
  /** The mean of the channels, at `sampleRate`. */
  samples: Float32Array;
  sampleRate: number;
  channels: number;
  /** NaN or infinite values among the samples (float WAVs only). */
  nonFinite: number;
  /** Largest |sample|. */
  peak: number;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Float32 value of each 8- and 16-bit code, as audio-decode builds them. */
let u8Table: Float32Array | null = null;
let s16Table: Float32Array | null = null;

function table(codes: number, value: (u: number) => number, neg: number, pos: number): Float32Array {
  const t = new Float32Array(codes);
  for (let u = 0; u < codes; u++) {
    const v = value(u);
    t[u] = v < 0 ? v / neg : v / pos;
  }
  return t;
}

interface Format {
  float: boolean;
  channels: number;
  rate: number;
  bits: number;
  blockAlign: number;
}

/**
 * Mono samples of an uncompressed WAV, or null when this reader does not handle its codec.
 * A data chunk that runs past the end of the file is read as far as it goes (whole frames).
 *
 * @example
 * readPcmWav(bytes) // { samples: Float32Array(160000), sampleRate: 16000, channels: 1, nonFinite: 0, peak: 0.5 }
 */
export function readPcmWav(bytes: Uint8Array): MonoPcm | null {
  if (!LITTLE_ENDIAN || bytes.length < 12) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let fmt: Format | null = null;
  let pos = 12;
  for (let chunks = 0; pos + 8 <= bytes.length && chunks < 10_000; chunks++) {
    const id = view.getUint32(pos, false);
    const size = view.getUint32(pos + 4, true);
    if (id === FMT_ID) {
      if (size < 16 || pos + 24 > bytes.length) return null;
      let tag = view.getUint16(pos + 8, true);
      if (tag === 0xfffe && size >= 40 && pos + 34 <= bytes.length) tag = view.getUint16(pos + 32, true);
      fmt = {
        float: tag === 3,
        channels: view.getUint16(pos + 10, true),
        rate: view.getUint32(pos + 12, true),
        blockAlign: view.getUint16(pos + 20, true),
        bits: view.getUint16(pos + 22, true),
      };
      const known = tag === 1 ? [8, 16, 24, 32].includes(fmt.bits) : tag === 3 && [32, 64].includes(fmt.bits);
      if (!known || fmt.channels === 0 || fmt.rate === 0 || fmt.blockAlign !== (fmt.channels * fmt.bits) / 8) return null;
    } else if (id === DATA_ID) {
      if (!fmt) return null;
      const start = pos + 8;
      const available = bytes.length - start;
      // 0 and 0xFFFFFFFF are streaming writers' placeholders: read to the end, as audio-decode does.
      const stated = size === 0xffffffff || (size === 0 && available > 0) ? available : size;
      const frames = Math.floor(Math.min(stated, available) / fmt.blockAlign);
      return { ...readFrames(bytes, start, frames, fmt), sampleRate: fmt.rate, channels: fmt.channels };
    }
    pos += 8 + size + (size & 1);
  }
  return null;
}

const FMT_ID = 0x666d7420; // 'fmt '
const DATA_ID = 0x64617461; // 'data'

function readFrames(bytes: Uint8Array, start: number, frames: number, f: Format): { samples: Float32Array; nonFinite: number; peak: number } {
  const ch = f.channels;
  const n = frames * ch;
  const width = f.bits / 8;
  // A typed view over the samples, on an aligned copy when the data does not start aligned
  // (Uint8Array's slice copies; a Buffer's would not).
  const raw = (start + bytes.byteOffset) % width === 0 || width === 3 ? bytes : Uint8Array.prototype.slice.call(bytes, start, start + n * width);
  const at = raw === bytes ? bytes.byteOffset + start : 0;
  const out = new Float32Array(frames);
  // 16-bit mono and stereo (most WAVs) get a loop of their own: through `value` below they
  // read 2-3x slower.
  if (f.bits === 16 && !f.float && ch <= 2) return { samples: out, nonFinite: 0, peak: read16(new Uint16Array(raw.buffer, at, n), ch, out) };
  const value = sampleReader(f, raw, at, n);
  const scale = 1 / ch;
  let nonFinite = 0;
  let hi = 0;
  let lo = 0;
  for (let i = 0, k = 0; i < frames; i++) {
    let v: number;
    if (ch === 1) v = Math.fround(value(k++));
    else {
      // Float32 steps, as the downmix of audio-decode's per-channel arrays would round.
      let sum = 0;
      for (let c = 0; c < ch; c++) sum = Math.fround(sum + Math.fround(value(k++)));
      v = Math.fround(sum * scale);
    }
    out[i] = v;
    // v - v is NaN for NaN and ±Infinity, 0 for every finite value.
    if (v - v !== 0) nonFinite++;
    else {
      if (v > hi) hi = v;
      if (v < lo) lo = v;
    }
  }
  return { samples: out, nonFinite, peak: Math.max(hi, -lo) };
}

/** Sample k (interleaved) of the data as a number, scaled as audio-decode scales it. */
function sampleReader(f: Format, raw: Uint8Array, at: number, n: number): (k: number) => number {
  if (f.float) {
    const s = f.bits === 32 ? new Float32Array(raw.buffer, at, n) : new Float64Array(raw.buffer, at, n);
    return (k) => s[k];
  }
  if (f.bits === 8 || f.bits === 16) {
    const t = f.bits === 8 ? (u8Table ??= table(256, (u) => u - 128, 128, 127)) : (s16Table ??= table(65536, (u) => (u << 16) >> 16, 32768, 32767));
    const s = f.bits === 8 ? new Uint8Array(raw.buffer, at, n) : new Uint16Array(raw.buffer, at, n);
    return (k) => t[s[k]];
  }
  if (f.bits === 24) {
    const s = new Uint8Array(raw.buffer, at, 3 * n);
    return (k) => {
      const v = ((s[3 * k] | (s[3 * k + 1] << 8) | (s[3 * k + 2] << 16)) << 8) >> 8;
      return v * (v < 0 ? 1 / 8388608 : 1 / 8388607);
    };
  }
  const s = new Int32Array(raw.buffer, at, n);
  return (k) => {
    const v = s[k];
    return v < 0 ? v / 2147483648 : v / 2147483647;
  };
}

/** Fills `out` with the mono samples and returns the peak. */
function read16(s: Uint16Array, channels: number, out: Float32Array): number {
  const t = (s16Table ??= table(65536, (u) => (u << 16) >> 16, 32768, 32767));
  const frames = out.length;
  // The highest and lowest values rather than the largest |value|: two well-predicted
  // branches, where the |value| test mispredicts on noise and costs 3x the whole loop.
  let hi = 0;
  let lo = 0;
  if (channels === 1) {
    for (let i = 0; i < frames; i++) {
      const v = t[s[i]];
      out[i] = v;
      if (v > hi) hi = v;
      if (v < lo) lo = v;
    }
  } else {
    for (let i = 0; i < frames; i++) {
      const v = Math.fround(Math.fround(t[s[2 * i]] + t[s[2 * i + 1]]) * 0.5);
      out[i] = v;
      if (v > hi) hi = v;
      if (v < lo) lo = v;
    }
  }
  return hi > -lo ? hi : -lo;
}
