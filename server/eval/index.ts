// The public surface of server/eval/: ranking metrics and their random-ranking expectations,
// the evaluation query file, the development benchmark built from the demo data, and the runner
// that scores a search function over a query set.
export { METRIC_KEYS, METRIC_LABELS, meanMetrics, randomExpectation, scoreRanking } from './metrics.ts';
export type { Metrics } from './metrics.ts';
export { inferQueryType, parseQueries, parseQueryLines, queryFiles, queryLineSchema, readQueries, readQueryLines } from './queries.ts';
export type { EvalQuery, InferredQueryType, QueryLine } from './queries.ts';
export { DEV_QUERY_TYPES, buildDevQueries, devCollection, writeDevCollection, writeDevQueries } from './dev-set.ts';
export type { DevCollectionItem, DevQuery, DevQueryType, DevSetOptions } from './dev-set.ts';
export { formatReport, runEval } from './run.ts';
export type { EvalHit, EvalOptions, EvalReport, EvalSearch, QueryResult, TypeSummary } from './run.ts';
export { meanCurve, randomRecallCurve, recallCurve } from './curves.ts';
export { engineSearch } from './engine-search.ts';
export type { EngineSearchOptions } from './engine-search.ts';
export { unalignedProjector } from './unaligned.ts';
export type { UnalignedOptions } from './unaligned.ts';
export { PALETTE, chartGrid, escapeXml, lineChart } from './svg.ts';
export type { ChartOptions, ChartSeries } from './svg.ts';
export { pairedMargin } from './margins.ts';
export type { Margin } from './margins.ts';
export { pickTuneExamples, tuneCollection } from './tune-set.ts';
export type { TuneSetOptions } from './tune-set.ts';
export { CROSS_MODAL_TYPES, MARGIN_METRICS, QUERIES_FILE, SYSTEMS, compareRuns, runDevBenchmark } from './dev-benchmark.ts';
export type { DevBenchmarkOptions, DevBenchmarkResult, DevComparison, DevRun, SystemName } from './dev-benchmark.ts';
export { ablationCurvesSvg, devQualityMarkdown, recallCurvesSvg } from './dev-report.ts';
export { mapQueryIds, storedIds } from './duplicates.ts';
