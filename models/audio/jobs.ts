import { runDecodeJob, type DecodeJob, type DecodeJobResult } from './decode-job.ts';
import { audioDescriptor } from './descriptor.ts';

/*
 * The work a decoder worker thread does (worker.mjs calls runJob): decoding a file, or computing
 * the descriptor of decoded audio. Both are plain computation, so they also run in-process.
 */

export interface DescribeJob {
  samples: Float32Array;
  sampleRate: number;
  duration: number;
  /** The samples may be moved to the worker without a copy (the caller will not use them again). */
  owned?: boolean;
}

export type WorkerJob = ({ kind: 'decode' } & DecodeJob) | ({ kind: 'describe' } & DescribeJob);

export type JobResult<J extends WorkerJob> = J extends { kind: 'decode' } ? DecodeJobResult : Float32Array;

export async function runJob(job: WorkerJob): Promise<DecodeJobResult | Float32Array> {
  return job.kind === 'decode' ? runDecodeJob(job) : audioDescriptor(job);
}

/**
 * The job with its input in a buffer that can be transferred to the worker: a fresh copy, or
 * the samples themselves when the job owns them.
 */
export function transferableCopy(job: WorkerJob): { job: WorkerJob; transfer: ArrayBuffer[] } {
  if (job.kind === 'decode') {
    const bytes = new Uint8Array(job.bytes);
    return { job: { ...job, bytes }, transfer: [bytes.buffer] };
  }
  const s = job.samples;
  const whole = s.byteOffset === 0 && s.byteLength === s.buffer.byteLength && s.buffer instanceof ArrayBuffer;
  const samples = job.owned && whole ? s : new Float32Array(s);
  return { job: { ...job, samples }, transfer: [samples.buffer as ArrayBuffer] };
}
