/**
 * Words for a jsfxr sound, read off its parameters: how long, how high, which way the pitch
 * moves, what the wave sounds like, and what game event the preset imitates.
 */
import type { JsfxrParams } from 'jsfxr';

export type WaveName = 'square' | 'sawtooth' | 'sine' | 'noise';

export interface SoundDescription {
  caption: string;
  /** The adjectives in the caption, in order ("short", "high-pitched", "falling", "buzzy"). */
  descriptors: string[];
  startHz: number;
  /** Pitch change over one play (or one repeat), in octaves; negative falls. */
  pitchChangeOctaves: number;
  wave: WaveName;
}

/** What each preset imitates, and tags for the caption's tail (as OpenMoji captions have). */
export const PRESETS = {
  pickupCoin: { noun: 'coin pickup chime', tags: ['coin', 'pickup', 'collect', 'reward'] },
  laserShoot: { noun: 'laser zap', tags: ['laser', 'shoot', 'sci-fi', 'blaster'] },
  explosion: { noun: 'explosion', tags: ['boom', 'blast', 'bang'] },
  powerUp: { noun: 'power-up chime', tags: ['power-up', 'bonus', 'upgrade', 'level up'] },
  hitHurt: { noun: 'hit sound', tags: ['hurt', 'damage', 'impact', 'punch'] },
  jump: { noun: 'jump sound', tags: ['bounce', 'hop', 'boing'] },
  blipSelect: { noun: 'menu blip', tags: ['select', 'beep', 'menu', 'interface'] },
  synth: { noun: 'synth note', tags: ['music', 'keyboard', 'chiptune'] },
  tone: { noun: 'tone', tags: ['beep', 'pure tone', 'test tone'] },
  click: { noun: 'click', tags: ['tick', 'tap', 'button'] },
  random: { noun: 'sound effect', tags: ['retro', '8-bit', 'game'] },
} as const satisfies Record<string, { noun: string; tags: readonly string[] }>;

export type PresetName = keyof typeof PRESETS;

const WAVES: WaveName[] = ['square', 'sawtooth', 'sine', 'noise'];
// jsfxr steps its oscillator 8 times per 44.1 kHz sample and counts the period in those steps.
const STEP_HZ = 8 * 44100;
const MAX_EXTRAS = 2;

/**
 * Describes a sound from its jsfxr parameters and its rendered length.
 * @example describeSound('explosion', {wave_type: 3, p_base_freq: 0.1, ...}, 1.4).caption
 *   // 'long very low rumbling explosion — boom, blast, bang'
 */
export function describeSound(preset: PresetName, p: JsfxrParams, durationSec: number): SoundDescription {
  const wave = WAVES[p.wave_type] ?? 'square';
  const startPeriod = 100 / (p.p_base_freq * p.p_base_freq + 0.001);
  const startHz = STEP_HZ / startPeriod;
  const pitchChangeOctaves = pitchChange(p, startPeriod, durationSec);

  const words = [lengthWord(durationSec), pitchWord(startHz)].filter((w): w is string => w !== undefined);

  if (pitchChangeOctaves >= 0.4) words.push('rising');
  else if (pitchChangeOctaves <= -0.4) words.push('falling');

  const extras: string[] = [];
  if (p.p_repeat_speed > 0) extras.push('repeating');
  if (p.p_arp_mod !== 0 && p.p_arp_speed > 0 && arpeggioSec(p) < durationSec) extras.push('two-note');
  if (p.p_vib_strength > 0.1 && p.p_vib_speed > 0.05) extras.push('wobbly');
  if (p.p_env_punch > 0.4) extras.push('punchy');
  if (p.p_env_attack > 0.35) extras.push('swelling');
  if (p.p_lpf_freq < 0.4) extras.push('muffled');
  if (p.p_hpf_freq > 0.5) extras.push('thin');

  // More than two of these makes a caption read like a parameter dump (the random preset sets them all).
  words.push(...extras.slice(0, MAX_EXTRAS), timbre(wave, startHz));
  const { noun, tags } = PRESETS[preset];
  return {
    caption: `${words.join(' ')} ${noun} — ${tags.join(', ')}`,
    descriptors: words,
    startHz: Math.round(startHz),
    pitchChangeOctaves: Math.round(pitchChangeOctaves * 100) / 100,
    wave,
  };
}

/** How long a sound is, in a caption's words; none for the middle lengths. @example lengthWord(0.3) // 'short' */
export function lengthWord(durationSec: number): string | undefined {
  if (durationSec < 0.15) return 'very short';
  if (durationSec < 0.4) return 'short';
  if (durationSec >= 2) return 'very long';
  if (durationSec >= 1) return 'long';
  return undefined;
}

/** How high a sound is, in a caption's words; none for the middle pitches. @example pitchWord(2000) // 'high-pitched' */
export function pitchWord(hz: number): string | undefined {
  if (hz < 120) return 'very low';
  if (hz < 300) return 'low';
  if (hz >= 2500) return 'very high-pitched';
  if (hz >= 1000) return 'high-pitched';
  return undefined;
}

function timbre(wave: WaveName, startHz: number): string {
  if (wave === 'noise') return startHz < 250 ? 'rumbling' : startHz < 1200 ? 'crackling' : 'hissing';
  return { square: 'retro', sawtooth: 'buzzy', sine: 'smooth' }[wave];
}

/**
 * Octaves the pitch moves, from jsfxr's period update (period *= 1 - ramp^3 / 100 each
 * sample, clamped at the frequency limit). jsfxr exposes no pitch track, so this mirrors its
 * arithmetic; the delta slide (used only by the random preset) is left out.
 */
function pitchChange(p: JsfxrParams, startPeriod: number, durationSec: number): number {
  const mult = 1 - Math.pow(p.p_freq_ramp, 3) * 0.01;
  if (mult <= 0) return 0;
  let steps = durationSec * 44100;
  if (p.p_repeat_speed > 0) steps = Math.min(steps, Math.floor(Math.pow(1 - p.p_repeat_speed, 2) * 20000 + 32));
  let endPeriod = startPeriod * Math.pow(mult, steps);
  const maxPeriod = 100 / (p.p_freq_limit * p.p_freq_limit + 0.001);
  endPeriod = Math.min(Math.max(endPeriod, 8), maxPeriod);
  return Math.log2(startPeriod / endPeriod);
}

function arpeggioSec(p: JsfxrParams): number {
  return (Math.pow(1 - p.p_arp_speed, 2) * 20000 + 32) / 44100;
}
