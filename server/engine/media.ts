/**
 * Query media as it arrives over HTTP: data URLs in JSON, or uploaded files. The bytes decide
 * what a file is (magic numbers); a declared type that disagrees is refused rather than trusted.
 */
import { RosettaError } from '../../models/errors.ts';
import { describeContent, sniffImageType } from '../../models/image/index.ts';
import { sniffAudioType } from '../../models/audio/index.ts';
import type { MediaInput } from '../../models/types.ts';
import { MIME_TYPES } from '../../indexer/job/index.ts';

export type QueryMediaField = 'image' | 'sketch' | 'audio';

/** What each query field accepts: sketches are images too. */
const fieldKind: Record<QueryMediaField, 'image' | 'audio'> = { image: 'image', sketch: 'image', audio: 'audio' };


/** Names browsers and tools use for the same formats. */
const aliases: Record<string, string> = {
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
  'audio/x-wav': 'audio/wav',
  'audio/wave': 'audio/wav',
  'audio/vnd.wave': 'audio/wav',
  'audio/mp3': 'audio/mpeg',
  'audio/x-flac': 'audio/flac',
  'audio/opus': 'audio/ogg',
  'audio/vorbis': 'audio/ogg',
  'application/ogg': 'audio/ogg',
};

/** Types that say nothing about the content, so there is nothing to contradict. */
const vague = new Set(['application/octet-stream', 'binary/octet-stream', '']);

/**
 * The bytes of a `data:<mime>;base64,...` URL, checked against the field and the declared type.
 *
 * @example
 * fromDataUrl('image', 'data:image/png;base64,iVBORw0KGgo...') // { name: 'image', data: <Buffer 89 50 4e 47 ...> }
 */
export function fromDataUrl(field: QueryMediaField, url: string): MediaInput {
  const comma = url.indexOf(',');
  const header = comma > 5 ? url.slice(5, comma) : '';
  if (!/^data:/i.test(url) || !/;base64$/i.test(header)) {
    throw new RosettaError('INVALID_ARGUMENT', `${field} must be a base64 data URL (data:<mime type>;base64,<bytes>)`);
  }
  const declared = header.split(';')[0].toLowerCase();
  const body = url.slice(comma + 1);
  if (!/^[A-Za-z0-9+/\r\n]*={0,2}$/.test(body)) throw new RosettaError('INVALID_ARGUMENT', `${field} data URL is not valid base64`);
  return checkMedia(field, { name: field, data: Buffer.from(body, 'base64') }, declared);
}

/**
 * An uploaded or decoded file checked for the field it came in: non-empty, of the field's
 * kind, and of the declared type when one was given.
 */
export function checkMedia(field: QueryMediaField, input: MediaInput, declared?: string): MediaInput {
  if (input.data.length === 0) throw new RosettaError('EMPTY_INPUT', `${field} is empty (0 bytes)`);
  const want = fieldKind[field];
  const image = sniffImageType(input.data);
  const audio = image ? undefined : sniffAudioType(input.data);
  const actual = image ?? audio;
  if (!actual) {
    throw new RosettaError(
      'UNSUPPORTED_MEDIA',
      `${field} is not a supported ${want} file: it looks like ${describeContent(input.data)}. ` +
        (want === 'image' ? 'Send JPEG, PNG, WebP, GIF, TIFF, AVIF or SVG.' : 'Send WAV, OGG, MP3 or FLAC.'),
    );
  }
  const kind = image ? 'image' : 'audio';
  if (kind !== want) throw new RosettaError('UNSUPPORTED_MEDIA', `${field} must be ${want === 'image' ? 'an image' : 'audio'}, but the bytes are ${MIME_TYPES[actual]}`);
  const norm = declared === undefined ? '' : (aliases[declared.toLowerCase()] ?? declared.toLowerCase());
  if (!vague.has(norm) && norm !== MIME_TYPES[actual]) {
    throw new RosettaError('UNSUPPORTED_MEDIA', `${field} is declared as ${declared} but its bytes are ${MIME_TYPES[actual]}`);
  }
  return input;
}
