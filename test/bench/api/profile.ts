/**
 * A V8 CPU profile of this process (the server) while a load runs, through node:inspector,
 * saved for Chrome DevTools and summarised as the functions with the most self time.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface HotSpot {
  /** "function file:line", or V8's "(garbage collector)", "(program)", "(idle)". */
  name: string;
  /** Share of the busy samples (idle ones left out), in percent. */
  share: number;
}

/**
 * @example
 * const stop = await startProfile();
 * await runLoad(...);
 * await stop('test/artifacts/bench-api-text.cpuprofile') // [{ name: 'getMany items.ts:12', share: 17.2 }, ...]
 */
export async function startProfile(): Promise<(file: string, top?: number) => Promise<HotSpot[]>> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.start');
  return async (file, top = 15) => {
    const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: Profile };
    session.disconnect();
    writeFileSync(file, JSON.stringify(profile));
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const self = new Map<string, number>();
    let total = 0;
    profile.samples.forEach((id, i) => {
      const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
      const name = `${functionName || '(anonymous)'}${url ? ` ${path.basename(url)}:${lineNumber + 1}` : ''}`;
      const dt = profile.timeDeltas[i] ?? 0;
      if (name === '(idle)') return;
      self.set(name, (self.get(name) ?? 0) + dt);
      total += dt;
    });
    return [...self]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, t]) => ({ name, share: (100 * t) / total }));
  };
}
