import { describe, expect, it } from 'vitest';
import { describeContent, sniffAudioType } from './sniff.ts';

const bytes = (...parts: Array<string | number[]>): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));

describe('sniffAudioType', () => {
  it('recognises RIFF....WAVE as wav', () => {
    expect(sniffAudioType(bytes('RIFF', [0, 0, 0, 0], 'WAVEfmt '))).toBe('wav');
  });
  it('recognises OggS, fLaC, an MPEG frame sync and an ID3 tag', () => {
    expect(sniffAudioType(bytes('OggS', [0, 2]))).toBe('ogg');
    expect(sniffAudioType(bytes('fLaC', [0, 0, 0, 34]))).toBe('flac');
    expect(sniffAudioType(bytes([0xff, 0xfb, 0x90, 0x00]))).toBe('mp3');
    expect(sniffAudioType(bytes('ID3', [4, 0, 0, 0, 0, 0, 0], [0xff, 0xfb, 0x90, 0]))).toBe('mp3');
  });
  it('reads past an ID3 tag to find FLAC', () => {
    expect(sniffAudioType(bytes('ID3', [4, 0, 0, 0, 0, 0, 2], [0, 0], 'fLaC'))).toBe('flac');
  });
  it('ignores the file name and rejects other content', () => {
    expect(sniffAudioType(Buffer.from('RIFF but not a wave'))).toBeNull();
    expect(sniffAudioType(bytes('RIFF', [0, 0, 0, 0], 'WEBPVP8 '))).toBeNull();
    expect(sniffAudioType(Buffer.from('hello, world'))).toBeNull();
    expect(sniffAudioType(Buffer.alloc(0))).toBeNull();
    // 0xFF followed by a reserved MPEG version or bitrate index is not a frame header.
    expect(sniffAudioType(bytes([0xff, 0xeb, 0x90, 0x00]))).toBeNull();
    expect(sniffAudioType(bytes([0xff, 0xfb, 0xf0, 0x00]))).toBeNull();
  });
});

describe('describeContent', () => {
  it('names common non-audio files', () => {
    expect(describeContent(bytes([0x89], 'PNG\r\n\x1a\n', [0, 0, 0, 13]))).toBe('a PNG image');
    expect(describeContent(bytes([0xff, 0xd8, 0xff, 0xe0]))).toBe('a JPEG image');
    expect(describeContent(bytes('RIFF', [0, 0, 0, 0], 'WEBPVP8 '))).toBe('a WebP image');
    expect(describeContent(Buffer.from('just some words\n'))).toBe('text');
    expect(describeContent(bytes([0, 0, 0, 0x20], 'ftypM4A '))).toMatch(/MP4\/M4A/);
    expect(describeContent(bytes([1, 2, 3, 0, 5]))).toBe('unrecognised binary data');
  });
});
