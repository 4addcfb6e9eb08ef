import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type hnswlibTypes from 'hnswlib-node';
import { RosettaError } from '../../models/errors.ts';

export type HnswlibBinding = typeof hnswlibTypes;

/** x86-64 micro-architecture levels we build hnswlib for (native/build-hnswlib.mjs), best first. */
export const HNSWLIB_LEVELS = ['x86-64-v4', 'x86-64-v3'] as const;
export type HnswlibBuild = (typeof HNSWLIB_LEVELS)[number] | 'portable';

/**
 * The /proc/cpuinfo flags each level's compiler flags (-march=x86-64-vN) let GCC use,
 * from the x86-64 psABI's level definitions. v4 is v3 plus AVX-512.
 */
const V3_FLAGS = ['avx', 'avx2', 'bmi1', 'bmi2', 'f16c', 'fma', 'abm', 'movbe', 'xsave'];
const LEVEL_FLAGS: Record<(typeof HNSWLIB_LEVELS)[number], readonly string[]> = {
  'x86-64-v3': V3_FLAGS,
  'x86-64-v4': [...V3_FLAGS, 'avx512f', 'avx512bw', 'avx512cd', 'avx512dq', 'avx512vl'],
};

/**
 * The best level a CPU with these /proc/cpuinfo flags runs, or 'portable'.
 *
 * @example
 * cpuLevel(new Set(['sse4_2'])); // 'portable'
 */
export function cpuLevel(flags: ReadonlySet<string>): HnswlibBuild {
  return HNSWLIB_LEVELS.find((level) => LEVEL_FLAGS[level].every((flag) => flags.has(flag))) ?? 'portable';
}

/** The running CPU's flags; empty where /proc/cpuinfo is not there (not Linux). */
export function cpuFlags(): Set<string> {
  if (process.platform !== 'linux' || process.arch !== 'x64') return new Set();
  try {
    const line = /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    return new Set(line ? line[1].trim().split(/\s+/) : []);
  } catch {
    return new Set();
  }
}

const require = createRequire(import.meta.url);

/**
 * The addon built for `level` under node_modules/.rosetta, if it was built for this
 * hnswlib-node version and this Node ABI; a stale one (an upgrade since the build) is
 * ignored rather than loaded.
 */
function levelAddon(level: (typeof HNSWLIB_LEVELS)[number]): string | undefined {
  const packageJson = require.resolve('hnswlib-node/package.json');
  const dir = join(dirname(packageJson), '..', '.rosetta', `hnswlib-node-${level}`);
  const addon = join(dir, 'build/Release/addon.node');
  if (!existsSync(addon)) return undefined;
  try {
    const stamp = JSON.parse(readFileSync(join(dir, 'rosetta-build.json'), 'utf8')) as Record<string, unknown>;
    const { version } = JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string };
    return stamp.hnswlibVersion === version && stamp.modules === process.versions.modules ? addon : undefined;
  } catch {
    return undefined;
  }
}

/**
 * hnswlib-node as built for the best level this CPU supports, else npm's portable build.
 * `ROSETTA_HNSWLIB` caps the level (`portable`, `x86-64-v3`), to compare builds or to rule
 * one out; a level is never loaded on a CPU that lacks its instructions.
 */
export function loadHnswlib(cap = process.env.ROSETTA_HNSWLIB): { binding: HnswlibBinding; build: HnswlibBuild } {
  const builds: readonly string[] = [...HNSWLIB_LEVELS, 'portable'];
  const ceiling = builds.indexOf(cap || HNSWLIB_LEVELS[0]);
  if (ceiling < 0) {
    throw new RosettaError('INVALID_ARGUMENT', `ROSETTA_HNSWLIB is ${JSON.stringify(cap)}; use one of ${builds.join(', ')}`);
  }
  const supported = builds.indexOf(cpuLevel(cpuFlags()));
  for (const level of HNSWLIB_LEVELS.slice(Math.max(ceiling, supported))) {
    const addon = levelAddon(level);
    if (!addon) continue;
    try {
      return { binding: require(addon) as HnswlibBinding, build: level };
    } catch {
      // One that no longer loads (a shared library gone since it was built) is as good as missing.
    }
  }
  return { binding: require('hnswlib-node') as HnswlibBinding, build: 'portable' };
}

const loaded = loadHnswlib();
/** The hnswlib-node every index in this process uses. */
export const hnswlib: HnswlibBinding = loaded.binding;
/** Which build that is: a level from native/build-hnswlib.mjs, or 'portable'. */
export const hnswlibBuild: HnswlibBuild = loaded.build;
