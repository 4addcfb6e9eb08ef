import { jsfxr, type JsfxrParams } from 'jsfxr';
import { describe, expect, it } from 'vitest';
import { describeSound } from './sound-caption.ts';

const params = (overrides: Partial<JsfxrParams>): JsfxrParams => Object.assign(new jsfxr.Params(), overrides);

describe('describeSound', () => {
  it("describes jsfxr's tone preset (1 s sine at 440 Hz) as a long smooth tone with no pitch word", () => {
    const tone = Object.assign(new jsfxr.Params(), {}) as JsfxrParams & { tone(): JsfxrParams };
    tone.tone();
    const d = describeSound('tone', tone, 1.0);
    expect(d.startHz).toBe(440);
    expect(d.wave).toBe('sine');
    expect(d.descriptors).toEqual(['long', 'smooth']);
    expect(d.caption).toBe('long smooth tone — beep, pure tone, test tone');
  });

  it('calls a long low noise a rumbling explosion', () => {
    const d = describeSound('explosion', params({ wave_type: 3, p_base_freq: 0.15, p_freq_ramp: 0 }), 1.5);
    expect(d.caption.startsWith('long very low rumbling explosion')).toBe(true);
  });

  it('hears a short high laser with a steep negative slide as falling', () => {
    const d = describeSound('laserShoot', params({ wave_type: 1, p_base_freq: 0.8, p_freq_limit: 0.2, p_freq_ramp: -0.5 }), 0.2);
    expect(d.pitchChangeOctaves).toBeLessThan(-1);
    expect(d.descriptors).toEqual(['short', 'high-pitched', 'falling', 'buzzy']);
    expect(d.caption).toContain('laser zap');
  });

  it('hears a positive slide as rising', () => {
    const d = describeSound('powerUp', params({ wave_type: 0, p_base_freq: 0.3, p_freq_ramp: 0.3 }), 0.6);
    expect(d.descriptors).toContain('rising');
    expect(d.caption).toMatch(/rising .*power-up chime/);
  });

  it('keeps at most two effect words (the random preset sets many)', () => {
    const busy = params({ p_repeat_speed: 0.5, p_vib_strength: 0.5, p_vib_speed: 0.5, p_env_punch: 0.8, p_lpf_freq: 0.2, p_hpf_freq: 0.8 });
    const d = describeSound('random', busy, 0.5);
    expect(d.descriptors.filter((w) => ['repeating', 'wobbly', 'punchy', 'muffled', 'thin'].includes(w))).toHaveLength(2);
  });
});
