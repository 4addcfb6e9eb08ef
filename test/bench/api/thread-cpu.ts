/**
 * CPU time of a process and of its main thread, read from /proc (Linux): the event loop that
 * parses every request is the server's bottleneck, and a process's total lumps it with the
 * worker threads (HNSW, captions, libuv, GC). Undefined where /proc is not there.
 */
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

/** utime + stime of a /proc stat file, in milliseconds. */
function statCpuMs(file: string): number | undefined {
  try {
    // utime and stime are fields 14 and 15, after the parenthesised name (which may itself hold spaces).
    const stat = readFileSync(file, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** @example mainThreadCpuMs(server.pid) // 5321.4 */
export function mainThreadCpuMs(pid = process.pid): number | undefined {
  // The main thread's task id is the process id.
  return statCpuMs(`/proc/${pid}/task/${pid}/stat`);
}

/** Every thread of the process, the ones that have exited included. @example processCpuMs(server.pid) // 14210.0 */
export function processCpuMs(pid = process.pid): number | undefined {
  return statCpuMs(`/proc/${pid}/stat`);
}
