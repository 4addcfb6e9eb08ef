export type AudioType = 'wav' | 'ogg' | 'mp3' | 'flac';

/**
 * The audio container of a file, from its magic number (never its name).
 *
 * @example
 * sniffAudioType(readFileSync('a.flac')) // 'flac'
 * sniffAudioType(Buffer.from('hello'))   // null
 */
export function sniffAudioType(data: Buffer): AudioType | null {
  if (data.length >= 12 && ascii(data, 0, 4) === 'RIFF' && ascii(data, 8, 4) === 'WAVE') return 'wav';
  if (ascii(data, 0, 4) === 'OggS') return 'ogg';
  if (ascii(data, 0, 4) === 'fLaC') return 'flac';
  const tagEnd = id3End(data);
  if (tagEnd > 0) {
    // An ID3v2 tag also prefixes some FLAC files; what follows the tag decides.
    return ascii(data, tagEnd, 4) === 'fLaC' ? 'flac' : 'mp3';
  }
  if (isMpegFrameHeader(data, 0)) return 'mp3';
  return null;
}

/** Byte offset just past a leading ID3v2 tag, or 0 when there is none. */
export function id3End(data: Buffer): number {
  if (data.length < 10 || ascii(data, 0, 3) !== 'ID3') return 0;
  // The size is "synchsafe": four 7-bit bytes, excluding the 10-byte header and the footer.
  const size = ((data[6] & 0x7f) << 21) | ((data[7] & 0x7f) << 14) | ((data[8] & 0x7f) << 7) | (data[9] & 0x7f);
  const footer = data[5] & 0x10 ? 10 : 0;
  return 10 + size + footer;
}

/**
 * Whether an MPEG audio frame header starts at `offset`: 11 sync bits, a version other than
 * "reserved", layer I-III, and a bitrate and sample rate index that are not reserved. Checking
 * the indices as well as the sync keeps random bytes that start with 0xFF from passing.
 */
export function isMpegFrameHeader(data: Buffer, offset: number): boolean {
  if (offset + 4 > data.length) return false;
  const b1 = data[offset + 1];
  const b2 = data[offset + 2];
  if (data[offset] !== 0xff || (b1 & 0xe0) !== 0xe0) return false;
  const version = (b1 >> 3) & 3;
  const layer = (b1 >> 1) & 3;
  const bitrate = b2 >> 4;
  const rate = (b2 >> 2) & 3;
  return version !== 1 && layer !== 0 && bitrate !== 15 && rate !== 3;
}

/**
 * A short human description of what a non-audio (or unsupported audio) file looks like, for
 * UNSUPPORTED_MEDIA messages.
 *
 * @example
 * describeContent(pngBytes) // 'a PNG image'
 */
export function describeContent(data: Buffer): string {
  const head4 = ascii(data, 0, 4);
  if (data.length >= 8 && data.readUInt32BE(0) === 0x89504e47) return 'a PNG image';
  if (data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return 'a JPEG image';
  if (head4 === 'GIF8') return 'a GIF image';
  if (head4 === 'RIFF' && ascii(data, 8, 4) === 'WEBP') return 'a WebP image';
  if (head4 === 'RIFF' && ascii(data, 8, 4) === 'AVI ') return 'an AVI video';
  if (head4 === 'RIFF') return `a RIFF file of type '${ascii(data, 8, 4)}'`;
  if (head4 === 'RF64' || head4 === 'BW64') return 'a 64-bit WAV (RF64/BW64, not supported)';
  if (head4 === '%PDF') return 'a PDF document';
  if (head4 === 'PK\x03\x04') return 'a ZIP archive';
  if (head4 === 'FORM' && /^AIF[FC]$/.test(ascii(data, 8, 4))) return 'AIFF audio (not supported)';
  if (ascii(data, 4, 4) === 'ftyp') return 'an MP4/M4A container (not supported)';
  if (data.length >= 4 && data.readUInt32BE(0) === 0x1a45dfa3) return 'a Matroska/WebM container (not supported)';
  if (data.length >= 2 && data[0] === 0xff && (data[1] & 0xf6) === 0xf0) return 'AAC audio (not supported)';
  if (looksLikeText(data)) return 'text';
  return 'unrecognised binary data';
}

function looksLikeText(data: Buffer): boolean {
  const n = Math.min(data.length, 512);
  if (n === 0) return false;
  let printable = 0;
  for (let i = 0; i < n; i++) {
    const c = data[i];
    if ((c >= 0x20 && c < 0x7f) || c === 0x09 || c === 0x0a || c === 0x0d || c >= 0x80) printable++;
    else if (c === 0) return false;
  }
  return printable / n > 0.95;
}

export function ascii(data: Buffer, offset: number, length: number): string {
  if (offset + length > data.length) return '';
  return data.toString('latin1', offset, offset + length);
}
