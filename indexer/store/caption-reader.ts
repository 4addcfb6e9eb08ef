/**
 * Keyword plans and page summaries on a thread of their own. better-sqlite3 runs queries
 * synchronously, so inline they hold the API server's one event loop for about 0.7 ms of a
 * text query's 3 (100,000 items); on a second connection in a worker they run on the other
 * core, beside the vector search. WAL lets that read-only connection see every committed
 * write at once, so an item is found as soon as its write returns.
 */
import { WorkerRpc } from '../../models/worker-rpc.ts';
import type { KeywordMode } from './fts.ts';
import type { ItemSummary } from './items.ts';

export class CaptionReader {
  private readonly rpc: WorkerRpc;

  /** @example const reader = new CaptionReader('/c/collection.sqlite'); */
  constructor(file: string) {
    this.rpc = new WorkerRpc(new URL('./caption-reader-worker.mjs', import.meta.url), { file }, 'caption reader');
  }

  /** planKeywordSearch on the reader's connection. */
  keywordIds(text: string, limit: number, mode: KeywordMode | undefined): Promise<{ id: number; score: number }[]> {
    return this.rpc.call('keywordIds', [text, limit, mode]);
  }

  async summaries(ids: readonly number[]): Promise<Map<number, ItemSummary>> {
    return new Map(await this.rpc.call<[number, ItemSummary][]>('summaries', [ids]));
  }

  async close(): Promise<void> {
    await this.rpc.call('close').catch(() => {});
    await this.rpc.close();
  }
}
