import { RosettaError } from '../errors.ts';
import type { EncoderIdentity, MediaInput, StagedEncoder } from '../types.ts';
import { checkDecoded, decodeAudio, failureToError, planDecode, type DecodedAudio } from './decode.ts';
import { AUDIO_DESCRIPTOR_DIM, assertDescribable, audioDescriptorHash } from './descriptor.ts';
import { closeDecoderPool, decoderPool } from './pool.ts';

export interface AudioEncoderOptions {
  /** Refuse files larger than this many bytes (default 256 MiB). */
  maxBytes?: number;
  /** Refuse clips longer than this many seconds (default 600). */
  maxSeconds?: number;
  /** Per-file decode deadline in ms (default 15 s plus 1 s per MB); the descriptor's allowance is added. */
  timeoutMs?: number;
}

/**
 * The audio encoder: decoding (decodeAudio) then the hand-made descriptor (audioDescriptor),
 * both run in the worker pool (pool.ts) so that two clips are worked on at once and this
 * thread stays free. `encode` does both in one worker job per clip, so only the descriptor
 * crosses threads; `prepare` and `run` (the staged interface) give the same rows in two steps.
 * The sample rate is not an option: indexing and querying must analyse at the same rate.
 *
 * @example
 * const enc = createAudioEncoder();
 * const [row] = await enc.encode([{ name: 'bark.ogg', data }]); // Float32Array(543)
 * enc.identity // { name: 'audio-descriptor', version: '1', weightsHash: '3f9a…' }
 */
export function createAudioEncoder(options: AudioEncoderOptions = {}): StagedEncoder<'audio', DecodedAudio> {
  const decodeOptions = { ...options, sampleRate: 16_000 };
  const identity: EncoderIdentity = { name: 'audio-descriptor', version: '1', weightsHash: audioDescriptorHash };
  const prepare = (input: MediaInput): Promise<DecodedAudio> => decodeAudio(input, decodeOptions);
  const run = (prepared: DecodedAudio[]): Promise<Float32Array[]> => Promise.all(prepared.map((a) => describe(a, false)));

  return {
    modality: 'audio',
    kind: 'dense',
    dim: AUDIO_DESCRIPTOR_DIM,
    identity,
    prepare,
    run,
    async encode(batch: MediaInput[]): Promise<Float32Array[]> {
      // Two items in flight per worker: one working, one queued (pool.ts copies an item's bytes
      // only when a worker takes it), so a worker never waits for this thread between items.
      const rows: Float32Array[] = new Array(batch.length);
      const failures = new Map<number, unknown>();
      let next = 0;
      const lane = async (): Promise<void> => {
        // Stop starting items past a known failure, but finish those before it: the batch
        // fails on its first bad item in order.
        while (next < batch.length && !(failures.size > 0 && next > Math.min(...failures.keys()))) {
          const i = next++;
          try {
            rows[i] = await encodeOne(batch[i], decodeOptions);
          } catch (err) {
            failures.set(i, err);
          }
        }
      };
      await Promise.all(Array.from({ length: 2 * decoderPool().size }, lane));
      if (failures.size > 0) throw failures.get(Math.min(...failures.keys()));
      return rows;
    },
    close: closeDecoderPool,
  };
}

/** Decodes and describes one input in one worker job, with decodeAudio's checks and errors. */
async function encodeOne(input: MediaInput, options: { sampleRate: number; maxSeconds?: number; maxBytes?: number; timeoutMs?: number }): Promise<Float32Array> {
  const plan = planDecode(input, options);
  const seconds = plan.probe.seconds ?? plan.job.maxSeconds;
  let r;
  try {
    r = await decoderPool().run({ kind: 'encode', ...plan.job }, plan.timeoutMs + describeTimeoutMs(seconds));
  } catch (err) {
    throw failureToError(err, plan);
  }
  checkDecoded(r, plan);
  // Unreachable once the checks pass (audio that decodes resamples to at least one sample).
  if (!r.descriptor) throw new RosettaError('INTERNAL', `${plan.name}: decoding gave no samples to describe`);
  return r.descriptor;
}

/** Deadline for the descriptor of a clip this long (generous: it takes ~1 ms per second of audio). */
function describeTimeoutMs(seconds: number): number {
  return 30_000 + 100 * seconds;
}

/**
 * The descriptor of decoded audio, computed in the pool. `owned` says the samples may be
 * handed to the worker without a copy (they are ours, not the caller's).
 */
async function describe(audio: DecodedAudio, owned: boolean): Promise<Float32Array> {
  assertDescribable(audio);
  try {
    return await decoderPool().run({ kind: 'describe', samples: audio.samples, sampleRate: audio.sampleRate, duration: audio.duration, owned }, describeTimeoutMs(audio.duration));
  } catch (err) {
    throw new RosettaError('INTERNAL', `audio descriptor failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
