/**
 * The paced (open-loop) load generator of bench:api, on raw keep-alive sockets.
 *
 * Written by hand because the generator shares the 2-core machine with the server it measures:
 * node's http.request cost about 0.4 ms of CPU per request here (parser, agent, streams and
 * their garbage, hence the generator's own GC pauses), a fifth of a core at 500 req/s taken
 * from the server and charged to its latency. wrk2, the usual tool for paced HTTP load, is not
 * packaged by Debian. Each request here is one prebuilt Buffer written to a socket, and a
 * response is read only as far as its status line, Content-Length and body length.
 *
 * Request i is due at start + i / rate, whatever came back, on at most `connections` sockets
 * (queued while all are busy); its latency counts from when it was due to its last byte, so a
 * server that falls behind is charged for the wait (no coordinated omission).
 */
import net from 'node:net';

export interface PacedJob {
  url: string;
  /** The path every request POSTs to. */
  path: string;
  /** JSON bodies, sent in turn. */
  bodies: readonly string[];
  connections: number;
  seconds: number;
  /** Requests per second. */
  rate: number;
}

export interface PacedResult {
  /** Milliseconds from due to answered, 2xx responses only. */
  latencies: number[];
  /** From the first due time to the last answer. */
  seconds: number;
  completed: number;
  non2xx: number;
  errors: number;
  statusCodes: Record<string, number>;
}

const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * @example
 * await pacedLoad({ url: 'http://127.0.0.1:8080', path: '/api/search', bodies, connections: 16, seconds: 20, rate: 500 })
 * // { latencies: [3.1, 2.8, ...], seconds: 20.0, completed: 10000, non2xx: 0, errors: 0, statusCodes: { 200: 10000 } }
 */
export function pacedLoad(job: PacedJob): Promise<PacedResult> {
  const { hostname, port } = new URL(job.url);
  const requests = job.bodies.map((body) =>
    Buffer.from(`POST ${job.path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`),
  );
  const total = Math.round(job.seconds * job.rate);
  const interval = 1000 / job.rate;
  const result: PacedResult = { latencies: [], seconds: 0, completed: 0, non2xx: 0, errors: 0, statusCodes: {} };
  const idle: Connection[] = [];
  let open = 0;
  let sent = 0;
  let lastAnswer = 0;
  let finished = false;
  const start = performance.now() + 50;

  return new Promise<PacedResult>((resolve) => {
    const finishIfDone = () => {
      if (result.completed + result.errors < total || finished) return;
      finished = true;
      for (const c of idle) c.socket.destroy();
      result.seconds = (lastAnswer - start) / 1000;
      resolve(result);
    };
    const answered = (status: number, due: number) => {
      lastAnswer = performance.now();
      result.completed++;
      result.statusCodes[status] = (result.statusCodes[status] ?? 0) + 1;
      if (status >= 200 && status < 300) result.latencies.push(lastAnswer - due);
      else result.non2xx++;
    };
    /** Requests due but not yet on a socket, by index (their due time follows from it). */
    const waiting: number[] = [];
    const dispatch = (c: Connection) => {
      const i = waiting.shift();
      if (i === undefined) idle.push(c);
      else c.send(requests[i % requests.length], start + i * interval);
    };
    const release = (c: Connection) => {
      dispatch(c);
      finishIfDone();
    };
    const lost = (c: Connection, inFlight: boolean) => {
      open--;
      const at = idle.indexOf(c);
      if (at >= 0) idle.splice(at, 1);
      if (inFlight) result.errors++;
      // Another socket takes over what waits for one.
      if (waiting.length > 0 && open < job.connections) connect();
      finishIfDone();
    };
    const connect = () => {
      open++;
      const c = new Connection(net.connect({ host: hostname, port: Number(port), noDelay: true }), answered, release, lost);
      dispatch(c);
    };
    const tick = () => {
      const now = performance.now();
      // Timers wake late; everything that has come due since goes out now.
      while (sent < total && start + sent * interval <= now) {
        waiting.push(sent++);
        const c = idle.pop();
        if (c) dispatch(c);
        else if (open < job.connections) connect();
      }
      if (sent < total) setTimeout(tick, Math.max(0, start + sent * interval - performance.now()));
    };
    setTimeout(tick, 50);
  });
}

/** One keep-alive socket with at most one request in flight. */
class Connection {
  private due = 0;
  private inFlight = false;
  /** Response bytes held until the header is whole. */
  private head: Buffer | undefined;
  private status = 0;
  /** Body bytes still to come; -1 while the header is being read. */
  private remaining = -1;
  private closeAfter = false;

  constructor(
    readonly socket: net.Socket,
    private readonly answered: (status: number, due: number) => void,
    private readonly release: (c: Connection) => void,
    private readonly lost: (c: Connection, inFlight: boolean) => void,
  ) {
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      const inFlight = this.inFlight;
      this.inFlight = false;
      this.lost(this, inFlight);
    });
  }

  send(request: Buffer, due: number): void {
    this.due = due;
    this.inFlight = true;
    this.remaining = -1;
    this.head = undefined;
    this.socket.write(request);
  }

  private read(chunk: Buffer): void {
    if (!this.inFlight) {
      // Bytes nobody asked for: the stream is out of step, so this socket is done.
      this.socket.destroy();
      return;
    }
    if (this.remaining < 0) {
      const data = this.head ? Buffer.concat([this.head, chunk]) : chunk;
      const end = data.indexOf(HEADER_END);
      if (end < 0) {
        this.head = data;
        return;
      }
      this.head = undefined;
      const header = data.toString('latin1', 0, end);
      this.status = Number(header.slice(9, 12));
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(header);
      if (!length) {
        // The server under test always sends a length; anything else cannot be framed here.
        this.socket.destroy();
        return;
      }
      this.closeAfter = /\r\nconnection:\s*close/i.test(header);
      this.remaining = Number(length[1]) - (data.length - end - HEADER_END.length);
    } else {
      this.remaining -= chunk.length;
    }
    if (this.remaining > 0) return;
    this.inFlight = false;
    this.answered(this.status, this.due);
    if (this.closeAfter) this.socket.destroy();
    else this.release(this);
  }
}
