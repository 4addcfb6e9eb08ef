import { RosettaError } from '../errors.ts';
import { ascii, id3End, isMpegFrameHeader, type AudioType } from './sniff.ts';

/** audio-decode's name for the codec that decodes a file. */
export type DecoderFormat = 'wav' | 'oga' | 'mp3' | 'flac';

/** What a file's headers say before any audio is decoded. */
export interface Probe {
  type: AudioType;
  format: DecoderFormat;
  /** Length in seconds that the headers state or imply, when they do. */
  seconds?: number;
  /**
   * True when `seconds` is stated exactly (a WAV data size, a FLAC sample count), so that a
   * file that decodes to much less is known to be truncated. Ogg and MP3 lengths are estimates.
   */
  exact: boolean;
}

const MIN_RATE = 1000;
const MAX_RATE = 768_000;

/**
 * Reads the container headers of a sniffed file: rejects nonsense headers (CORRUPT_MEDIA) and
 * codecs audio-decode cannot decode (UNSUPPORTED_MEDIA), and states the length if it can.
 * Cheap: it never decodes audio; MP3 walks frame headers only.
 *
 * @example
 * probeAudio('wav', wavBytes, 'a.wav') // { type: 'wav', format: 'wav', seconds: 2, exact: true }
 */
export function probeAudio(type: AudioType, data: Buffer, name: string): Probe {
  switch (type) {
    case 'wav':
      return probeWav(data, name);
    case 'flac':
      return probeFlac(data, name, id3End(data));
    case 'ogg':
      return probeOgg(data, name);
    case 'mp3':
      return probeMp3(data, name);
  }
}

function corrupt(name: string, what: string, reason: string): RosettaError {
  return new RosettaError('CORRUPT_MEDIA', `${name}: ${what} ${reason}`);
}

function unsupported(name: string, reason: string): RosettaError {
  return new RosettaError('UNSUPPORTED_MEDIA', `${name}: ${reason}; supported audio is WAV, Ogg Vorbis, MP3 and FLAC`);
}

// WAVE format tags audio-decode's WAV decoder reads (0xFFFE, EXTENSIBLE, is resolved first).
const WAV_CODECS: Record<number, string> = { 1: 'PCM', 3: 'float', 6: 'A-law', 7: 'mu-law', 2: 'MS ADPCM', 0x11: 'IMA ADPCM' };

function probeWav(data: Buffer, name: string): Probe {
  let pos = 12;
  let fmt: { tag: number; channels: number; rate: number; byteRate: number; blockAlign: number; bits: number } | null = null;
  for (let chunks = 0; pos + 8 <= data.length && chunks < 10_000; chunks++) {
    const id = ascii(data, pos, 4);
    const size = data.readUInt32LE(pos + 4);
    if (id === 'fmt ') {
      if (size < 16 || pos + 24 > data.length) throw corrupt(name, 'WAV', 'has a truncated fmt chunk');
      let tag = data.readUInt16LE(pos + 8);
      if (tag === 0xfffe && size >= 40 && pos + 34 <= data.length) tag = data.readUInt16LE(pos + 32);
      fmt = {
        tag,
        channels: data.readUInt16LE(pos + 10),
        rate: data.readUInt32LE(pos + 12),
        byteRate: data.readUInt32LE(pos + 16),
        blockAlign: data.readUInt16LE(pos + 20),
        bits: data.readUInt16LE(pos + 22),
      };
      checkWavFormat(fmt, name);
    } else if (id === 'data') {
      if (!fmt) throw corrupt(name, 'WAV', 'has a data chunk before its fmt chunk');
      const available = data.length - (pos + 8);
      // 0 (with bytes following) and 0xFFFFFFFF are what streaming writers leave when they
      // cannot seek back; the decoder then reads to the end of the file, and so do we.
      const placeholder = size === 0xffffffff || (size === 0 && available > 0);
      const bytes = placeholder ? available : size;
      const byteRate = fmt.byteRate > 0 ? fmt.byteRate : fmt.blockAlign * fmt.rate;
      return { type: 'wav', format: 'wav', seconds: bytes / byteRate, exact: !placeholder };
    }
    // RIFF chunks are padded to an even length.
    pos += 8 + size + (size & 1);
  }
  throw corrupt(name, 'WAV', fmt ? 'has no data chunk (the file is truncated or not a WAV)' : 'has no fmt chunk');
}

function checkWavFormat(f: { tag: number; channels: number; rate: number; blockAlign: number; bits: number }, name: string): void {
  const codec = WAV_CODECS[f.tag];
  if (!codec) throw unsupported(name, `WAV with format tag 0x${f.tag.toString(16)} is not supported`);
  if (f.channels === 0 || f.channels > 32) throw corrupt(name, 'WAV', `declares ${f.channels} channels`);
  if (f.rate === 0) throw corrupt(name, 'WAV', 'declares a sample rate of 0 Hz');
  if (f.rate < MIN_RATE || f.rate > MAX_RATE) throw unsupported(name, `WAV sample rate ${f.rate} Hz is outside ${MIN_RATE}-${MAX_RATE} Hz`);
  if (f.blockAlign === 0) throw corrupt(name, 'WAV', 'declares a block size of 0 bytes');
  if (codec === 'PCM' && ![8, 16, 24, 32].includes(f.bits)) throw unsupported(name, `${f.bits}-bit PCM WAV is not supported`);
  if (codec === 'float' && ![32, 64].includes(f.bits)) throw unsupported(name, `${f.bits}-bit float WAV is not supported`);
}

function probeFlac(data: Buffer, name: string, offset: number): Probe {
  // fLaC, then the first metadata block, which must be a 34-byte STREAMINFO.
  const head = offset + 4;
  if (data.length < head + 4 + 34) throw corrupt(name, 'FLAC', 'ends inside its STREAMINFO header');
  const blockType = data[head] & 0x7f;
  const blockLength = data.readUIntBE(head + 1, 3);
  if (blockType !== 0 || blockLength !== 34) throw corrupt(name, 'FLAC', 'does not start with a valid STREAMINFO block');
  const s = head + 4;
  const rate = (data[s + 10] << 12) | (data[s + 11] << 4) | (data[s + 12] >> 4);
  if (rate === 0) throw corrupt(name, 'FLAC', 'declares a sample rate of 0 Hz');
  if (rate < MIN_RATE || rate > MAX_RATE) throw unsupported(name, `FLAC sample rate ${rate} Hz is outside ${MIN_RATE}-${MAX_RATE} Hz`);
  const totalSamples = (data[s + 13] & 0x0f) * 2 ** 32 + data.readUInt32BE(s + 14);
  // A sample count of 0 means "unknown" in FLAC, not "empty".
  return totalSamples > 0
    ? { type: 'flac', format: 'flac', seconds: totalSamples / rate, exact: true }
    : { type: 'flac', format: 'flac', exact: false };
}

function probeOgg(data: Buffer, name: string): Probe {
  if (data.length < 28 || data[4] !== 0 || (data[5] & 0x02) === 0) {
    throw corrupt(name, 'Ogg', 'does not start with a valid first page');
  }
  const packet = 27 + data[26];
  const tag = ascii(data, packet, 8);
  if (tag.startsWith('\x01vorbis')) {
    if (data.length < packet + 16) throw corrupt(name, 'Ogg Vorbis', 'ends inside its identification header');
    const channels = data[packet + 11];
    const rate = data.readUInt32LE(packet + 12);
    if (channels === 0 || rate === 0) throw corrupt(name, 'Ogg Vorbis', `declares ${channels} channels at ${rate} Hz`);
    if (rate < MIN_RATE || rate > MAX_RATE) throw unsupported(name, `Ogg Vorbis sample rate ${rate} Hz is outside ${MIN_RATE}-${MAX_RATE} Hz`);
    const granule = lastGranule(data);
    return granule === undefined ? { type: 'ogg', format: 'oga', exact: false } : { type: 'ogg', format: 'oga', seconds: granule / rate, exact: false };
  }
  // Ogg FLAC: audio-decode's FLAC decoder reads the Ogg mapping too.
  if (tag.startsWith('\x7fFLAC')) return { type: 'ogg', format: 'flac', exact: false };
  if (tag === 'OpusHead') throw unsupported(name, 'Ogg Opus audio is not supported (no Opus decoder is installed)');
  if (tag === 'Speex   ') throw unsupported(name, 'Ogg Speex audio is not supported');
  if (tag.startsWith('\x80theora')) throw unsupported(name, 'this is an Ogg Theora video');
  throw corrupt(name, 'Ogg', 'stream does not start with a Vorbis header');
}

/**
 * Granule position (samples) of the last page whose CRC checks, or undefined. Ogg keeps no
 * length in its header; the last page's granule is the standard way to get one, and checking
 * the CRC keeps a damaged tail from claiming an absurd length.
 */
function lastGranule(data: Buffer): number | undefined {
  // Pages are at most 65,307 bytes; look back over two of them.
  const floor = Math.max(0, data.length - 65_307 * 2);
  let p = data.length >= 27 ? data.lastIndexOf('OggS', data.length - 27, 'latin1') : -1;
  while (p >= floor) {
    const granule = checkedGranule(data, p);
    if (granule !== undefined && granule >= 0) return granule;
    // (lastIndexOf counts a negative offset from the end, so stop at 0 by hand.)
    p = p === 0 ? -1 : data.lastIndexOf('OggS', p - 1, 'latin1');
  }
  return undefined;
}

function checkedGranule(data: Buffer, p: number): number | undefined {
  const segments = data[p + 26];
  if (p + 27 + segments > data.length) return undefined;
  let bodyLength = 0;
  for (let i = 0; i < segments; i++) bodyLength += data[p + 27 + i];
  const end = p + 27 + segments + bodyLength;
  if (end > data.length || oggCrc(data, p, end) !== data.readUInt32LE(p + 22)) return undefined;
  // -1 means "no packet ends on this page".
  return Number(data.readBigInt64LE(p + 6));
}

let crcTable: Uint32Array | null = null;

/** Ogg's CRC-32 (polynomial 0x04c11db7, not reflected), computed with the CRC field as zeros. */
function oggCrc(data: Buffer, start: number, end: number): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let i = 0; i < 256; i++) {
      let r = i << 24;
      for (let j = 0; j < 8; j++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
      crcTable[i] = r >>> 0;
    }
  }
  let crc = 0;
  for (let i = start; i < end; i++) {
    const byte = i >= start + 22 && i < start + 26 ? 0 : data[i];
    crc = ((crc << 8) ^ crcTable[((crc >>> 24) ^ byte) & 0xff]) >>> 0;
  }
  return crc;
}

// MPEG audio frame tables, indexed [version][layer][index]; version 0 = MPEG-1, 1 = MPEG-2/2.5.
const BITRATES_KBPS = [
  [
    [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
    [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
    [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  ],
  [
    [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
    [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
    [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  ],
];
const MPEG_RATES: Record<number, number[]> = { 3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000] };

interface MpegFrame {
  length: number;
  samples: number;
  rate: number;
}

/** Length and sample count of the MPEG frame at `offset`, or null if there is none (or free format). */
export function mpegFrame(data: Buffer, offset: number): MpegFrame | null {
  if (!isMpegFrameHeader(data, offset)) return null;
  const b1 = data[offset + 1];
  const b2 = data[offset + 2];
  const versionBits = (b1 >> 3) & 3;
  const layer = 4 - ((b1 >> 1) & 3); // 1, 2 or 3
  const v = versionBits === 3 ? 0 : 1;
  const kbps = BITRATES_KBPS[v][layer - 1][b2 >> 4];
  const rate = MPEG_RATES[versionBits][(b2 >> 2) & 3];
  if (kbps === 0) return null;
  const pad = (b2 >> 1) & 1;
  if (layer === 1) return { length: (Math.floor((12_000 * kbps) / rate) + pad) * 4, samples: 384, rate };
  const samples = layer === 3 && v === 1 ? 576 : 1152;
  return { length: Math.floor(((samples / 8) * 1000 * kbps) / rate) + pad, samples, rate };
}

const MP3_SCAN_BYTES = 64 * 1024;

function probeMp3(data: Buffer, name: string): Probe {
  const start = id3End(data);
  if (start >= data.length) throw corrupt(name, 'MP3', 'has an ID3 tag but no audio after it');
  // Find the first frame that is followed by another frame (or ends the file exactly): a lone
  // sync word in random bytes is common, a chain of two is not. Some encoders leave junk
  // before the first frame, hence the scan.
  let first = -1;
  const scanEnd = Math.min(data.length - 4, start + MP3_SCAN_BYTES);
  for (let p = start; p <= scanEnd; p++) {
    const f = data[p] === 0xff ? mpegFrame(data, p) : null;
    if (f && (p + f.length === data.length || mpegFrame(data, p + f.length))) {
      first = p;
      break;
    }
  }
  if (first < 0) throw corrupt(name, 'MP3', 'has no valid chain of MPEG audio frames');
  let p = first;
  let frames = 0;
  let samples = 0;
  let rate = 0;
  for (let f = mpegFrame(data, p); f && p + f.length <= data.length; f = mpegFrame(data, p)) {
    frames++;
    samples += f.samples;
    rate = f.rate;
    p += f.length;
  }
  // Where the chain breaks (damage, trailing tags), extrapolate by bytes: an estimate only.
  const seconds = (samples / rate) * ((data.length - first) / Math.max(1, p - first));
  return { type: 'mp3', format: 'mp3', seconds: frames > 0 ? seconds : undefined, exact: false };
}
