import { RosettaError } from '../errors.ts';
import type { EncoderIdentity, MediaInput, StagedEncoder } from '../types.ts';
import { decodeAudio, type DecodedAudio } from './decode.ts';
import { AUDIO_DESCRIPTOR_DIM, assertDescribable, audioDescriptorHash } from './descriptor.ts';
import { closeDecoderPool, decoderPool } from './pool.ts';

export interface AudioEncoderOptions {
  /** Refuse files larger than this many bytes (default 256 MiB). */
  maxBytes?: number;
  /** Refuse clips longer than this many seconds (default 600). */
  maxSeconds?: number;
  /** Per-file decode deadline in ms (default 15 s plus 1 s per MB). */
  timeoutMs?: number;
}

/**
 * The audio encoder: decoding (decodeAudio) then the hand-made descriptor (audioDescriptor),
 * both run in the worker pool (pool.ts) so that two clips are worked on at once and this
 * thread stays free. The sample rate is not an option: indexing and querying must analyse at
 * the same rate.
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
      // A few items in flight at a time (decode, then describe, each in a worker): enough to
      // keep the pool busy, few enough that a batch of long clips is not all decoded at once.
      const rows: Float32Array[] = new Array(batch.length);
      const failures = new Map<number, unknown>();
      let next = 0;
      const lane = async (): Promise<void> => {
        // Stop starting items past a known failure, but finish those before it: the batch
        // fails on its first bad item in order.
        while (next < batch.length && !(failures.size > 0 && next > Math.min(...failures.keys()))) {
          const i = next++;
          try {
            rows[i] = await describe(await prepare(batch[i]), true);
          } catch (err) {
            failures.set(i, err);
          }
        }
      };
      await Promise.all(Array.from({ length: decoderPool().size + 1 }, lane));
      if (failures.size > 0) throw failures.get(Math.min(...failures.keys()));
      return rows;
    },
    close: closeDecoderPool,
  };
}

/**
 * The descriptor of decoded audio, computed in the pool. `owned` says the samples may be
 * handed to the worker without a copy (they are ours, not the caller's).
 */
async function describe(audio: DecodedAudio, owned: boolean): Promise<Float32Array> {
  assertDescribable(audio);
  const timeoutMs = 30_000 + 100 * audio.duration;
  try {
    return await decoderPool().run({ kind: 'describe', samples: audio.samples, sampleRate: audio.sampleRate, duration: audio.duration, owned }, timeoutMs);
  } catch (err) {
    throw new RosettaError('INTERNAL', `audio descriptor failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
