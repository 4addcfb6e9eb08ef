/**
 * Text queries embedded on a thread of their own. The featurizer (tokens, lemmas, WordNet,
 * n-grams) and the bag head take about 0.35 ms of a text query's 1.1 ms on the API server's
 * main thread, and allocate most of its short-lived garbage; on the main thread that work
 * queues every other request behind it, on this thread it runs beside them.
 */
import type { EncoderIdentity } from '../../models/types.ts';
import { TextHead } from '../../models/space/index.ts';
import { WorkerRpc } from '../../models/worker-rpc.ts';

/** Heads the thread keeps: the one in service and the one before, for queries begun before a switch. */
export const HEADS_KEPT = 2;

export class TextEmbedThread {
  private readonly rpc = new WorkerRpc(new URL('./text-thread-serve.ts', import.meta.url), {}, 'text embedding');
  /** Heads sent to the thread, oldest first; it keeps the same ones (calls arrive in order). */
  private readonly sent: TextHead[] = [];

  /** Resolves, once the thread can embed, with its text encoder's identity: it must be the engine's. */
  ready(): Promise<EncoderIdentity> {
    return this.rpc.call('ready');
  }

  /**
   * The text in `head`'s space: the same vector as `head.embed(encoder.encode([text])[0])`
   * in this thread, with the same errors.
   *
   * @example await thread.embed('red bird', projector.textHead) // Float32Array(256)
   */
  embed(text: string, head: TextHead): Promise<Float32Array> {
    if (!this.sent.includes(head)) {
      this.sent.push(head);
      if (this.sent.length > HEADS_KEPT) this.sent.shift();
      // Copied once per space: the bag of a 37k-word space is 38 MB.
      void this.rpc.call('useHead', [head.version, head.params]).catch(() => {});
    }
    return this.rpc.call('embed', [text, this.sent.indexOf(head)]);
  }

  close(): Promise<void> {
    return this.rpc.close();
  }
}
