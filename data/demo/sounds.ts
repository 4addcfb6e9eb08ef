/**
 * Sound effects from jsfxr's presets, made reproducible: each sound gets its own seed, and
 * jsfxr's Math.random calls (preset rolls and noise samples) draw from it.
 */
import { jsfxr, type JsfxrParams } from 'jsfxr';
import { hash32, withSeededRandom } from './prng.ts';
import { describeSound, PRESETS, type PresetName, type SoundDescription } from './sound-caption.ts';

export const SAMPLE_RATE = 22050;
/** jsfxr's own default volume; its louder presets (coin, explosion) clip a little, as in the app. */
const SOUND_VOL = 0.25;
/** Sounds shorter than this are re-rolled: they are too short to hear or to embed. */
const MIN_SECONDS = 0.1;
const MAX_ROLLS = 20;

export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

export interface SynthSound {
  preset: PresetName;
  variant: number;
  /** A complete 16-bit mono PCM WAV file. */
  wav: Buffer;
  durationSec: number;
  params: Record<string, number>;
  description: SoundDescription;
}

/**
 * One sound: preset `preset`, variation `variant`, reproducible from `seed`. The result depends
 * only on these three, so the small build's sounds are the first variants of the full build's.
 * @example synthesizeSound('laserShoot', 3, 1).description.caption // 'short high-pitched falling buzzy laser zap — laser, ...'
 */
export function synthesizeSound(preset: PresetName, variant: number, seed: number): SynthSound {
  return withSeededRandom(hash32(`${seed}:sound:${preset}:${variant}`), () => {
    for (let roll = 1; ; roll++) {
      const params = jsfxr.sfxr.generate(preset, { sound_vol: SOUND_VOL, sample_rate: SAMPLE_RATE, sample_size: 16 });
      if (preset === 'tone') varyTone(params);
      const wave = new jsfxr.SoundEffect(params).generate();
      const samples = (wave.wav.length - 44) / 2;
      const durationSec = samples / SAMPLE_RATE;
      if (durationSec < MIN_SECONDS && roll < MAX_ROLLS) continue;
      return {
        preset,
        variant,
        wav: Buffer.from(wave.wav),
        durationSec: Math.round(durationSec * 10000) / 10000,
        params: plainParams(params),
        description: describeSound(preset, params, durationSec),
      };
    }
  });
}

/**
 * jsfxr's tone preset is a fixed 1 s, 440 Hz sine; thirty copies of it would be one sound.
 * Vary its pitch (about 80 Hz to 2 kHz) and length (about 0.1 s to 2 s) instead.
 */
function varyTone(p: JsfxrParams): void {
  p.p_base_freq = 0.15 + Math.random() * 0.6;
  p.p_env_sustain = 0.2 + Math.random() * 0.6;
  p.p_env_decay = Math.random() * 0.5;
}

/** The synth parameters alone (jsfxr's Params object also holds methods and a format flag). */
function plainParams(p: JsfxrParams): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of [...jsfxr.parameters.order, 'sound_vol', 'sample_rate', 'sample_size']) {
    const v = (p as unknown as Record<string, unknown>)[key];
    if (typeof v === 'number' && Number.isFinite(v)) out[key] = v;
  }
  return out;
}
