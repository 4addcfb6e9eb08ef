import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isRosettaError } from '../../models/errors.ts';
import { HNSWLIB_LEVELS, cpuFlags, cpuLevel, hnswlibBuild, loadHnswlib } from './hnswlib-binding.ts';
import { lowRankVectors } from './vector-index.case.ts';

// Flag lists as /proc/cpuinfo prints them (trimmed to what matters here).
const SANDY_BRIDGE = 'fpu sse sse2 ssse3 sse4_1 sse4_2 popcnt xsave avx';
const HASWELL = `${SANDY_BRIDGE} fma movbe f16c abm bmi1 avx2 bmi2`;
const SAPPHIRE_RAPIDS = `${HASWELL} avx512f avx512dq avx512cd avx512bw avx512vl avx512_vnni`;
const flags = (line: string) => new Set(line.split(' '));

describe('cpuLevel', () => {
  it('names the best x86-64 level whose every instruction set the CPU has', () => {
    expect(cpuLevel(flags(SAPPHIRE_RAPIDS))).toBe('x86-64-v4');
    expect(cpuLevel(flags(HASWELL))).toBe('x86-64-v3');
    expect(cpuLevel(flags(SANDY_BRIDGE))).toBe('portable');
    expect(cpuLevel(new Set())).toBe('portable');
  });

  it('does not give a level to a CPU that lacks one of its instructions', () => {
    expect(cpuLevel(flags(HASWELL.replace(' fma', '')))).toBe('portable');
    // AVX-512 Foundation without the BW/VL extensions (Knights Landing) is only v3.
    expect(cpuLevel(flags(`${HASWELL} avx512f avx512cd`))).toBe('x86-64-v3');
  });
});

describe('loadHnswlib', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rosetta-hnswlib-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("uses the build for this CPU's level, which npm install made (native/build-hnswlib.mjs)", () => {
    const level = cpuLevel(cpuFlags());
    expect(hnswlibBuild).toBe(level);
    expect(loadHnswlib().build).toBe(level);
  });

  it('loads the portable build when ROSETTA_HNSWLIB caps it there', () => {
    expect(loadHnswlib('portable').build).toBe('portable');
    expect(loadHnswlib('x86-64-v3').build).toBe(cpuLevel(cpuFlags()) === 'portable' ? 'portable' : 'x86-64-v3');
  });

  it('rejects an unknown ROSETTA_HNSWLIB with INVALID_ARGUMENT naming it', () => {
    let error: unknown;
    try {
      loadHnswlib('avx2');
    } catch (caught) {
      error = caught;
    }
    expect(isRosettaError(error) && error.code).toBe('INVALID_ARGUMENT');
    expect(String(error)).toMatch(/ROSETTA_HNSWLIB is "avx2"; use one of x86-64-v4, x86-64-v3, portable/);
  });

  it('gives the same neighbours from every build on this machine, reading the same index file', () => {
    const dim = 64;
    const file = join(dir, 'shared.bin');
    const portable = loadHnswlib('portable').binding;
    const built = new portable.HierarchicalNSW('cosine', dim);
    built.initIndex(2000, 16, 200, 100);
    lowRankVectors(2000, dim, 1).forEach((v, i) => built.addPoint(Array.from(v), i));
    built.writeIndexSync(file);
    const queries = lowRankVectors(50, dim, 2).map((v) => Array.from(v));

    const answers = [...HNSWLIB_LEVELS, 'portable'].map((cap) => {
      const { binding, build } = loadHnswlib(cap);
      const index = new binding.HierarchicalNSW('cosine', dim);
      index.readIndexSync(file);
      index.setEf(100);
      return { build, results: queries.map((q) => index.searchKnn(q, 10)) };
    });
    const reference = answers.at(-1)!;
    for (const { build, results } of answers) {
      results.forEach((result, q) => {
        expect(result.neighbors, `${build}, query ${q}`).toEqual(reference.results[q].neighbors);
        result.distances.forEach((d, i) => expect(d).toBeCloseTo(reference.results[q].distances[i], 5));
      });
    }
  });
});
