// Throughput of the audio encoder on ten-second clips: `npx tsx models/audio/bench.ts [clips]`.
//
// Clips are made in memory: WAV 16 kHz mono and WAV 44.1 kHz stereo (16-bit noise plus tones),
// and MP3 / Ogg Vorbis from the committed fixtures (MP3 frames concatenate, so three copies of
// the 3 s fixture make a 9 s clip; the Ogg fixture is 30 s at 8 kHz, counted as 3 clips).
// Stages run in this thread, one after another; "end to end" runs encoder.encode(), which
// decodes and describes clips in the worker pool, several at a time.
import { readFileSync } from 'node:fs';
import { closeDecoderPool, decoderPool } from './pool.ts';
import { runDecodeJob } from './decode-job.ts';
import { audioDescriptor } from './descriptor.ts';
import { resample } from './resample.ts';
import { createAudioEncoder } from './encoder.ts';
import { sniffAudioType } from './sniff.ts';
import { probeAudio } from './probe.ts';

const clipsPerCase = Number(process.argv[2] ?? 20);

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

const fixtures = new URL('../../test/fixtures/audio/', import.meta.url);
const mp3 = readFileSync(new URL('tone-stereo.mp3', fixtures));
const cases: Array<{ label: string; data: Buffer; clips: number }> = [
  { label: 'WAV 16 kHz mono 10 s', data: wav(16000, 1, 10, 1), clips: 1 },
  { label: 'WAV 44.1 kHz stereo 10 s', data: wav(44100, 2, 10, 2), clips: 1 },
  { label: 'MP3 44.1 kHz stereo 9.1 s', data: Buffer.concat([mp3, mp3, mp3]), clips: 0.909 },
  { label: 'Ogg Vorbis 8 kHz 30 s', data: readFileSync(new URL('long-30s.ogg', fixtures)), clips: 3 },
];

interface Timing {
  /** Mean wall-clock ms per run. */
  wall: number;
  /** Fastest run's wall-clock ms: close to the cost on an idle machine. */
  best: number;
  /** CPU ms per run, all threads of the process. */
  cpu: number;
}

async function time(n: number, f: () => unknown): Promise<Timing> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let best = Infinity;
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await f();
    best = Math.min(best, performance.now() - t);
  }
  const c = process.cpuUsage(c0);
  return { wall: (performance.now() - t0) / n, best, cpu: (c.user + c.system) / 1000 / n };
}

const perSecond = (clips: number, ms: number): string => (ms < 0.01 ? 'n/a' : ((1000 * clips) / ms).toFixed(1)).padStart(7);

console.log(`Ten-second clips per second (${clipsPerCase} runs per case). Stages run one after another on this thread;`);
console.log('"best" uses the fastest run, "/CPU-s" the CPU time of all threads (clips per CPU-second); both');
console.log('are fairer than the mean on a shared, busy machine. End to end is encoder.encode() over the batch.');
for (const c of cases) {
  const probe = probeAudio(sniffAudioType(c.data)!, c.data, c.label);
  // Decode without resampling: ask for the source rate, known after one decode.
  const first = await runDecodeJob({ format: probe.format, bytes: c.data, targetRate: 16000, maxSeconds: 600 });
  const job = { format: probe.format, bytes: c.data, targetRate: first.sourceRate, maxSeconds: 600 };
  let decoded = first;
  const dec = await time(clipsPerCase, async () => (decoded = await runDecodeJob(job)));
  let samples = decoded.samples;
  const res = await time(clipsPerCase, () => (samples = resample(decoded.samples, decoded.sourceRate, 16000)));
  const audio = { samples, sampleRate: 16000, duration: decoded.sourceFrames / decoded.sourceRate };
  audioDescriptor(audio);
  const desc = await time(clipsPerCase, () => audioDescriptor(audio));
  const all: Timing = { wall: dec.wall + res.wall + desc.wall, best: dec.best + res.best + desc.best, cpu: dec.cpu + res.cpu + desc.cpu };

  const encoder = createAudioEncoder();
  const batch = Array.from({ length: clipsPerCase }, (_, i) => ({ name: `clip-${i}`, data: c.data }));
  await encoder.encode(batch.slice(0, 8)); // start the workers and let their JIT warm up
  const e2e = await time(1, () => encoder.encode(batch));

  console.log(`\n${`${c.label} (${decoded.sourceRate} Hz, ${decoded.channels} ch)`.padEnd(36)}    mean    best  /CPU-s`);
  for (const [stage, t] of [['decode', dec], ['resample', res], ['descriptor', desc], ['all three', all]] as const) {
    console.log(`  ${stage.padEnd(34)} ${perSecond(c.clips, t.wall)} ${perSecond(c.clips, t.best)} ${perSecond(c.clips, t.cpu)}`);
  }
  const threads = decoderPool().size;
  console.log(`  ${`end to end (${threads} worker threads)`.padEnd(34)} ${perSecond(c.clips, e2e.wall / clipsPerCase)}         ${perSecond(c.clips, e2e.cpu / clipsPerCase)}`);
}
await closeDecoderPool();
