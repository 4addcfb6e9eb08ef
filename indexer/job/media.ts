import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { RosettaError } from '../../models/errors.ts';
import { describeContent, sniffImageType, type ImageType } from '../../models/image/index.ts';
import { sniffAudioType, type AudioType } from '../../models/audio/index.ts';
import type { ItemModality } from '../store/index.ts';
import { FileFailure } from './reasons.ts';

/** Larger than any file an encoder takes (audio allows 256 MiB), so refused before it is read. */
export const MAX_FILE_BYTES = 256 * 1024 * 1024;

export interface FileStat {
  size: number;
  mtimeMs: number;
}

export interface LoadedFile extends FileStat {
  data: Buffer;
  /** sha256, lowercase hex. */
  hash: string;
}

export interface MediaType {
  modality: ItemModality;
  type: ImageType | AudioType;
  mime: string;
}

/** The media type of each format Rosetta decodes. */
export const MIME_TYPES: Record<ImageType | AudioType, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  tiff: 'image/tiff',
  avif: 'image/avif',
  svg: 'image/svg+xml',
  wav: 'audio/wav',
  ogg: 'audio/ogg',
  mp3: 'audio/mpeg',
  flac: 'audio/flac',
};

/**
 * Size and modification time, refusing what is not a regular file (opening a FIFO would
 * block the job), is empty, or is too large to be media.
 *
 * @example
 * await statMedia('/lib/cat.jpg') // { size: 48213, mtimeMs: 1732780800000.123 }
 */
export async function statMedia(path: string): Promise<FileStat> {
  const info = await stat(path);
  return checkStat(path, info);
}

function checkStat(path: string, info: { isFile(): boolean; size: number; mtimeMs: number }): FileStat {
  if (!info.isFile()) throw new FileFailure('NOT_A_FILE', `${path} is not a regular file; not read`);
  if (info.size === 0) throw new RosettaError('EMPTY_INPUT', `${path} is empty (0 bytes)`);
  if (info.size > MAX_FILE_BYTES) {
    throw new RosettaError('INPUT_TOO_LARGE', `${path} is ${info.size} bytes, over the limit of ${MAX_FILE_BYTES} bytes for a media file`);
  }
  return { size: info.size, mtimeMs: info.mtimeMs };
}

/**
 * The file's bytes and sha256, with the size and mtime of the very bytes read (fstat on the
 * open handle, so a file replaced between scan and read is hashed consistently).
 *
 * @example
 * await loadFile('/lib/cat.jpg') // { data: <Buffer ff d8 ...>, hash: '9f86d0...', size: 48213, mtimeMs: ... }
 */
export async function loadFile(path: string): Promise<LoadedFile> {
  // O_NONBLOCK: a FIFO that replaced the file since it was stat'ed must not block the job.
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const { size, mtimeMs } = checkStat(path, await handle.stat());
    const data = await handle.readFile();
    if (data.length === 0) throw new RosettaError('EMPTY_INPUT', `${path} is empty (0 bytes)`);
    return { data, size, mtimeMs, hash: createHash('sha256').update(data).digest('hex') };
  } finally {
    await handle.close();
  }
}

/**
 * What the file is, by its magic number; a name's extension is never trusted.
 *
 * @example
 * mediaType('/lib/cat.png', jpegBytes) // { modality: 'image', type: 'jpeg', mime: 'image/jpeg' }
 */
export function mediaType(path: string, data: Buffer): MediaType {
  const image = sniffImageType(data);
  if (image) return { modality: 'image', type: image, mime: MIME_TYPES[image] };
  const audio = sniffAudioType(data);
  if (audio) return { modality: 'audio', type: audio, mime: MIME_TYPES[audio] };
  throw new RosettaError(
    'UNSUPPORTED_MEDIA',
    `${path} is neither a supported image nor a supported audio file: it looks like ${describeContent(data)}. ` +
      'Supported: JPEG, PNG, WebP, GIF, TIFF, AVIF, SVG images and WAV, OGG, MP3, FLAC audio.',
  );
}
