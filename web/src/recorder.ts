/**
 * Recording a query clip from the microphone. MediaRecorder's WebM/Opus (or MP4) is converted
 * to WAV in the browser because the server decodes only WAV, OGG Vorbis, MP3 and FLAC.
 * Where recording is impossible (no MediaRecorder, no microphone API, a page not served over
 * HTTPS or localhost) the button is disabled and says why.
 */
import { toWav } from './wav.ts';

const MAX_SECONDS = 15;

export interface RecorderEvents {
  /** The finished clip as WAV. */
  clip(file: File): void;
  /** A sentence to show the user (progress, or why recording failed). */
  status(message: string): void;
}

export function recordingUnavailableReason(): string | null {
  if (!window.isSecureContext) return 'Recording needs the page to be served over HTTPS (or from localhost).';
  if (typeof navigator.mediaDevices?.getUserMedia !== 'function') return 'This browser gives no access to a microphone.';
  if (typeof window.MediaRecorder !== 'function') return 'This browser cannot record audio (no MediaRecorder).';
  return null;
}

export class Recorder {
  private recorder: MediaRecorder | null = null;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly button: HTMLButtonElement,
    private readonly events: RecorderEvents,
  ) {
    const reason = recordingUnavailableReason();
    if (reason) {
      button.disabled = true;
      button.title = reason;
      button.textContent = 'Record (unavailable)';
      return;
    }
    button.addEventListener('click', () => {
      if (this.recorder) this.recorder.stop();
      else void this.start();
    });
  }

  private async start(): Promise<void> {
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (err) {
      const name = err instanceof DOMException ? err.name : '';
      this.events.status(
        name === 'NotAllowedError'
          ? 'Microphone access was denied; allow it in the browser to record, or choose a sound file.'
          : name === 'NotFoundError'
            ? 'No microphone was found; choose a sound file instead.'
            : `The microphone could not be opened (${err instanceof Error ? err.message : String(err)}).`,
      );
      return;
    }
    const recorder = new MediaRecorder(stream);
    const chunks: Blob[] = [];
    const started = Date.now();
    recorder.addEventListener('dataavailable', (e) => chunks.push(e.data));
    recorder.addEventListener('stop', () => {
      clearInterval(this.timer);
      for (const track of stream.getTracks()) track.stop();
      this.recorder = null;
      this.button.textContent = 'Record';
      this.button.setAttribute('aria-pressed', 'false');
      void this.finish(new Blob(chunks, { type: recorder.mimeType }));
    });
    recorder.start();
    this.recorder = recorder;
    this.button.textContent = 'Stop';
    this.button.setAttribute('aria-pressed', 'true');
    this.events.status(`Recording… press Stop when done (at most ${MAX_SECONDS} s).`);
    this.timer = setInterval(() => {
      const seconds = Math.floor((Date.now() - started) / 1000);
      if (seconds >= MAX_SECONDS) recorder.stop();
      else this.events.status(`Recording… ${seconds} s. Press Stop when done.`);
    }, 500);
  }

  private async finish(blob: Blob): Promise<void> {
    if (blob.size === 0) {
      this.events.status('The recording is empty; try again.');
      return;
    }
    this.events.status('Converting the recording…');
    try {
      this.events.clip(await toWav(blob, 'recording.wav', MAX_SECONDS));
    } catch (err) {
      this.events.status(`The recording could not be converted to WAV (${err instanceof Error ? err.message : String(err)}).`);
    }
  }
}
