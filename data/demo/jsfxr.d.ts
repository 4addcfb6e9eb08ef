// jsfxr ships no type declarations; this declares the part the demo builder uses.
declare module 'jsfxr' {
  /** Synth parameters; most are on [0, 1], the signed ones on [-1, 1]. */
  export interface JsfxrParams {
    wave_type: number;
    p_env_attack: number;
    p_env_sustain: number;
    p_env_punch: number;
    p_env_decay: number;
    p_base_freq: number;
    p_freq_limit: number;
    p_freq_ramp: number;
    p_freq_dramp: number;
    p_vib_strength: number;
    p_vib_speed: number;
    p_arp_mod: number;
    p_arp_speed: number;
    p_duty: number;
    p_duty_ramp: number;
    p_repeat_speed: number;
    p_pha_offset: number;
    p_pha_ramp: number;
    p_lpf_freq: number;
    p_lpf_ramp: number;
    p_lpf_resonance: number;
    p_hpf_freq: number;
    p_hpf_ramp: number;
    sound_vol: number;
    sample_rate: number;
    sample_size: number;
  }
  export interface JsfxrWave {
    /** The whole WAV file, one byte per element. */
    wav: number[];
    /** Float samples before quantisation. */
    buffer: number[];
    clipping: number;
  }
  export interface JsfxrSoundEffect {
    generate(): JsfxrWave;
  }
  export const jsfxr: {
    sfxr: {
      generate(preset: string, options?: { sound_vol?: number; sample_rate?: number; sample_size?: number }): JsfxrParams;
    };
    Params: new () => JsfxrParams;
    SoundEffect: new (params: JsfxrParams) => JsfxrSoundEffect;
    parameters: { order: string[] };
  };
}
