// The load generator of bench:api, in its own process so that its CPU use does not run on
// the server's event loop: it gets one LoadJob over IPC, runs it, and sends back every 2xx
// latency (autocannon's own histogram rounds to whole milliseconds). Three kinds of run:
// - closed loop (autocannon): each connection sends its next request when the last answered;
// - autocannon's overallRate: the same, but each connection stops for the rest of a second once
//   it sent its share of that second's requests, so the load comes in a burst at each second;
// - paced (open loop, paced-client.ts): request i is due at start + i / rate, whatever came
//   back, on at most `connections` keep-alive sockets (queued while all are busy); its latency
//   counts from when it was due, so a server that falls behind is charged for the wait (no
//   coordinated omission).
import autocannon from 'autocannon';
import type { LoadJob, LoadMessage } from './load.ts';
import { pacedLoad } from './paced-client.ts';

async function cannon(job: LoadJob): Promise<LoadMessage> {
  let next = 0;
  const latencies: number[] = [];
  let non2xx = 0;
  const instance = autocannon({
    url: `${job.url}/api/search`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    connections: job.connections,
    duration: job.seconds,
    timeout: 30,
    ...(job.burstRate ? { overallRate: job.burstRate } : {}),
    // Every request takes the next body, whichever connection sends it.
    requests: [{ setupRequest: (request) => ({ ...request, body: job.bodies[next++ % job.bodies.length] }) }],
  });
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    if (status >= 200 && status < 300) latencies.push(ms);
    else non2xx++;
  });
  const result = await instance;
  return {
    latencies,
    seconds: result.duration,
    completed: latencies.length + non2xx,
    non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count])),
  };
}

async function paced(job: LoadJob, rate: number): Promise<LoadMessage> {
  return { ...(await pacedLoad({ url: job.url, path: '/api/search', bodies: job.bodies, connections: job.connections, seconds: job.seconds, rate })), timeouts: 0 };
}

process.once('message', (job: LoadJob) => {
  // The generator shares the machine's cores with the server: its CPU is reported beside the server's.
  const cpu = process.cpuUsage();
  (job.rate ? paced(job, job.rate) : cannon(job)).then(
    (message) => {
      const used = process.cpuUsage(cpu);
      process.send!({ ...message, cpuMs: (used.user + used.system) / 1000 }, () => process.exit(0));
    },
    (err: unknown) => process.send!({ error: String(err) }, () => process.exit(1)),
  );
});
