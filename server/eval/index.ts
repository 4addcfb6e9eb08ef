// The public surface of server/eval/: ranking metrics and their random-ranking expectations,
// the evaluation query file, the development benchmark built from the demo data, and the runner
// that scores a search function over a query set.
export { METRIC_KEYS, METRIC_LABELS, meanMetrics, randomExpectation, scoreRanking } from './metrics.ts';
export type { Metrics } from './metrics.ts';
export { inferQueryType, parseQueries, queryFiles, queryLineSchema, readQueries } from './queries.ts';
export type { EvalQuery, InferredQueryType, QueryLine } from './queries.ts';
export { DEV_QUERY_TYPES, buildDevQueries, devCollection, writeDevCollection, writeDevQueries } from './dev-set.ts';
export type { DevCollectionItem, DevQuery, DevQueryType, DevSetOptions } from './dev-set.ts';
export { formatReport, runEval } from './run.ts';
export type { EvalHit, EvalReport, EvalSearch, QueryResult, TypeSummary } from './run.ts';
