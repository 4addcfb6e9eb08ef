import { describe, expect, it } from 'vitest';
import { describeContent, sniffImageType } from './sniff.ts';

const bytes = (...parts: (string | number[])[]) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));

/** An ISO-BMFF ftyp box with the given brands. */
function ftyp(major: string, ...compatible: string[]): Buffer {
  const body = bytes('ftyp', major, [0, 0, 0, 0], ...compatible);
  const size = Buffer.alloc(4);
  size.writeUInt32BE(body.length + 4);
  return Buffer.concat([size, body, Buffer.alloc(16)]);
}

describe('sniffImageType', () => {
  it.each([
    ['jpeg', bytes([0xff, 0xd8, 0xff, 0xe0, 0, 0x10])],
    ['png', bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0])],
    ['gif', bytes('GIF89a', [1, 0])],
    ['gif', bytes('GIF87a', [1, 0])],
    ['webp', bytes('RIFF', [0, 0, 0, 0], 'WEBPVP8 ')],
    ['tiff', bytes([0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0])],
    ['tiff', bytes([0x4d, 0x4d, 0x00, 0x2a, 0, 0, 0, 8])],
    ['tiff', bytes([0x49, 0x49, 0x2b, 0x00, 8, 0, 0, 0])],
    ['avif', ftyp('avif', 'mif1', 'miaf')],
    ['avif', ftyp('mif1', 'avif', 'miaf')],
    ['avif', ftyp('avis', 'msf1')],
  ] as const)('recognises %s by its magic number', (type, data) => {
    expect(sniffImageType(data)).toBe(type);
  });

  it.each([
    ['a bare <svg> root', '<svg xmlns="http://www.w3.org/2000/svg"/>'],
    ['leading whitespace', '\n\n   <svg width="1">'],
    ['a UTF-8 BOM', '\ufeff<svg>'],
    ['an XML declaration', '<?xml version="1.0"?>\n<svg viewBox="0 0 1 1">'],
    ['a declaration, comment and DOCTYPE', '<?xml version="1.0"?><!-- made by hand -->\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x.dtd">\n<svg>'],
  ])('recognises SVG with %s', (_, text) => {
    expect(sniffImageType(Buffer.from(text, 'utf8'))).toBe('svg');
  });

  it.each([
    ['an HTML page', '<!doctype html><html><body><svg></svg></body></html>'],
    ['an XML file with another root', '<?xml version="1.0"?><feed><svg/></feed>'],
    ['an element whose name only starts with svg', '<svgfoo/>'],
    ['plain text mentioning <svg', 'see the <svg> element'],
  ])('does not take %s for SVG', (_, text) => {
    expect(sniffImageType(Buffer.from(text))).toBeNull();
  });

  it('ignores the file name and extension entirely: a text file is not an image', () => {
    expect(sniffImageType(Buffer.from('hello, I am a .jpg'))).toBeNull();
  });

  it.each([
    ['BMP', bytes('BM', Array(60).fill(0))],
    ['PDF', bytes('%PDF-1.7\n')],
    ['WAV', bytes('RIFF', [0, 0, 0, 0], 'WAVEfmt ')],
    ['HEIC', ftyp('heic', 'mif1', 'heic')],
    ['MP4', ftyp('isom', 'mp41')],
    ['empty', bytes()],
    ['a lone JPEG SOI', bytes([0xff, 0xd8])],
  ])('returns null for %s', (_, data) => {
    expect(sniffImageType(data)).toBeNull();
  });
});

describe('describeContent', () => {
  it.each([
    [bytes('BM', Array(60).fill(0)), 'BMP'],
    [bytes('%PDF-1.4\n'), 'PDF'],
    [bytes('RIFF', [0, 0, 0, 0], 'WAVEfmt '), 'WAV'],
    [ftyp('heic', 'mif1'), 'HEIC'],
    [bytes('PK\x03\x04rest'), 'ZIP'],
    [bytes('plain words\n'), 'text'],
    [bytes('<!DOCTYPE html><html>'), 'HTML'],
    [bytes([0, 1, 2, 3, 0xfe, 0xfd, 0xfc, 0xfb, 9]), '00 01 02 03'],
  ])('says what unsupported bytes look like (%#: %s)', (data, word) => {
    expect(describeContent(data)).toContain(word);
  });
});
