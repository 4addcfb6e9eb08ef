// npm run bench:encoders — items/s per encoder on this machine, end to end and for bare
// ONNX Runtime on pre-processed tensors, all in one run so the ratios are comparable.
// BENCH_ONLY=image (or sketch) limits the CNN part to one encoder, for quick A/B runs.
// BENCH_JSON=<file> also writes the numbers as JSON rows (for BENCHMARKS.md, see all.ts).
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import sharp from 'sharp';
import { loadConfig } from '../../bin/config.ts';
import { createEncoder, type StagedEncoder, type MediaInput } from '../../models/index.ts';
import { decodeSlotsFor } from '../../models/encoders/index.ts';
import { pcm16Wav } from '../../indexer/job/testing.ts';
import { median, timeRuns } from './timing.ts';

const IMAGES = 192;
const BATCH = 16;
const CAPTIONS = 20_000;
const CLIPS = 100;

const config = loadConfig();

async function makeJpegs(n: number): Promise<MediaInput[]> {
  // Smooth gradients plus noise: JPEG sizes and decode costs like real 512-px photos.
  const out: MediaInput[] = [];
  for (let i = 0; i < n; i++) {
    const raw = Buffer.alloc(512 * 512 * 3);
    for (let y = 0; y < 512; y++)
      for (let x = 0; x < 512; x++) {
        const o = (y * 512 + x) * 3;
        raw[o] = (x + i * 7) & 255;
        raw[o + 1] = (y * 2 + i * 13) & 255;
        raw[o + 2] = ((x ^ y) + Math.floor(Math.random() * 40)) & 255;
      }
    const data = await sharp(raw, { raw: { width: 512, height: 512, channels: 3 } }).jpeg({ quality: 85 }).toBuffer();
    out.push({ name: `bench-${i}.jpg`, data });
  }
  return out;
}

/**
 * Decodes batch b+1 while the network runs batch b on its worker thread: the way the indexer
 * drives an encoder.
 */
async function pipelined<P>(encoder: StagedEncoder<'image' | 'sketch', P>, inputs: MediaInput[]): Promise<void> {
  const prepare = (i: number) => Promise.all(inputs.slice(i, i + BATCH).map((x) => encoder.prepare(x)));
  let next = prepare(0);
  for (let i = 0; i < inputs.length; i += BATCH) {
    const ready = await next;
    if (i + BATCH < inputs.length) next = prepare(i + BATCH);
    await encoder.run(ready);
  }
}

function makeCaptions(n: number): string[] {
  const adj = ['red', 'small', 'happy', 'shiny', 'old', 'wooden', 'bright', 'noisy', 'dark', 'tiny'];
  const noun = ['car', 'dog', 'house', 'guitar', 'tree', 'laser', 'coin', 'explosion', 'face', 'cat', 'boat', 'bird'];
  const rest = ['parked on a street at night', 'in the rain', 'with a blue sky', 'jumping over a fence', 'on a table', 'near the sea'];
  return Array.from({ length: n }, (_, i) => `a ${adj[i % 10]} ${noun[(i * 7) % 12]} ${rest[(i * 5) % 6]} number ${i}`);
}

function makeWav(seconds: number, rate: number, seed: number): Buffer {
  const samples = new Int16Array(seconds * rate);
  for (let i = 0; i < samples.length; i++) {
    const t = i / rate;
    const v = 0.3 * Math.sin(2 * Math.PI * (200 + 50 * seed) * t * (1 + t / 10)) + 0.05 * (Math.random() - 0.5);
    samples[i] = Math.round(v * 32767);
  }
  return pcm16Wav(samples, rate);
}

/** One number of the run, as BENCHMARKS.md shows it. */
interface Row {
  what: string;
  value: number;
  unit: string;
  note?: string;
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  const row = (what: string, value: number, unit: string, note?: string) => rows.push({ what, value, unit, ...(note ? { note } : {}) });
  const lines: string[] = [];
  const report = (s: string) => { lines.push(s); console.log(s); };
  report(`# bench:encoders  ${new Date().toISOString()}  ${os.cpus().length} x ${os.cpus()[0]?.model}  node ${process.version}`);

  const jpegs = await makeJpegs(IMAGES);
  for (const modality of (process.env.BENCH_ONLY ? [process.env.BENCH_ONLY] : ['image', 'sketch']) as ('image' | 'sketch')[]) {
    const encoder = (await createEncoder(modality, config)) as StagedEncoder<typeof modality, Uint8Array>;
    await encoder.encode(jpegs.slice(0, BATCH)); // warm-up: first runs allocate arenas
    const tensors = await Promise.all(jpegs.map((x) => encoder.prepare(x)));
    // Bare and end-to-end runs alternate, and the overhead is the median of each adjacent
    // pair's ratio: on a shared machine the load drifts within a run, and a ratio of two
    // medians taken minutes apart measured the drift (6-88 %) more than the pipeline.
    const bare: number[] = [];
    const e2e: number[] = [];
    for (let round = 0; round < 5; round++) {
      bare.push(...(await timeRuns(1, async () => {
        for (let i = 0; i < tensors.length; i += BATCH) await encoder.run(tensors.slice(i, i + BATCH));
      })));
      e2e.push(...(await timeRuns(1, () => pipelined(encoder, jpegs))));
    }
    const pairedOverhead = median(e2e.map((t, i) => t / bare[i])) - 1;
    const prep = await timeRuns(3, async () => { await Promise.all(jpegs.map((x) => encoder.prepare(x))); });
    const rate = (ms: number) => (IMAGES / ms) * 1000;
    const setup = `${IMAGES} 512-px JPEGs, batch ${BATCH}, median of 5 alternating rounds`;
    row(`${modality} encoder, end to end (decode + resize + CNN, pipelined)`, rate(median(e2e)), 'images/s', setup);
    row(`${modality} encoder, bare ONNX Runtime on prepared tensors`, rate(median(bare)), 'images/s', setup);
    row(`${modality} preprocessing alone`, rate(median(prep)), 'images/s', `${setup}; ${Number.isFinite(decodeSlotsFor(modality)) ? `${decodeSlotsFor(modality)} at a time` : 'all at once'}, as the encoder schedules them beside the network`);
    row(`${modality} end-to-end overhead over bare ONNX Runtime (median of paired rounds)`, pairedOverhead * 100, '%', setup);
    report(`${modality}: end-to-end ${rate(median(e2e)).toFixed(1)}/s | bare ONNX Runtime ${rate(median(bare)).toFixed(1)}/s | preprocessing alone ${rate(median(prep)).toFixed(1)}/s | overhead ${(pairedOverhead * 100).toFixed(1)}% (paired rounds: ${e2e.map((t, i) => `${((t / bare[i] - 1) * 100).toFixed(0)}%`).join(' ')})  (${setup}, load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')})`);
    await encoder.close();
  }

  const text = await createEncoder('text', config);
  const captions = makeCaptions(CAPTIONS);
  await text.encode(captions.slice(0, 100));
  const textRuns = await timeRuns(3, async () => { await text.encode(captions); });
  row('text featurizer', (CAPTIONS / median(textRuns)) * 1000, 'captions/s', `${CAPTIONS} distinct captions, median of 3`);
  report(`text: ${((CAPTIONS / median(textRuns)) * 1000).toFixed(0)} captions/s  (${CAPTIONS} distinct captions, median of 3)`);

  const audio = await createEncoder('audio', config);
  const clips = Array.from({ length: CLIPS }, (_, i) => ({ name: `clip-${i}.wav`, data: makeWav(10, i % 2 ? 44100 : 16000, i) }));
  await audio.encode(clips.slice(0, 4));
  const audioRuns = await timeRuns(3, async () => { await audio.encode(clips); });
  report(`audio: ${((CLIPS / median(audioRuns)) * 1000).toFixed(1)} ten-second clips/s  (WAV, half 16 kHz half 44.1 kHz, median of 3)`);
  row('audio descriptor', (CLIPS / median(audioRuns)) * 1000, 'clips/s', `${CLIPS} ten-second WAVs, half 16 kHz half 44.1 kHz, median of 3`);
  if (process.env.BENCH_JSON) {
    writeFileSync(process.env.BENCH_JSON, JSON.stringify({ bench: 'encoders', date: new Date().toISOString(), argv: process.argv.slice(2), only: process.env.BENCH_ONLY ?? null, rows }, null, 2) + '\n');
  }
}

await main();
