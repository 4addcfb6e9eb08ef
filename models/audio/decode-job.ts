import decode from 'audio-decode';
import { resample } from './resample.ts';
import type { DecoderFormat } from './probe.ts';
import { readPcmWav, type MonoPcm } from './wav.ts';

/*
 * The part of decoding that runs in a worker thread (see worker.mjs and pool.ts): the codec
 * itself, the downmix and the resampling. It is plain computation on bytes, so it can also run
 * in-process (the bench times it that way).
 */

export interface DecodeJob {
  format: DecoderFormat;
  bytes: Uint8Array;
  targetRate: number;
  /** Stop (TooLongError) once more than this much audio has been decoded. */
  maxSeconds: number;
}

export interface DecodeJobResult {
  /** Mono, at targetRate. */
  samples: Float32Array;
  sourceRate: number;
  /** Channel count of the first decoded chunk. */
  channels: number;
  /** Decoded length at the source rate, before resampling. */
  sourceFrames: number;
  /** NaN or infinite decoded values (a sign of a decoder fed garbage). */
  nonFinite: number;
  /** Largest |sample| decoded. */
  peak: number;
}

export class TooLongError extends Error {
  override name = 'TooLongError';
}

// Big chunks: the WASM codecs decode a whole chunk per call, and small ones cost extra copying
// (FLAC at 64 KB chunks was 1.5x slower than whole-file). Chunking exists only so that a
// highly compressed file cannot expand past maxSeconds before we notice.
const CHUNK_BYTES = 1 << 20;

/**
 * Decodes one file (uncompressed WAV by wav.ts, everything else by audio-decode), downmixes it
 * to mono (the mean of the channels) and resamples it.
 *
 * @example
 * const r = await runDecodeJob({ format: 'flac', bytes, targetRate: 16000, maxSeconds: 600 });
 * // r.samples: Float32Array at 16 kHz; r.sourceRate: 44100; r.channels: 2
 */
export async function runDecodeJob(job: DecodeJob): Promise<DecodeJobResult> {
  const pcm = (job.format === 'wav' ? readPcmWav(job.bytes) : null) ?? (await decodeWithLibrary(job));
  const { samples: mono, sampleRate: sourceRate, channels, nonFinite, peak } = pcm;
  if (mono.length > job.maxSeconds * sourceRate) throw new TooLongError(`decodes to more than ${job.maxSeconds} s of audio`);
  const samples = sourceRate > 0 && nonFinite === 0 ? resample(mono, sourceRate, job.targetRate) : new Float32Array(0);
  return { samples, sourceRate, channels, sourceFrames: mono.length, nonFinite, peak };
}

async function decodeWithLibrary(job: DecodeJob): Promise<MonoPcm> {
  const dec = await decode[job.format]();
  const parts: Float32Array[] = [];
  let sampleRate = 0;
  let channels = 0;
  let frames = 0;
  let nonFinite = 0;
  let hi = 0;
  let lo = 0;
  const take = (r: { channelData: Float32Array[]; sampleRate: number }): void => {
    const chans = r.channelData;
    if (chans.length === 0 || chans[0].length === 0) return;
    if (sampleRate === 0) {
      sampleRate = r.sampleRate;
      channels = chans.length;
    }
    const mono = downmix(chans);
    for (let i = 0; i < mono.length; i++) {
      const v = mono[i];
      // v - v is NaN for NaN and ±Infinity; highest and lowest, as in wav.ts, for speed.
      if (v - v !== 0) nonFinite++;
      else {
        if (v > hi) hi = v;
        if (v < lo) lo = v;
      }
    }
    parts.push(mono);
    frames += mono.length;
    if (frames > job.maxSeconds * sampleRate) {
      throw new TooLongError(`decodes to more than ${job.maxSeconds} s of audio`);
    }
  };
  try {
    for (let off = 0; off < job.bytes.length; off += CHUNK_BYTES) take(await dec(job.bytes.subarray(off, off + CHUNK_BYTES)));
    take(await dec());
  } finally {
    dec.free();
  }
  return { samples: join(parts, frames), sampleRate, channels, nonFinite, peak: Math.max(hi, -lo) };
}

/** Mean of the channels; a mono input is returned as is. */
export function downmix(channels: Float32Array[]): Float32Array {
  if (channels.length === 1) return channels[0];
  const n = channels[0].length;
  const out = new Float32Array(n);
  for (const ch of channels) {
    const m = Math.min(n, ch.length);
    for (let i = 0; i < m; i++) out[i] += ch[i];
  }
  const scale = 1 / channels.length;
  for (let i = 0; i < n; i++) out[i] *= scale;
  return out;
}

function join(parts: Float32Array[], total: number): Float32Array {
  if (parts.length === 1) return parts[0];
  const out = new Float32Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
