#!/usr/bin/env node
// npm postinstall: builds hnswlib-node again for x86-64-v3 (AVX2, FMA) and x86-64-v4
// (AVX-512), beside the portable build npm already made.
//
// Why: hnswlib chooses its SIMD distance kernels when it is compiled (`__AVX__`,
// `__AVX512F__`), and npm compiles it for the baseline x86-64 CPU, so every search runs the
// SSE kernels. Built for the host's level, a search costs about 20 % less CPU on the 100,000-item
// bench index (x86-64-v4; 14 % for v3), and 30-45 % on a 30,000-vector one that caches better.
// Compiling the one build with -march=native instead would crash with SIGILL if the
// installed tree were copied to an older CPU (a Docker image, a shared volume), so each
// level gets its own binary and `hnswlib-binding.ts` loads the best one the running CPU
// supports, or the portable one.
//
// Plain JavaScript, not TypeScript: it runs while npm installs.
// Never fails the install: a level that does not build is reported and skipped.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const LEVELS = ['x86-64-v3', 'x86-64-v4'];
const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');

function log(message) {
  console.log(`rosetta: hnswlib-node ${message}`);
}

/** npm gives lifecycle scripts its own node-gyp; otherwise use the one npm ships with. */
function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
  ];
  return candidates.find((path) => path && existsSync(path));
}

/**
 * node-gyp downloads Node's headers unless told where they are. npm passes its `nodedir`
 * setting through the environment; a Node installed with its headers (Debian's, the
 * official tarball) has them under its prefix, which works offline.
 */
function nodeDirArgs() {
  if (process.env.npm_config_nodedir) return [];
  const prefix = join(dirname(process.execPath), '..');
  return existsSync(join(prefix, 'include/node/node.h')) ? [`--nodedir=${prefix}`] : [];
}

function run(command, args, options) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', (error) => resolve({ code: -1, output: String(error) }));
    child.on('close', (code) => resolve({ code, output }));
  });
}

async function buildLevel(level, source, version, gyp) {
  // node_modules/.rosetta/hnswlib-node-<level>, where hnswlib-binding.ts looks; npm ci
  // removes it with the rest of node_modules.
  const dest = join(source, '..', '.rosetta', `hnswlib-node-${level}`);
  rmSync(dest, { recursive: true, force: true });
  // A copy under node_modules, so binding.gyp's require('node-addon-api') resolves upward.
  cpSync(source, dest, { recursive: true, filter: (path) => path !== join(source, 'build') });
  const env = { ...process.env, CXXFLAGS: `${process.env.CXXFLAGS ?? ''} -march=${level}`.trim() };
  const { code, output } = await run(process.execPath, [gyp, 'rebuild', ...nodeDirArgs()], { cwd: dest, env });
  if (code !== 0 || !existsSync(join(dest, 'build/Release/addon.node'))) {
    rmSync(dest, { recursive: true, force: true });
    log(`${level}: not built (node-gyp exited ${code}); searches use the portable build.\n${output.slice(-2000)}`);
    return;
  }
  rmSync(join(dest, 'build/Release/obj.target'), { recursive: true, force: true });
  const stamp = { level, hnswlibVersion: version, modules: process.versions.modules };
  writeFileSync(join(dest, 'rosetta-build.json'), `${JSON.stringify(stamp)}\n`);
  log(`${level}: built`);
}

async function main() {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    log(`level builds skipped on ${process.platform}/${process.arch}: the portable build is used`);
    return;
  }
  const gyp = nodeGyp();
  if (!gyp) {
    log('level builds skipped: no node-gyp found; the portable build is used');
    return;
  }
  const require = createRequire(join(root, 'package.json'));
  const packageJson = require.resolve('hnswlib-node/package.json');
  const { version } = JSON.parse(readFileSync(packageJson, 'utf8'));
  // One compile each, about 10 s; in parallel they take the time of one on two cores.
  await Promise.all(LEVELS.map((level) => buildLevel(level, dirname(packageJson), version, gyp)));
}

await main();
