// Reads a TF.js layers model (topology, weight manifest, weight bytes) from the .js wrappers
// that nsfwjs ships instead of model.json + .bin files.
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import { RosettaError } from '../errors.ts';
import type { KerasModelTopology } from './topology.ts';

/** One entry of a TF.js weights manifest (tfjs-core `WeightsManifestEntry`). */
export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool' | string;
  /** Present when the bytes are quantized: value = min + q * scale (uint8/uint16), or IEEE half. */
  quantization?: { dtype: 'uint8' | 'uint16' | 'float16' | string; min?: number; scale?: number };
}

export interface WeightGroup {
  paths: string[];
  weights: WeightSpec[];
}

export interface TfjsArtifacts {
  /** Folder the wrappers were read from. */
  source: string;
  modelTopology: KerasModelTopology;
  weightsManifest: WeightGroup[];
  /** All groups' specs, in manifest order; `weightData` holds their bytes back to back. */
  weightSpecs: WeightSpec[];
  weightData: Uint8Array;
  /** `hashTfjsModelDir(source)`. */
  sourceHash: string;
}

/** The folders nsfwjs ships. `mobilenet_v2_mid` is a TF.js graph model, which this converter does not read. */
export type NsfwjsModel = 'mobilenet_v2' | 'inception_v3';

/**
 * Where the installed nsfwjs keeps a model's wrappers.
 *
 * @example
 * nsfwjsModelDir('mobilenet_v2') // '/app/node_modules/nsfwjs/dist/models/mobilenet_v2'
 */
export function nsfwjsModelDir(model: NsfwjsModel): string {
  // nsfwjs's "exports" map hides package.json and the model folders, so resolve its entry
  // point (dist/cjs/index.js) and walk to dist/models from there.
  const entry = createRequire(import.meta.url).resolve('nsfwjs');
  return path.resolve(path.dirname(entry), '..', 'models', model);
}

/**
 * Loads `model.min.js` and its `group1-shardNofM.min.js` files from `dir`.
 *
 * @example
 * const a = await loadTfjsArtifacts(nsfwjsModelDir('mobilenet_v2'));
 * a.weightSpecs.length // 266
 * a.weightData.byteLength // 2619461
 */
export async function loadTfjsArtifacts(dir: string): Promise<TfjsArtifacts> {
  const modelPath = path.join(dir, 'model.min.js');
  const modelSource = await readWrapper(modelPath);
  // Objects made inside the vm context have that context's prototypes, so `instanceof Array`
  // fails on them (tfjs-layers relies on it); a JSON round trip rebuilds them in this realm.
  const model = JSON.parse(JSON.stringify(evaluateWrapper(modelSource, modelPath) ?? null)) as Partial<{
    modelTopology: KerasModelTopology;
    weightsManifest: WeightGroup[];
  }>;
  if (!model || typeof model !== 'object' || !model.modelTopology || !Array.isArray(model.weightsManifest)) {
    throw new RosettaError('MODEL_INVALID', `${modelPath} does not export {modelTopology, weightsManifest}`);
  }
  if (!('model_config' in model.modelTopology)) {
    throw new RosettaError(
      'MODEL_INVALID',
      `${modelPath} is not a Keras layers model (TF.js graph models are not supported)`,
    );
  }

  const chunks: Uint8Array[] = [];
  const weightSpecs: WeightSpec[] = [];
  for (const group of model.weightsManifest) {
    for (const shard of group.paths) {
      const shardPath = path.join(dir, `${shard}.min.js`);
      const shardSource = await readWrapper(shardPath);
      const base64 = evaluateWrapper(shardSource, shardPath);
      if (typeof base64 !== 'string') {
        throw new RosettaError('MODEL_INVALID', `${shardPath} does not export a base64 string`);
      }
      chunks.push(Buffer.from(base64, 'base64'));
    }
    weightSpecs.push(...group.weights);
  }
  return {
    source: dir,
    modelTopology: model.modelTopology,
    weightsManifest: model.weightsManifest,
    weightSpecs,
    weightData: concat(chunks),
    sourceHash: await hashTfjsModelDir(dir),
  };
}

/**
 * sha256 (hex) over every `.js` file in a TF.js wrapper folder (name and bytes, sorted by name):
 * the identity of the weights, computed without evaluating 25 MB of JavaScript.
 *
 * @example
 * await hashTfjsModelDir(nsfwjsModelDir('mobilenet_v2')) // '8277456a14f3...'
 */
export async function hashTfjsModelDir(dir: string): Promise<string> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.js')).sort();
  } catch (err) {
    throw new RosettaError('MODEL_NOT_READY', `cannot list TF.js model folder ${dir}: ${(err as Error).message}`, { cause: err });
  }
  if (!names.includes('model.min.js')) {
    throw new RosettaError('MODEL_NOT_READY', `TF.js model folder ${dir} has no model.min.js`);
  }
  const hash = createHash('sha256');
  for (const name of names) {
    hash.update(name);
    hash.update(await readFile(path.join(dir, name)));
  }
  return hash.digest('hex');
}

async function readWrapper(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new RosettaError('MODEL_NOT_READY', `cannot read TF.js model file ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/**
 * Runs a browserify/UMD wrapper and returns what it assigns to `module.exports`.
 *
 * Why `vm` with a bare context rather than `import()`/`require()`: the files are scripts meant
 * for bundlers and `<script>` tags, not modules we want in Node's module cache (the Inception
 * shards are ~25 MB of strings that would stay alive for the whole process); the UMD prologue
 * picks the CommonJS branch only if it sees `module` and `exports`, and would otherwise attach
 * to a global; and a context holding nothing but `module`/`exports` (no `require`, `process`,
 * or file system) means a tampered package cannot do more than return bad data, which the
 * converter then validates.
 */
function evaluateWrapper(source: string, file: string): unknown {
  const sandbox = { module: { exports: {} as unknown }, exports: {} };
  sandbox.module.exports = sandbox.exports;
  try {
    vm.runInNewContext(source, sandbox, { filename: file, timeout: 30_000 });
  } catch (err) {
    throw new RosettaError('MODEL_INVALID', `cannot evaluate ${file}: ${(err as Error).message}`, { cause: err });
  }
  return sandbox.module.exports;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}
