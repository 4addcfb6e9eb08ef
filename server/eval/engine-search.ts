/**
 * The evaluation's search function over the query engine: a query line becomes the search
 * request the API would receive, so the numbers measure what users get.
 */
import { RosettaError, isRosettaError } from '../../models/errors.ts';
import { readInputFile } from '../../models/input-file.ts';
import { itemModalities, type ItemModality } from '../../indexer/store/index.ts';
import { MAX_K } from '../api/schemas.ts';
import { checkMedia, type EngineQuery, type QueryEngine } from '../engine/index.ts';
import { queryFiles, type EvalQuery } from './queries.ts';
import type { EvalHit, EvalSearch } from './run.ts';

export interface EngineSearchOptions {
  /** What the query file's media paths are relative to. */
  root: string;
  /** Fuse keyword matches on captions into text-only queries, as the API does by default. Default true. */
  hybrid?: boolean;
  /** The text's share in composed (image + text) queries; default the collection's tuned one. */
  composedTextWeight?: number;
}

/**
 * @example
 * const search = engineSearch(engine, { root: 'bench', hybrid: false });
 * await runEval(queries, search, { k: 100 })
 */
export function engineSearch(engine: QueryEngine, options: EngineSearchOptions): EvalSearch {
  const media = new Map<string, Promise<Buffer>>();
  const read = (file: string) => {
    let data = media.get(file);
    if (!data) {
      data = readInputFile(file, 'query media');
      media.set(file, data);
    }
    return data;
  };
  return async (query: EvalQuery, depth: number): Promise<EvalHit> => {
    if (depth > MAX_K) throw new RosettaError('INVALID_ARGUMENT', `query ${query.qid} needs ${depth} results (k plus its excluded ids); the engine returns at most ${MAX_K}`);
    const request: EngineQuery = { k: depth, offset: 0, hybrid: options.hybrid ?? true };
    if (query.text !== undefined) request.text = query.text;
    if (query.modalities) request.modalities = query.modalities;
    const files = queryFiles(query, options.root);
    for (const field of ['image', 'sketch', 'audio'] as const) {
      const file = files[field];
      if (file !== undefined) request[field] = checkMedia(field, { name: query[field]!, data: await read(file) });
    }
    const composed = request.image !== undefined && request.text !== undefined && request.sketch === undefined && request.audio === undefined;
    if (composed && options.composedTextWeight !== undefined) request.weights = { image: 1 - options.composedTextWeight, text: options.composedTextWeight };
    const poolSize = pool(engine, query.modalities);
    try {
      const response = await engine.search(request);
      return { ids: response.results.map((r) => r.externalId), poolSize };
    } catch (err) {
      // Words the space never saw, with keyword matching off: the system finds nothing, which
      // is what the query scores (zero), not a reason to stop the run.
      if (isRosettaError(err, 'EMPTY_INPUT')) return { ids: [], poolSize };
      throw err;
    }
  };
}

/** Items the search could return: those of the searched modalities. */
function pool(engine: QueryEngine, modalities: readonly ItemModality[] | undefined): number {
  const counts = engine.store.stats().byModality;
  return (modalities ?? itemModalities).reduce((sum, m) => sum + (counts[m] ?? 0), 0);
}
