/**
 * 16-bit PCM WAV encoding in the browser. The server decodes WAV, OGG Vorbis, MP3 and FLAC, but
 * MediaRecorder gives WebM/Opus (or MP4/AAC on Safari), so recordings are decoded with the
 * browser's own decoder and re-encoded here.
 */

/** Mixes channels down to mono and writes a WAV file: 44-byte header, then little-endian int16 samples. */
export function encodeWav(channels: Float32Array[], sampleRate: number): ArrayBuffer {
  const length = channels[0]?.length ?? 0;
  const out = new ArrayBuffer(44 + length * 2);
  const view = new DataView(out);
  const ascii = (offset: number, text: string): void => {
    for (let i = 0; i < text.length; i++) view.setUint8(offset + i, text.charCodeAt(i));
  };
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + length * 2, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true); // fmt chunk size
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * 2, true); // byte rate
  view.setUint16(32, 2, true); // block align
  view.setUint16(34, 16, true); // bits per sample
  ascii(36, 'data');
  view.setUint32(40, length * 2, true);
  const gain = 1 / Math.max(1, channels.length);
  for (let i = 0; i < length; i++) {
    let sum = 0;
    for (const channel of channels) sum += channel[i] ?? 0;
    const s = Math.max(-1, Math.min(1, sum * gain));
    view.setInt16(44 + i * 2, s < 0 ? s * 0x8000 : s * 0x7fff, true);
  }
  return out;
}

/** Decodes any clip the browser can play and returns it as a WAV file, at most `maxSeconds` long. */
export async function toWav(blob: Blob, name: string, maxSeconds = 30): Promise<File> {
  const AudioCtx = window.AudioContext ?? (window as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
  if (!AudioCtx) throw new Error('this browser cannot decode audio (no AudioContext)');
  const context = new AudioCtx();
  try {
    const buffer = await context.decodeAudioData(await blob.arrayBuffer());
    const frames = Math.min(buffer.length, Math.round(maxSeconds * buffer.sampleRate));
    const channels = Array.from({ length: buffer.numberOfChannels }, (_, c) => buffer.getChannelData(c).subarray(0, frames));
    return new File([encodeWav(channels, buffer.sampleRate)], name, { type: 'audio/wav' });
  } finally {
    void context.close();
  }
}
