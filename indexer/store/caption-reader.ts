/**
 * Keyword plans on a thread of their own. better-sqlite3 runs queries
 * synchronously, so inline they hold the API server's one event loop for about 0.5 ms of a
 * text query's 3 (100,000 items); on a second connection in a worker they run on the other
 * core, beside the vector search. WAL lets that read-only connection see every committed
 * write at once, so an item is found as soon as its write returns.
 */
import { WorkerRpc } from '../../models/worker-rpc.ts';
import type { KeywordMode } from './fts.ts';

export class CaptionReader {
  private readonly rpc: WorkerRpc;

  /** @example const reader = new CaptionReader('/c/collection.sqlite'); */
  constructor(file: string) {
    this.rpc = new WorkerRpc(new URL('./caption-reader-thread.ts', import.meta.url), { file }, 'caption reader');
  }

  /** planKeywordSearch on the reader's connection. */
  keywordIds(text: string, limit: number, mode: KeywordMode | undefined): Promise<{ id: number; score: number }[]> {
    return this.rpc.call('keywordIds', [text, limit, mode]);
  }

  async close(): Promise<void> {
    // Closes the connection first; a thread that has already died has nothing left to close.
    await this.rpc.call('close').catch(() => {});
    await this.rpc.close();
  }
}
