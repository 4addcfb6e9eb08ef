// autocannon ships no type declarations; this declares the part bench:api uses.
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  export interface RawRequest {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
  }
  export interface RequestSpec extends RawRequest {
    /** Returns the request to send; called before each request of a connection. */
    setupRequest?: (request: RawRequest, context: Record<string, unknown>) => RawRequest;
  }
  export interface Options extends RawRequest {
    url: string;
    connections?: number;
    /** Seconds. */
    duration?: number;
    timeout?: number;
    requests?: RequestSpec[];
    /** Requests per second over all connections, each connection holding its share per second. */
    overallRate?: number;
  }
  /** hdr-histogram-percentiles-obj: min, max, average, stddev, p2_5 ... p99_999. */
  export type Histogram = Record<string, number>;
  export interface Result {
    latency: Histogram;
    requests: Histogram & { total: number; sent: number };
    throughput: Histogram;
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    statusCodeStats: Record<string, { count: number }>;
  }
  export interface Instance extends EventEmitter, PromiseLike<Result> {
    stop(): void;
  }
  export default function autocannon(options: Options): Instance;
}
