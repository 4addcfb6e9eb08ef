// Throughput of the audio encoder on ten-second clips: `npx tsx models/audio/bench.ts [runs] [clips]`.
//
// 1. CPU ms per clip for each stage, run one after another on this thread: decode (to mono at
//    the source rate), resample to 16 kHz, descriptor (of which STFT + log-mel + frame features).
// 2. End to end: encoder.encode() over `clips` clips (default 100), `runs` times (default 5),
//    through the worker pool: clips/s (wall clock), CPU ms per clip (every thread of the
//    process), of which this thread's, and the workers' busy time (event-loop utilisation:
//    a worker is busy while it runs a job, whether or not it has a core, so busy time well
//    above CPU time means the workers waited for a core).
//    Sets: WAV 16 kHz mono, WAV 44.1 kHz stereo, and the lead's mixed set (test/bench/
//    encoders.ts: half 16 kHz, half 44.1 kHz, 16-bit mono).
// On a shared machine wall clock says as much about the neighbours as about the code: compare
// CPU ms, and read clips/s with the load average printed beside it.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { runDecodeJob } from './decode-job.ts';
import { audioDescriptor } from './descriptor.ts';
import { createAudioEncoder } from './encoder.ts';
import { analyseFrames } from './features.ts';
import { closeDecoderPool, decoderPool } from './pool.ts';
import { probeAudio } from './probe.ts';
import { resample } from './resample.ts';
import { sniffAudioType } from './sniff.ts';

const runs = Number(process.argv[2] ?? 5);
const clips = Number(process.argv[3] ?? 100);

/** 16-bit WAV: two tones plus noise on every channel. */
function wav(rate: number, channels: number, seconds: number, seed: number): Buffer {
  const frames = rate * seconds;
  const body = Buffer.alloc(frames * channels * 2);
  let s = seed;
  for (let i = 0; i < frames; i++) {
    const tone = 0.2 * Math.sin((2 * Math.PI * (300 + 40 * seed) * i) / rate) + 0.1 * Math.sin((2 * Math.PI * 2500 * i) / rate);
    for (let c = 0; c < channels; c++) {
      s = (s * 16807) % 2147483647;
      const v = tone + 0.1 * (s / 2147483647 - 0.5);
      body.writeInt16LE(Math.round(v * 32767), 2 * (i * channels + c));
    }
  }
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(36 + body.length, 4);
  h.write('WAVEfmt ', 8, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * channels * 2, 28);
  h.writeUInt16LE(channels * 2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(body.length, 40);
  return Buffer.concat([h, body]);
}

/** The lead's clip (test/bench/encoders.ts): a rising sweep plus noise, 16-bit mono. */
function leadWav(seconds: number, rate: number, seed: number): Buffer {
  const n = seconds * rate;
  const buf = wav(rate, 1, 0, 0);
  const body = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i++) {
    const t = i / rate;
    const v = 0.3 * Math.sin(2 * Math.PI * (200 + 50 * seed) * t * (1 + t / 10)) + 0.05 * (Math.random() - 0.5);
    body.writeInt16LE(Math.round(v * 32767), i * 2);
  }
  buf.writeUInt32LE(36 + body.length, 4);
  buf.writeUInt32LE(body.length, 40);
  return Buffer.concat([buf, body]);
}

const cpuMs = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};
/** CPU ms of this thread alone (Linux: /proc/thread-self/schedstat, in ns); NaN elsewhere. */
const threadCpuMs = (): number => {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[0]) / 1e6;
  } catch {
    return Number.NaN;
  }
};
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const load = (): string => os.loadavg()[0].toFixed(1);

/** Median CPU ms of one call of `f`, over `reps` calls (after warm-up calls for the JIT). */
async function cpuPerCall(reps: number, f: () => unknown): Promise<number> {
  for (let i = 0; i < 8; i++) await f();
  const each: number[] = [];
  for (let i = 0; i < reps; i++) {
    const c = cpuMs();
    await f();
    each.push(cpuMs() - c);
  }
  return median(each);
}

const fixtures = new URL('../../test/fixtures/audio/', import.meta.url);
const mp3 = readFileSync(new URL('tone-stereo.mp3', fixtures));
const stageCases: Array<{ label: string; data: Buffer; clips: number }> = [
  { label: 'WAV 16 kHz mono 10 s', data: wav(16000, 1, 10, 1), clips: 1 },
  { label: 'WAV 44.1 kHz mono 10 s', data: wav(44100, 1, 10, 3), clips: 1 },
  { label: 'WAV 44.1 kHz stereo 10 s', data: wav(44100, 2, 10, 2), clips: 1 },
  { label: 'MP3 44.1 kHz stereo 9.1 s', data: Buffer.concat([mp3, mp3, mp3]), clips: 0.909 },
  { label: 'Ogg Vorbis 8 kHz 30 s', data: readFileSync(new URL('long-30s.ogg', fixtures)), clips: 3 },
];

console.log(`# audio bench  ${new Date().toISOString()}  ${os.cpus().length} x ${os.cpus()[0]?.model}  node ${process.version}  load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
console.log('\nCPU ms per ten-second clip, each stage on this thread (median of 15 calls):');
console.log(`${''.padEnd(28)}  decode  resample  descriptor (STFT+mel+features)  total  clips/CPU-s`);
for (const c of stageCases) {
  const probe = probeAudio(sniffAudioType(c.data)!, c.data, c.label);
  const first = await runDecodeJob({ format: probe.format, bytes: c.data, targetRate: 16000, maxSeconds: 600 });
  const job = { format: probe.format, bytes: c.data, targetRate: first.sourceRate, maxSeconds: 600 };
  const mono = (await runDecodeJob(job)).samples;
  const dec = await cpuPerCall(15, () => runDecodeJob({ ...job, bytes: new Uint8Array(c.data) }));
  const res = await cpuPerCall(15, () => resample(mono, first.sourceRate, 16000));
  const audio = { samples: first.samples, sampleRate: 16000, duration: first.sourceFrames / first.sourceRate };
  const desc = await cpuPerCall(15, () => audioDescriptor(audio));
  const frames = await cpuPerCall(15, () => analyseFrames(audio.samples, { sampleRate: 16000, bands: 64, fMax: 8000, windowMs: 25, hopMs: 10, eps: 1e-10, rolloffFraction: 0.85, onset: { peakRadius: 3, meanRadius: 10, delta: 0.5, minGap: 5 } }));
  const total = dec + (first.sourceRate === 16000 ? 0 : res) + desc;
  const per = (ms: number): string => (ms / c.clips).toFixed(1);
  console.log(`${c.label.padEnd(28)}  ${per(dec).padStart(6)}  ${(first.sourceRate === 16000 ? '-' : per(res)).padStart(8)}  ${per(desc).padStart(10)} ${`(${per(frames)})`.padStart(8)}${''.padEnd(23)}${per(total).padStart(5)}  ${((1000 * c.clips) / total).toFixed(0).padStart(11)}`);
}

const sets: Array<{ label: string; batch: Array<{ name: string; data: Buffer }> }> = [
  { label: 'WAV 16 kHz mono', batch: Array.from({ length: clips }, (_, i) => ({ name: `m16-${i}.wav`, data: wav(16000, 1, 10, i) })) },
  { label: 'WAV 44.1 kHz stereo', batch: Array.from({ length: clips }, (_, i) => ({ name: `s44-${i}.wav`, data: wav(44100, 2, 10, i) })) },
  { label: 'mixed (lead: 16k/44.1k mono)', batch: Array.from({ length: clips }, (_, i) => ({ name: `clip-${i}.wav`, data: leadWav(10, i % 2 ? 44100 : 16000, i) })) },
];
const encoder = createAudioEncoder();
// Start the workers and warm their JIT on every kind of clip.
for (const set of sets) await encoder.encode(set.batch.slice(0, 16));
console.log(`\nEnd to end: encoder.encode() of ${clips} clips, ${decoderPool().size} worker threads, median (best) of ${runs} runs:`);
console.log(`${''.padEnd(30)}  clips/s (best)  CPU ms/clip (best)  clips/CPU-s  this thread ms/clip  worker-busy ms/clip  load`);
for (const set of sets) {
  const wall: number[] = [];
  const cpu: number[] = [];
  const main: number[] = [];
  const busy: number[] = [];
  for (let r = 0; r < runs; r++) {
    const c = cpuMs();
    const m = threadCpuMs();
    const w = decoderPool().busyMs();
    const t = performance.now();
    await encoder.encode(set.batch);
    wall.push(performance.now() - t);
    cpu.push(cpuMs() - c);
    main.push(threadCpuMs() - m);
    busy.push(decoderPool().busyMs() - w);
  }
  const perClip = (xs: number[]): string => (median(xs) / clips).toFixed(1);
  const rate = (ms: number): string => ((1000 * clips) / ms).toFixed(0);
  console.log(
    `${set.label.padEnd(30)}  ${`${rate(median(wall))} (${rate(Math.min(...wall))})`.padStart(14)}  ${`${perClip(cpu)} (${(Math.min(...cpu) / clips).toFixed(1)})`.padStart(18)}  ${rate(median(cpu)).padStart(11)}  ${perClip(main).padStart(19)}  ${perClip(busy).padStart(19)}  ${load().padStart(4)}`,
  );
}
await closeDecoderPool();
