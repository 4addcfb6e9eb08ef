// The load generator of bench:api, in its own process so that its CPU use does not run on
// the server's event loop: it gets one LoadJob over IPC, runs autocannon, and sends back
// every 2xx latency (autocannon's own histogram rounds to whole milliseconds).
import autocannon from 'autocannon';
import type { LoadJob, LoadMessage } from './load.ts';

async function run(job: LoadJob): Promise<LoadMessage> {
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

process.once('message', (job: LoadJob) => {
  run(job).then(
    (message) => process.send!(message, () => process.exit(0)),
    (err: unknown) => process.send!({ error: String(err) }, () => process.exit(1)),
  );
});
