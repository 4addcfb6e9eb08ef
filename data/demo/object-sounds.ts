/**
 * Sounds of things the emoji show: birds, clocks, car horns, rain, telephones, trains, waves, a
 * heartbeat. jsfxr's game sounds name no object an image shows, so without these a sound could
 * find an image only through a word the two captions happen to share (issue 8). No openly
 * licensed recordings of such sounds can be installed from npm or Debian, so each source is a
 * small synthesiser here, seeded per sound: the same seed gives the same bytes.
 *
 * A source's `tags` are the words its captions end with. They are chosen from the OpenMoji tags
 * of the images that show the source (models/space/evaluate.ts `categoryWords` matches sounds
 * to images by them), and avoid words that name something else there ("siren" is the
 * merperson's tag, "horn" a cow's, "wave" a waving hand's).
 */
import { hash32, mulberry32 } from './prng.ts';
import { lengthWord, pitchWord } from './sound-caption.ts';
import { pcm16Wav, toPcm16 } from './wav.ts';

const RATE = 22050;
const PEAK = 0.7;

type Rand = () => number;

interface Rendered {
  samples: Float64Array;
  /** The source's main pitch, for the caption's pitch word. */
  hz: number;
  /** The source's own adjective ("fast", "heavy", ...), if any. */
  word?: string;
  params: Record<string, number>;
}

interface ObjectSource {
  noun: string;
  tags: readonly string[];
  render: (rand: Rand) => Rendered;
}

export const OBJECT_SOURCES = {
  birdsong: { noun: 'bird chirping', tags: ['bird', 'ornithology'], render: birdsong },
  clock: { noun: 'clock ticking', tags: ['clock', 'time'], render: clock },
  carHorn: { noun: 'car horn honking', tags: ['car', 'vehicle', 'drive'], render: carHorn },
  insect: { noun: 'insect buzzing', tags: ['insect', 'bug'], render: insect },
  rain: { noun: 'rain pattering', tags: ['rain', 'weather', 'wet'], render: rain },
  telephone: { noun: 'telephone ringing', tags: ['phone', 'telephone', 'call', 'cell'], render: telephone },
  alarm: { noun: 'alarm siren', tags: ['alarm', 'emergency', 'warning'], render: alarm },
  train: { noun: 'train chugging', tags: ['train', 'railway', 'locomotive'], render: train },
  sea: { noun: 'sea waves crashing', tags: ['sea', 'ocean', 'beach'], render: sea },
  heartbeat: { noun: 'heartbeat thumping', tags: ['heart', 'beat'], render: heartbeat },
  strings: { noun: 'plucked string instrument', tags: ['music', 'instrument'], render: strings },
} as const satisfies Record<string, ObjectSource>;

export type ObjectSourceName = keyof typeof OBJECT_SOURCES;
export const OBJECT_SOURCE_NAMES = Object.keys(OBJECT_SOURCES) as ObjectSourceName[];

export interface ObjectSound {
  source: ObjectSourceName;
  variant: number;
  wav: Buffer;
  durationSec: number;
  params: Record<string, number>;
  caption: string;
  /** The adjectives in the caption, in order. */
  descriptors: string[];
  /** The source's main pitch. */
  hz: number;
}

/**
 * One sound of `source`, variation `variant`, reproducible from `seed`.
 * @example synthesizeObjectSound('clock', 0, 1).caption // 'long clock ticking — clock, time'
 */
export function synthesizeObjectSound(source: ObjectSourceName, variant: number, seed: number): ObjectSound {
  const { noun, tags, render } = OBJECT_SOURCES[source];
  const out = render(mulberry32(hash32(`${seed}:object-sound:${source}:${variant}`)));
  const durationSec = out.samples.length / RATE;
  const words = [lengthWord(durationSec), pitchWord(out.hz), out.word].filter((w): w is string => w !== undefined);
  return {
    source,
    variant,
    wav: pcm16Wav(toPcm16(out.samples, PEAK), RATE),
    durationSec: Math.round(durationSec * 10000) / 10000,
    params: out.params,
    caption: `${[...words, noun].join(' ')} — ${tags.join(', ')}`,
    descriptors: words,
    hz: Math.round(out.hz),
  };
}

const between = (rand: Rand, lo: number, hi: number): number => lo + rand() * (hi - lo);
const samplesOf = (sec: number): Float64Array => new Float64Array(Math.round(sec * RATE));

/** Adds a tone from `start` (s) lasting `dur` whose frequency `hz(t)` and gain `env(t)` follow time within it. */
function addTone(buf: Float64Array, start: number, dur: number, hz: (t: number) => number, env: (t: number) => number, harmonics: readonly number[] = [1]): void {
  const from = Math.round(start * RATE);
  const n = Math.min(Math.round(dur * RATE), buf.length - from);
  let phase = 0;
  for (let i = 0; i < n; i++) {
    const t = i / RATE;
    const f = hz(t);
    phase += (2 * Math.PI * f) / RATE;
    let v = 0;
    harmonics.forEach((a, k) => {
      // Partials above Nyquist would alias into noise.
      if ((k + 1) * f < RATE / 2) v += a * Math.sin((k + 1) * phase);
    });
    buf[from + i] += env(t) * v;
  }
}

/** A struck resonance: a sine at `hz` dying away with time constant `decay` (s). */
function addKnock(buf: Float64Array, start: number, hz: number, decay: number, gain: number): void {
  addTone(buf, start, decay * 6, () => hz, (t) => gain * Math.exp(-t / decay));
}

/** White noise through a one-pole low-pass whose coefficient `alpha(t)` (0..1, higher is brighter) may move. */
function addNoise(buf: Float64Array, rand: Rand, start: number, dur: number, alpha: (t: number) => number, env: (t: number) => number): void {
  const from = Math.round(start * RATE);
  const n = Math.min(Math.round(dur * RATE), buf.length - from);
  let y = 0;
  for (let i = 0; i < n; i++) {
    const t = i / RATE;
    y += alpha(t) * (rand() * 2 - 1 - y);
    buf[from + i] += env(t) * y;
  }
}

const sawtooth = Array.from({ length: 16 }, (_, k) => 1 / (k + 1));
const squareish = Array.from({ length: 12 }, (_, k) => (k % 2 === 0 ? 1 / (k + 1) : 0.15 / (k + 1)));

function birdsong(rand: Rand): Rendered {
  const hz = between(rand, 2000, 5000);
  const chirps = 2 + Math.floor(rand() * 6);
  const len = between(rand, 0.04, 0.12);
  const gap = between(rand, 0.05, 0.25);
  const sweep = (rand() < 0.5 ? -1 : 1) * between(rand, 0.2, 0.6);
  const buf = samplesOf(chirps * (len + gap) + 0.1);
  for (let c = 0; c < chirps; c++) {
    const f = hz * between(rand, 0.9, 1.1);
    addTone(buf, c * (len + gap), len, (t) => f * (1 + (sweep * t) / len), (t) => Math.sin((Math.PI * t) / len) ** 2, [1, 0.2]);
  }
  return { samples: buf, hz, word: gap < 0.12 ? 'fast' : undefined, params: { hz, chirps, len, gap, sweep } };
}

function clock(rand: Rand): Rendered {
  const interval = between(rand, 0.2, 0.7);
  const hz = between(rand, 1500, 4500);
  const seconds = between(rand, 1.5, 3);
  const buf = samplesOf(seconds);
  for (let k = 0; k * interval < seconds - 0.05; k++) {
    // Tick and tock: the escapement strikes two different pallets.
    addKnock(buf, k * interval, k % 2 === 0 ? hz : hz * 0.8, between(rand, 0.002, 0.005), 1);
  }
  return { samples: buf, hz, word: interval < 0.35 ? 'fast' : 'slow', params: { interval, hz, seconds } };
}

function carHorn(rand: Rand): Rendered {
  const hz = between(rand, 300, 500);
  const honks = 1 + Math.floor(rand() * 3);
  const len = between(rand, 0.15, 0.7);
  const gap = between(rand, 0.08, 0.2);
  const buf = samplesOf(honks * (len + gap) + 0.05);
  const env = (t: number) => Math.min(1, t / 0.01, (len - t) / 0.02);
  for (let h = 0; h < honks; h++) {
    // Two horns a major third apart, as most cars have.
    addTone(buf, h * (len + gap), len, () => hz, env, squareish);
    addTone(buf, h * (len + gap), len, () => hz * 1.26, env, squareish);
  }
  return { samples: buf, hz, word: honks > 1 ? 'repeated' : undefined, params: { hz, honks, len, gap } };
}

function insect(rand: Rand): Rendered {
  const hz = between(rand, 150, 700);
  const seconds = between(rand, 1, 2.5);
  const wobbleHz = between(rand, 4, 12);
  const passHz = between(rand, 0.5, 2);
  const buf = samplesOf(seconds);
  addTone(buf, 0, seconds, (t) => hz * (1 + 0.05 * Math.sin(2 * Math.PI * wobbleHz * t)), (t) => 0.6 + 0.4 * Math.sin(2 * Math.PI * passHz * t), sawtooth);
  return { samples: buf, hz, params: { hz, seconds, wobbleHz, passHz } };
}

function rain(rand: Rand): Rendered {
  const seconds = between(rand, 2, 3.5);
  const dropsPerSec = between(rand, 20, 90);
  const hiss = between(rand, 0.05, 0.3);
  const buf = samplesOf(seconds);
  addNoise(buf, rand, 0, seconds, () => 0.3, () => hiss);
  let hz = 0;
  const drops = Math.round(dropsPerSec * seconds);
  for (let d = 0; d < drops; d++) {
    const f = between(rand, 1500, 6000);
    hz += f / drops;
    addKnock(buf, rand() * (seconds - 0.05), f, between(rand, 0.003, 0.01), between(rand, 0.2, 1));
  }
  return { samples: buf, hz, word: dropsPerSec > 55 ? 'heavy' : 'light', params: { seconds, dropsPerSec, hiss } };
}

function telephone(rand: Rand): Rendered {
  const hz = between(rand, 400, 520);
  const ratio = between(rand, 1.08, 1.14);
  const trillHz = between(rand, 15, 25);
  const rings = 1 + Math.floor(rand() * 3);
  const len = between(rand, 0.4, 1);
  const gap = between(rand, 0.3, 0.6);
  const buf = samplesOf(rings * (len + gap));
  // A bell struck by a clapper trilling at trillHz: the tone pulses on and off.
  const env = (t: number) => (Math.sin(2 * Math.PI * trillHz * t) > 0 ? 1 : 0.15);
  for (let r = 0; r < rings; r++) {
    addTone(buf, r * (len + gap), len, () => hz, env, [1, 0.3, 0.2]);
    addTone(buf, r * (len + gap), len, () => hz * ratio, env, [1, 0.3]);
  }
  return { samples: buf, hz, word: rings > 1 ? 'repeated' : undefined, params: { hz, ratio, trillHz, rings, len, gap } };
}

function alarm(rand: Rand): Rendered {
  const low = between(rand, 500, 800);
  const high = low * between(rand, 1.4, 2);
  const period = between(rand, 0.4, 2);
  const seconds = between(rand, 1.5, 3);
  const buf = samplesOf(seconds);
  // A wail sweeps between the two pitches; a two-tone siren jumps between them.
  const wail = rand() < 0.5;
  const hz = (t: number) => {
    const phase = (t / period) % 1;
    return wail ? low + (high - low) * (0.5 - 0.5 * Math.cos(2 * Math.PI * phase)) : phase < 0.5 ? high : low;
  };
  addTone(buf, 0, seconds, hz, () => 1, [1, 0, 0.25]);
  return { samples: buf, hz: (low + high) / 2, word: wail ? 'wailing' : 'two-tone', params: { low, high, period, seconds, wail: wail ? 1 : 0 } };
}

function train(rand: Rand): Rendered {
  const chuffsPerSec = between(rand, 2, 6);
  const seconds = between(rand, 2, 3);
  const decay = between(rand, 0.05, 0.15);
  const buf = samplesOf(seconds);
  for (let t = 0; t < seconds - 0.05; t += 1 / chuffsPerSec) {
    addNoise(buf, rand, t, decay * 4, () => 0.15, (u) => Math.exp(-u / decay));
  }
  const whistle = rand() < 0.5;
  const hz = between(rand, 450, 900);
  if (whistle) {
    const len = between(rand, 0.5, 1);
    for (const ratio of [1, 1.26, 1.5]) addTone(buf, 0, len, () => hz * ratio, (t) => 0.25 * Math.min(1, t / 0.05, (len - t) / 0.05));
  }
  return { samples: buf, hz: whistle ? hz : 150, word: chuffsPerSec > 4 ? 'fast' : 'slow', params: { chuffsPerSec, seconds, decay, whistle: whistle ? 1 : 0, hz } };
}

function sea(rand: Rand): Rendered {
  const seconds = between(rand, 3, 4.5);
  const waves = 1 + Math.floor(rand() * 3);
  const buf = samplesOf(seconds);
  const starts = Array.from({ length: waves }, (_, w) => (w * seconds) / waves + rand() * 0.3);
  // Each wave swells, breaks and washes out; the break is brighter than the swell.
  const swell = (t: number) => starts.reduce((s, at) => s + (t < at ? 0 : t < at + 0.8 ? (t - at) / 0.8 : Math.exp(-(t - at - 0.8) / 0.7)), 0);
  const brightness = between(rand, 0.05, 0.25);
  addNoise(buf, rand, 0, seconds, (t) => Math.min(0.9, brightness * (0.3 + swell(t))), swell);
  return { samples: buf, hz: 100, word: brightness > 0.15 ? 'rough' : 'calm', params: { seconds, waves, brightness } };
}

function heartbeat(rand: Rand): Rendered {
  const bpm = between(rand, 50, 140);
  const hz = between(rand, 45, 75);
  const seconds = between(rand, 2, 3.5);
  const buf = samplesOf(seconds);
  const beat = 60 / bpm;
  for (let t = 0; t < seconds - 0.3; t += beat) {
    // "Lub-dub": the two valves closing, the second higher and softer.
    addKnock(buf, t, hz, 0.04, 1);
    addKnock(buf, t + 0.15, hz * 1.25, 0.03, 0.7);
  }
  return { samples: buf, hz, word: bpm > 100 ? 'fast' : 'slow', params: { bpm, hz, seconds } };
}

/** Karplus-Strong: a burst of noise in a delay line that averages itself into a plucked string's tone. */
function strings(rand: Rand): Rendered {
  const scale = [1, 9 / 8, 5 / 4, 3 / 2, 5 / 3, 2];
  const hz = between(rand, 110, 440);
  const notes = 1 + Math.floor(rand() * 4);
  const len = between(rand, 0.3, 0.8);
  const damping = between(rand, 0.99, 0.998);
  const buf = samplesOf(notes * len + 0.4);
  for (let k = 0; k < notes; k++) {
    const period = Math.round(RATE / (hz * scale[Math.floor(rand() * scale.length)]));
    const line = Float64Array.from({ length: period }, () => rand() * 2 - 1);
    const from = Math.round(k * len * RATE);
    for (let i = 0; from + i < buf.length; i++) {
      const j = i % period;
      const v = line[j];
      line[j] = damping * 0.5 * (v + line[(j + 1) % period]);
      buf[from + i] += v;
    }
  }
  return { samples: buf, hz, word: notes > 1 ? 'melodic' : undefined, params: { hz, notes, len, damping } };
}
