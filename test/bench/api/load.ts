/**
 * Runs autocannon against POST /api/search from a child process and summarises what came
 * back: exact latency percentiles of the 2xx responses, and requests per second.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { percentile } from '../timing.ts';
import { mainThreadCpuMs, processCpuMs } from './thread-cpu.ts';

export interface LoadJob {
  url: string;
  /** JSON bodies, sent in turn (a shared counter across connections). */
  bodies: string[];
  connections: number;
  seconds: number;
  /** Open loop: requests per second, each sent when due (paced), whatever came back. */
  rate?: number;
  /** autocannon's overallRate: each second's requests go out as a burst (see load-child.ts). */
  burstRate?: number;
}

export type LoadMessage =
  | { latencies: number[]; seconds: number; completed: number; non2xx: number; errors: number; timeouts: number; statusCodes: Record<string, number>; cpuMs?: number }
  | { error: string };

/** Latency percentiles in milliseconds, the histogram written to bench-api.json. */
export const PERCENTILES = [1, 10, 25, 50, 75, 90, 95, 99, 99.9] as const;

export interface LoadSummary {
  connections: number;
  /** Requests per second offered (open loop, or autocannon's overallRate); absent for a closed loop. */
  offered?: { rate: number; paced: boolean };
  /** The server process's CPU time (all its threads) per answered request. */
  serverCpuMs: number;
  /** Of that, the main thread's (the event loop): what caps the rate. Absent without /proc. */
  mainThreadCpuMs?: number;
  /** The load generator's CPU time per answered request: it runs on the same cores. */
  clientCpuMs?: number;
  seconds: number;
  requests: number;
  requestsPerSecond: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  latencyMs: { min: number; mean: number; max: number; percentiles: Record<string, number> };
}

const CHILD = fileURLToPath(new URL('./load-child.ts', import.meta.url));

/**
 * `serverPid` is the process whose CPU is charged to the server: this one when the server runs
 * in it, or the `rosetta serve` child that answers `job.url`.
 *
 * @example
 * await runLoad({ url, bodies, connections: 16, seconds: 20 }, server.pid)
 * // { requestsPerSecond: 812.4, latencyMs: { percentiles: { p50: 14.2, p99: 41.0, ... } }, ... }
 */
export async function runLoad(job: LoadJob, serverPid = process.pid): Promise<LoadSummary> {
  const self = serverPid === process.pid;
  const cpu = process.cpuUsage();
  const serverCpu = self ? undefined : processCpuMs(serverPid);
  const mainCpu = mainThreadCpuMs(serverPid);
  const child = fork(CHILD, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const message = await new Promise<LoadMessage>((resolve, reject) => {
    child.once('message', (m) => resolve(m as LoadMessage));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the load generator exited with code ${code} before reporting`)));
    child.send(job);
  });
  const used = process.cpuUsage(cpu);
  const serverUsed = self ? (used.user + used.system) / 1000 : processCpuMs(serverPid)! - serverCpu!;
  const mainUsed = mainCpu === undefined ? undefined : mainThreadCpuMs(serverPid)! - mainCpu;
  if ('error' in message) throw new Error(`the load generator failed: ${message.error}`);
  const ms = message.latencies;
  const sum = ms.reduce((a, b) => a + b, 0);
  return {
    connections: job.connections,
    ...(job.rate ? { offered: { rate: job.rate, paced: true } } : job.burstRate ? { offered: { rate: job.burstRate, paced: false } } : {}),
    // The load generator's CPU is the child's own; in process, this also holds the IPC of the result.
    serverCpuMs: serverUsed / Math.max(1, ms.length),
    ...(mainUsed === undefined ? {} : { mainThreadCpuMs: mainUsed / Math.max(1, ms.length) }),
    ...(message.cpuMs === undefined ? {} : { clientCpuMs: message.cpuMs / Math.max(1, ms.length) }),
    seconds: message.seconds,
    requests: message.completed,
    // Answered queries only: a fast 4xx must not count toward the goal.
    requestsPerSecond: ms.length / message.seconds,
    non2xx: message.non2xx,
    errors: message.errors,
    timeouts: message.timeouts,
    statusCodes: message.statusCodes,
    latencyMs: {
      min: ms.reduce((a, b) => Math.min(a, b), ms.length ? Infinity : NaN),
      mean: ms.length ? sum / ms.length : NaN,
      max: ms.reduce((a, b) => Math.max(a, b), ms.length ? 0 : NaN),
      percentiles: Object.fromEntries(PERCENTILES.map((p) => [`p${p}`, ms.length ? percentile(ms, p) : NaN])),
    },
  };
}
