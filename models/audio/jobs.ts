import { runDecodeJob, type DecodeJob, type DecodeJobResult } from './decode-job.ts';
import { audioDescriptor } from './descriptor.ts';

/*
 * The work a decoder worker thread does (worker.mjs calls runJob): decoding a file, computing
 * the descriptor of decoded audio, or both in one go (the encoder's path: only the 543 numbers
 * come back, not the samples). All plain computation, so they also run in-process.
 */

export interface DescribeJob {
  samples: Float32Array;
  sampleRate: number;
  duration: number;
  /** The samples may be moved to the worker without a copy (the caller will not use them again). */
  owned?: boolean;
}

/** Decoding's result without the samples, and their descriptor (null when nothing decoded). */
export interface EncodeJobResult extends Omit<DecodeJobResult, 'samples'> {
  descriptor: Float32Array | null;
}

export type WorkerJob = ({ kind: 'decode' } & DecodeJob) | ({ kind: 'describe' } & DescribeJob) | ({ kind: 'encode' } & DecodeJob);

export type JobResult<J extends WorkerJob> = J extends { kind: 'decode' } ? DecodeJobResult : J extends { kind: 'encode' } ? EncodeJobResult : Float32Array;

export async function runJob(job: WorkerJob): Promise<DecodeJobResult | EncodeJobResult | Float32Array> {
  switch (job.kind) {
    case 'decode':
      return runDecodeJob(job);
    case 'describe':
      return audioDescriptor(job);
    case 'encode':
      return runEncodeJob(job);
  }
}

/**
 * Decodes and describes one file. The caller checks the decoding statistics (decode.ts) before
 * it uses the descriptor, exactly as for decodeAudio then audioDescriptor, so the two paths give
 * the same rows and the same errors.
 */
export async function runEncodeJob(job: DecodeJob): Promise<EncodeJobResult> {
  const { samples, ...stats } = await runDecodeJob(job);
  const duration = stats.sourceRate > 0 ? stats.sourceFrames / stats.sourceRate : 0;
  const descriptor = samples.length > 0 ? audioDescriptor({ samples, sampleRate: job.targetRate, duration }) : null;
  return { ...stats, descriptor };
}

/**
 * The job with its input in a buffer that can be transferred to the worker: a fresh copy, or
 * the samples themselves when the job owns them.
 */
export function transferableCopy(job: WorkerJob): { job: WorkerJob; transfer: ArrayBuffer[] } {
  if (job.kind !== 'describe') {
    const bytes = new Uint8Array(job.bytes);
    return { job: { ...job, bytes }, transfer: [bytes.buffer] };
  }
  const s = job.samples;
  const whole = s.byteOffset === 0 && s.byteLength === s.buffer.byteLength && s.buffer instanceof ArrayBuffer;
  const samples = job.owned && whole ? s : new Float32Array(s);
  return { job: { ...job, samples }, transfer: [samples.buffer as ArrayBuffer] };
}
