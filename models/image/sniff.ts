/** The image formats the engine decodes (what this sharp build reads, minus PDF and RAW). */
export type ImageType = 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'avif' | 'svg';

const ascii = (data: Buffer, start: number, end: number): string =>
  data.subarray(start, end).toString('latin1');

const startsWith = (data: Buffer, bytes: readonly number[], at = 0): boolean =>
  data.length >= at + bytes.length && bytes.every((b, i) => data[at + i] === b);

/** ISO-BMFF `ftyp` brands (major and compatible), or null when the file has no ftyp box. */
function ftypBrands(data: Buffer): string[] | null {
  if (data.length < 16 || ascii(data, 4, 8) !== 'ftyp') return null;
  const boxSize = Math.min(data.readUInt32BE(0), data.length, 4096);
  const brands = [ascii(data, 8, 12)];
  for (let at = 16; at + 4 <= boxSize; at += 4) brands.push(ascii(data, at, at + 4));
  return brands;
}

/**
 * True when the text starts with an `<svg` root element, allowing a BOM, whitespace, an XML
 * declaration, comments, processing instructions and a DOCTYPE before it.
 */
function looksLikeSvg(data: Buffer): boolean {
  let text = data.subarray(0, 4096).toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  // Skip prolog items one at a time; each regex is anchored so a non-SVG document fails fast.
  const prolog = /^\s*(?:<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!DOCTYPE[^>\[]*(?:\[[\s\S]*?\])?\s*>)/i;
  for (let guard = 0; guard < 32; guard++) {
    const m = prolog.exec(text);
    if (!m) break;
    text = text.slice(m[0].length);
  }
  return /^\s*<svg[\s>/]/i.test(text);
}

/**
 * The image type of `data` by its magic number (never by file name), or null when it is not
 * an image type we decode.
 *
 * @example
 * sniffImageType(readFileSync('cat.jpg')) // 'jpeg'
 * sniffImageType(Buffer.from('hello'))    // null
 */
export function sniffImageType(data: Buffer): ImageType | null {
  if (startsWith(data, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(data, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (data.length >= 6 && (ascii(data, 0, 6) === 'GIF87a' || ascii(data, 0, 6) === 'GIF89a')) return 'gif';
  if (data.length >= 12 && ascii(data, 0, 4) === 'RIFF' && ascii(data, 8, 12) === 'WEBP') return 'webp';
  // Classic TIFF (42) and BigTIFF (43), both byte orders.
  if (startsWith(data, [0x49, 0x49, 0x2a, 0x00]) || startsWith(data, [0x4d, 0x4d, 0x00, 0x2a])) return 'tiff';
  if (startsWith(data, [0x49, 0x49, 0x2b, 0x00]) || startsWith(data, [0x4d, 0x4d, 0x00, 0x2b])) return 'tiff';
  const brands = ftypBrands(data);
  if (brands && (brands.includes('avif') || brands.includes('avis'))) return 'avif';
  if (looksLikeSvg(data)) return 'svg';
  return null;
}

const known: [test: (d: Buffer) => boolean, what: string][] = [
  [(d) => startsWith(d, [0x42, 0x4d]) && d.length >= 14, 'a BMP image'],
  [(d) => ascii(d, 0, 5) === '%PDF-', 'a PDF document'],
  [(d) => ascii(d, 0, 4) === 'RIFF' && ascii(d, 8, 12) === 'WAVE', 'WAV audio'],
  [(d) => ascii(d, 0, 4) === 'RIFF' && ascii(d, 8, 12) === 'AVI ', 'an AVI video'],
  [(d) => ascii(d, 0, 3) === 'ID3' || (d[0] === 0xff && (d[1] & 0xe0) === 0xe0), 'MP3 audio'],
  [(d) => ascii(d, 0, 4) === 'OggS', 'Ogg audio'],
  [(d) => ascii(d, 0, 4) === 'fLaC', 'FLAC audio'],
  [(d) => startsWith(d, [0x00, 0x00, 0x01, 0x00]), 'an ICO icon'],
  [(d) => ascii(d, 0, 4) === '8BPS', 'a Photoshop document'],
  [(d) => startsWith(d, [0xff, 0x0a]) || ascii(d, 4, 12) === 'JXL \r\n\x87\n', 'a JPEG XL image'],
  [(d) => ascii(d, 4, 12) === 'jP  \r\n\x87\n', 'a JPEG 2000 image'],
  [(d) => ascii(d, 0, 4) === 'PK\x03\x04', 'a ZIP archive'],
  [(d) => startsWith(d, [0x1f, 0x8b]), 'gzip data (a compressed SVG is not supported)'],
  [(d) => ascii(d, 0, 2) === 'MZ' || ascii(d, 0, 4) === '\x7fELF', 'an executable'],
];

/** Printable UTF-8 with no NULs in the first 512 bytes: almost surely text, not an image. */
function isText(data: Buffer): boolean {
  const head = data.subarray(0, 512);
  if (head.includes(0)) return false;
  const text = head.toString('utf8');
  const bad = [...text].filter((c) => c === '\ufffd' || (c < ' ' && !'\t\n\r\f'.includes(c))).length;
  return bad <= 1; // one bad char may be a multi-byte sequence cut at byte 512
}

/**
 * What `data` looks like, for error messages about files we do not decode.
 *
 * @example
 * describeContent(Buffer.from('BM...')) // 'a BMP image'
 */
export function describeContent(data: Buffer): string {
  const brands = ftypBrands(data);
  if (brands) {
    if (brands.some((b) => ['heic', 'heix', 'hevc', 'heim', 'heis', 'mif1'].includes(b))) {
      return 'a HEIC/HEIF image (HEVC-coded HEIF is not supported; AVIF is)';
    }
    return `an MP4/QuickTime file (brand ${JSON.stringify(brands[0])})`;
  }
  for (const [test, what] of known) if (test(data)) return what;
  if (isText(data)) {
    const head = data.subarray(0, 256).toString('utf8').trimStart().toLowerCase();
    if (head.startsWith('<!doctype html') || head.startsWith('<html')) return 'an HTML document';
    if (head.startsWith('<')) return 'an XML document without an <svg> root';
    return 'text';
  }
  const hex = [...data.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  return `unknown binary data (first bytes ${hex})`;
}
