import { RosettaError } from '../errors.ts';
import type { MediaInput } from '../types.ts';
import type { DecodeJob, DecodeJobResult } from './decode-job.ts';
import { DecodeFailure, decoderPool } from './pool.ts';
import { probeAudio, type Probe } from './probe.ts';
import { describeContent, sniffAudioType, type AudioType } from './sniff.ts';

export interface DecodedAudio {
  /** Mono samples (the mean of the source channels), nominally in [-1, 1]. */
  samples: Float32Array;
  sampleRate: number;
  /** Seconds of audio decoded from the source (before resampling). */
  duration: number;
}

export interface DecodeOptions {
  /** Resample to this rate in Hz (default 16000). */
  sampleRate?: number;
  /** Refuse files larger than this many bytes (default 256 MiB). */
  maxBytes?: number;
  /** Refuse audio longer than this many seconds (default 600, ten minutes). */
  maxSeconds?: number;
  /**
   * Give up on a decode that runs longer than this (default 15 s plus 1 s per MB of input):
   * a guard against a codec that loops on damaged data.
   */
  timeoutMs?: number;
}

export const decodeDefaults = { sampleRate: 16_000, maxBytes: 256 * 1024 * 1024, maxSeconds: 600 } as const;

/**
 * A decoded length under this fraction of the length a header states exactly (WAV, FLAC) means
 * the file is cut short: accept it with what decodes when most of it is there, refuse it
 * (CORRUPT_MEDIA) when not, so that a header-only file never passes as a click.
 */
const MIN_TRUNCATED_FRACTION = 0.5;
/** Float WAVs can exceed ±1 a little; values beyond this are not audio (garbage floats). */
const MAX_PEAK = 1000;

/**
 * Decodes a WAV (PCM 8/16/24/32-bit, float 32/64, any channel count), Ogg Vorbis, MP3 or FLAC
 * file in-process (uncompressed WAV by wav.ts, the rest with audio-decode), downmixes it to
 * mono and resamples it (windowed sinc).
 * The type comes from the magic number, never the name. Decoding runs in a worker thread with a
 * deadline (see pool.ts).
 *
 * Errors (RosettaError naming `input.name`): EMPTY_INPUT (0 bytes or 0 samples),
 * UNSUPPORTED_MEDIA (not one of the four, saying what it looks like), CORRUPT_MEDIA (nonsense
 * headers, undecodable or truncated below half its stated length, NaN samples, a decoder that
 * crashed or timed out), INPUT_TOO_LARGE (over maxBytes or maxSeconds, stated or decoded).
 *
 * @example
 * const a = await decodeAudio({ name: 'dog.mp3', data });
 * // { samples: Float32Array(48000), sampleRate: 16000, duration: 3.03 }
 */
export async function decodeAudio(input: MediaInput, options: DecodeOptions = {}): Promise<DecodedAudio> {
  const plan = planDecode(input, options);
  let r;
  try {
    r = await decoderPool().run({ kind: 'decode', ...plan.job }, plan.timeoutMs);
  } catch (err) {
    throw failureToError(err, plan);
  }
  return { samples: r.samples, sampleRate: plan.job.targetRate, duration: checkDecoded(r, plan) };
}

/** What decodeAudio settles before decoding: the worker job, its deadline, and what to check after. */
export interface DecodePlan {
  name: string;
  type: AudioType;
  probe: Probe;
  job: DecodeJob;
  timeoutMs: number;
}

/**
 * Checks the input and options and reads the headers (all of decodeAudio's errors that need no
 * decoding are thrown here); the encoder uses it to decode and describe in one worker job.
 */
export function planDecode(input: MediaInput, options: DecodeOptions = {}): DecodePlan {
  const o = resolveOptions(options);
  const { name, data } = input;
  if (!(data instanceof Uint8Array)) throw new RosettaError('INVALID_ARGUMENT', `${name}: input.data must be a Buffer`);
  if (data.length === 0) throw new RosettaError('EMPTY_INPUT', `${name}: the file is empty (0 bytes)`);
  // MediaInput says Buffer, but a plain Uint8Array costs nothing to accept.
  const bytes: Uint8Array = data;
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length > o.maxBytes) {
    throw new RosettaError('INPUT_TOO_LARGE', `${name}: ${megabytes(buf.length)} is over the ${megabytes(o.maxBytes)} limit for audio files`);
  }
  const type = sniffAudioType(buf);
  if (!type) {
    throw new RosettaError('UNSUPPORTED_MEDIA', `${name}: looks like ${describeContent(buf)}, not WAV, Ogg Vorbis, MP3 or FLAC audio`);
  }
  const probe = probeAudio(type, buf, name);
  if (probe.seconds !== undefined && probe.seconds > o.maxSeconds) {
    throw new RosettaError('INPUT_TOO_LARGE', `${name}: the ${type.toUpperCase()} header says ${seconds(probe.seconds)}, over the ${seconds(o.maxSeconds)} limit`);
  }
  const timeoutMs = o.timeoutMs ?? 15_000 + Math.ceil(buf.length / 1000);
  return { name, type, probe, job: { format: probe.format, bytes: buf, targetRate: o.sampleRate, maxSeconds: o.maxSeconds }, timeoutMs };
}

/**
 * Refuses what decoded to nothing, to non-audio values or to under half of an exactly stated
 * length; returns the decoded duration in seconds.
 */
export function checkDecoded(r: Omit<DecodeJobResult, 'samples'>, plan: DecodePlan): number {
  const { name, type, probe } = plan;
  const decoded = r.sourceRate > 0 ? r.sourceFrames / r.sourceRate : 0;
  if (r.sourceFrames === 0) {
    if (probe.exact && probe.seconds === 0) throw new RosettaError('EMPTY_INPUT', `${name}: the ${type.toUpperCase()} file holds no samples`);
    throw new RosettaError('CORRUPT_MEDIA', `${name}: no audio could be decoded from this ${type.toUpperCase()} file (damaged, truncated or header only)`);
  }
  if (r.nonFinite > 0 || r.peak > MAX_PEAK) {
    throw new RosettaError('CORRUPT_MEDIA', `${name}: the ${type.toUpperCase()} file decodes to values that are not audio (${r.nonFinite > 0 ? 'NaN or infinite samples' : `peak ${r.peak.toExponential(1)}`})`);
  }
  if (probe.exact && probe.seconds !== undefined && decoded < MIN_TRUNCATED_FRACTION * probe.seconds) {
    throw new RosettaError('CORRUPT_MEDIA', `${name}: truncated: only ${seconds(decoded)} of the ${seconds(probe.seconds)} its header states could be decoded`);
  }
  return decoded;
}

/** The RosettaError naming the input for a failed worker job (pool.ts's DecodeFailure). */
export function failureToError(err: unknown, plan: DecodePlan): RosettaError {
  const { name, type } = plan;
  const maxSeconds = plan.job.maxSeconds;
  if (!(err instanceof DecodeFailure)) return new RosettaError('INTERNAL', `${name}: audio decoding failed unexpectedly`, { cause: err });
  switch (err.kind) {
    case 'too-long':
      return new RosettaError('INPUT_TOO_LARGE', `${name}: the audio is longer than the ${seconds(maxSeconds)} limit`, { cause: err });
    case 'startup':
      return new RosettaError('INTERNAL', `${name}: ${err.message}`, { cause: err });
    default:
      return new RosettaError('CORRUPT_MEDIA', `${name}: the ${type.toUpperCase()} decoder failed: ${err.message}`, { cause: err });
  }
}

function resolveOptions(options: DecodeOptions): Required<Omit<DecodeOptions, 'timeoutMs'>> & { timeoutMs?: number } {
  const o = { ...decodeDefaults, ...options };
  const check = (v: number | undefined, key: string, integer: boolean): void => {
    if (v === undefined) return;
    if (!(Number.isFinite(v) && v > 0 && (!integer || Number.isInteger(v)))) {
      throw new RosettaError('INVALID_ARGUMENT', `decodeAudio option ${key} must be a positive ${integer ? 'integer' : 'number'}, got ${v}`);
    }
  };
  check(o.sampleRate, 'sampleRate', true);
  check(o.maxBytes, 'maxBytes', true);
  check(o.maxSeconds, 'maxSeconds', false);
  check(o.timeoutMs, 'timeoutMs', false);
  if (o.sampleRate < 1000 || o.sampleRate > 768_000) {
    throw new RosettaError('INVALID_ARGUMENT', `decodeAudio option sampleRate must be within 1000-768000 Hz, got ${o.sampleRate}`);
  }
  return o;
}

function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

function seconds(s: number): string {
  return `${s < 10 ? s.toFixed(2) : s.toFixed(0)} s`;
}
