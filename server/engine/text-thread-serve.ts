/**
 * Inside the text embedding thread: the built-in text encoder and the heads the main thread
 * sent, kept in the order it sent them (TextEmbedThread mirrors the list).
 */
import type { BagHeadParams } from '../../models/align/index.ts';
import { TextHead } from '../../models/space/index.ts';
import { createTextEncoder } from '../../models/text/index.ts';
import type { SparseRow } from '../../models/types.ts';
import { serveRpc } from '../../models/worker-rpc.ts';
import { HEADS_KEPT } from './text-thread.ts';

const encoder = createTextEncoder();
const heads: TextHead[] = [];

serveRpc(
  {
    // One text encoded first, so the thread has loaded WordNet before the server says it is ready.
    ready: async () => {
      await encoder.encode(['ready']);
      return encoder.identity;
    },
    useHead: (version: string, params: BagHeadParams) => {
      heads.push(new TextHead(version, params));
      if (heads.length > HEADS_KEPT) heads.shift();
    },
    embed: async (text: string, slot: number) => {
      // Taken before the await: a head sent meanwhile may shift the list.
      const head = heads[slot];
      const [row] = await encoder.encode([text]);
      return head.embed(row as SparseRow);
    },
  },
  (result) => (result instanceof Float32Array ? [result.buffer as ArrayBuffer] : []),
);
