import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The server's Prometheus metrics, on a registry of its own so two servers in one process
 * (tests) do not share counters.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'rosetta_http_requests_total',
    help: 'HTTP requests by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: 'rosetta_http_request_duration_seconds',
    help: 'HTTP request latency by route and method',
    labelNames: ['route', 'method'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly searches = new Histogram({
    name: 'rosetta_search_duration_seconds',
    help: 'Search latency by query type (text, image, sketch, audio, composed, item, mixed)',
    labelNames: ['query_type'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  private readonly items = new Gauge({
    name: 'rosetta_collection_items',
    help: 'Items in the collection by modality',
    labelNames: ['modality'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'rosetta_' });
  }

  observeRequest(route: string, method: string, status: number, seconds: number): void {
    this.requests.inc({ route, method, status: String(status) });
    this.latency.observe({ route, method }, seconds);
  }

  observeSearch(queryType: string, seconds: number): void {
    this.searches.observe({ query_type: queryType }, seconds);
  }

  setCollection(byModality: Record<string, number>): void {
    for (const [modality, n] of Object.entries(byModality)) this.items.set({ modality }, n);
  }
}
