/**
 * CPU time of this process's main thread, read from /proc (Linux): the event loop that parses
 * every request is the server's bottleneck, and process.cpuUsage() lumps it with the worker
 * threads (HNSW, captions, libuv, GC). Undefined where /proc is not there.
 */
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

/** @example mainThreadCpuMs() // 5321.4 */
export function mainThreadCpuMs(): number | undefined {
  try {
    // The main thread's task id is the process id. utime and stime are fields 14 and 15, after
    // the parenthesised name (which may itself hold spaces).
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}
