/**
 * Getting files from the user: a picker behind a real button, drag and drop anywhere on the
 * page, and paste. Files are routed by their type; the checks here only catch what is plainly
 * wrong before upload, the server has the last word on the bytes.
 */
import { formatBytes } from './dom.ts';

export type FileKind = 'image' | 'audio';

const SERVER_AUDIO = /^audio\/(wav|x-wav|wave|vnd\.wave|ogg|mpeg|mp3|flac|x-flac)$/;
const SERVER_AUDIO_EXT = /\.(wav|ogg|oga|mp3|flac)$/i;

/** Whether the server decodes this clip as it is (otherwise the browser converts it to WAV first). */
export const serverDecodesAudio = (file: File): boolean => SERVER_AUDIO.test(file.type) || SERVER_AUDIO_EXT.test(file.name);

/** What is wrong with using this file as a `kind` query, or null. */
export function checkFile(file: File, kind: FileKind, maxBytes: number | undefined): string | null {
  const name = file.name ? `“${file.name}”` : 'The file';
  if (file.size === 0) return `${name} is empty.`;
  if (maxBytes !== undefined && file.size > maxBytes) return `${name} is ${formatBytes(file.size)}; this server accepts files up to ${formatBytes(maxBytes)}.`;
  // An empty type means the browser did not recognise the extension: let the server look at the bytes.
  if (file.type && !file.type.startsWith(`${kind}/`)) {
    const wanted = kind === 'image' ? 'an image (JPEG, PNG, WebP, GIF, TIFF, AVIF or SVG)' : 'a sound (WAV, OGG, MP3 or FLAC)';
    return `${name} is ${file.type}, not ${wanted}.`;
  }
  return null;
}

/** A hidden file input opened by a visible button, so the control is a real, focusable button. */
export function filePicker(button: HTMLButtonElement, input: HTMLInputElement, onFile: (file: File) => void): void {
  button.addEventListener('click', () => input.click());
  input.addEventListener('change', () => {
    const file = input.files?.[0];
    input.value = ''; // picking the same file again must fire change again
    if (file) onFile(file);
  });
}

/**
 * Drop anywhere on the page and paste (outside text fields' own text) route files to `onFile`
 * by type: audio to the sound query, everything else to the image query.
 */
export function pageDropAndPaste(overlay: HTMLElement, onFile: (file: File, kind: FileKind) => void): void {
  const kindOf = (file: File): FileKind => (file.type.startsWith('audio/') ? 'audio' : 'image');
  const hasFiles = (e: DragEvent): boolean => e.dataTransfer?.types.includes('Files') ?? false;
  let depth = 0; // dragenter/leave fire for every child crossed

  document.addEventListener('dragenter', (e) => {
    if (!hasFiles(e)) return;
    depth++;
    overlay.hidden = false;
  });
  document.addEventListener('dragleave', (e) => {
    if (!hasFiles(e)) return;
    depth = Math.max(0, depth - 1);
    if (depth === 0) overlay.hidden = true;
  });
  document.addEventListener('dragover', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
  });
  document.addEventListener('drop', (e) => {
    depth = 0;
    overlay.hidden = true;
    const file = e.dataTransfer?.files[0];
    if (!file) return;
    e.preventDefault();
    onFile(file, kindOf(file));
  });
  document.addEventListener('paste', (e) => {
    const file = [...(e.clipboardData?.files ?? [])].find((f) => f.type.startsWith('image/') || f.type.startsWith('audio/'));
    if (!file) return; // plain text: leave it to the field being typed in
    e.preventDefault();
    onFile(file, kindOf(file));
  });
}
