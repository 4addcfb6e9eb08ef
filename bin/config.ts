import path from 'node:path';
import { z } from 'zod';
import { RosettaError } from '../models/errors.ts';
import { devices } from '../models/runtime/index.ts';

/**
 * Every option Rosetta reads, with its environment variable. Flags win over the environment,
 * the environment over defaults. Validated once; every bad key is reported in one message.
 */
const schema = z.object({
  /** ROSETTA_DATA_DIR: where the collection (SQLite + HNSW + thumbnails) lives. */
  dataDir: z.string().min(1).default('data/collection'),
  /** ROSETTA_MODELS_DIR: where external encoder manifests (*.encoder.json) and trained spaces live. */
  modelsDir: z.string().min(1).default('models'),
  /** ROSETTA_CACHE_DIR: converted and generated model files (made on first use, safe to delete). */
  cacheDir: z.string().min(1).default('models/cache'),
  /** ROSETTA_DEVICE: ONNX Runtime execution provider: cpu, webgpu, cuda, or auto (best available). */
  device: z.enum(devices as [string, ...string[]]).default('cpu'),
  /**
   * ROSETTA_ENCODERS: which encoder serves each modality, e.g. "image=clip-vit-b32-visual,text=clip-vit-b32-text";
   * a modality not named uses the built-in encoder.
   */
  encoders: z
    .string()
    .default('')
    .transform((s, ctx) => {
      const picks: Record<string, string> = {};
      for (const part of s.split(',').map((p) => p.trim()).filter(Boolean)) {
        const m = /^(image|sketch|audio|text)=(.+)$/.exec(part);
        if (!m) ctx.addIssue({ code: 'custom', message: `'${part}' is not modality=name` });
        else if (Object.hasOwn(picks, m[1])) {
          ctx.addIssue({ code: 'custom', message: `${m[1]} is picked twice ('${m[1]}=${picks[m[1]]}' and '${part}'); pick one` });
        } else picks[m[1]] = m[2];
      }
      return picks;
    }),
});

export type Config = z.infer<typeof schema>;

const envNames: Record<keyof Config, string> = {
  dataDir: 'ROSETTA_DATA_DIR',
  modelsDir: 'ROSETTA_MODELS_DIR',
  cacheDir: 'ROSETTA_CACHE_DIR',
  device: 'ROSETTA_DEVICE',
  encoders: 'ROSETTA_ENCODERS',
};

/**
 * @example
 * loadConfig({ device: 'webgpu' }, process.env) // { dataDir: '/abs/data/collection', device: 'webgpu', ... }
 */
export function loadConfig(
  flags: Partial<Record<keyof Config, string | undefined>> = {},
  env: NodeJS.ProcessEnv = process.env,
): Config {
  const raw: Record<string, string> = {};
  for (const key of Object.keys(envNames) as (keyof Config)[]) {
    const value = flags[key] ?? env[envNames[key]];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      const key = String(i.path[0] ?? '');
      const env = envNames[key as keyof Config];
      return `${key}${env ? ` (${env})` : ''}: ${i.message}`;
    });
    throw new RosettaError('INVALID_ARGUMENT', `bad configuration: ${problems.join('; ')}`);
  }
  const c = parsed.data;
  return { ...c, dataDir: path.resolve(c.dataDir), modelsDir: path.resolve(c.modelsDir), cacheDir: path.resolve(c.cacheDir) };
}
