/**
 * The real material the generated collection is made of: the demo's items with their
 * captions and their real encoder features (from the feature cache that training the default
 * space fills; files it lacks are encoded here, up to a cap, so a fresh checkout still works).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { DemoItem } from '../../../data/demo/index.ts';
import { createEncoder, type EncoderSettings } from '../../../models/encoders/index.ts';
import { RosettaError } from '../../../models/errors.ts';
import { FeatureCache, sha256Hex } from '../../../models/space/feature-cache.ts';
import type { SpaceProjector } from '../../../models/space/index.ts';
import type { Encoder } from '../../../models/types.ts';

export interface DemoBase {
  modality: 'image' | 'audio';
  /** Relative to the demo dir. */
  path: string;
  /** The demo's caption, also for its captionless share: "head — tag, tag, ...". */
  caption: string;
  /** The item encoder's output for this file. */
  feature: Float32Array;
}

export interface DemoBases {
  demoDir: string;
  image: DemoBase[];
  audio: DemoBase[];
  /** Items of the demo, for query texts and query media. */
  items: DemoItem[];
  /** How many bases came from the cache, and how many were encoded here. */
  cached: number;
  encoded: number;
}

/** Below this many distinct bases per modality, uncached demo files are encoded until there are. */
const MIN_BASES = { image: 400, audio: 150 };

/**
 * @example
 * const bases = await loadDemoBases('models/cache/demo-full', projector, settings);
 * bases.image.length // 1224 distinct images with real 384-d CNN features
 */
export async function loadDemoBases(demoDir: string, projector: SpaceProjector, settings: EncoderSettings): Promise<DemoBases> {
  const manifest = path.join(demoDir, 'items.jsonl');
  if (!existsSync(manifest)) {
    throw new RosettaError('NOT_FOUND', `${manifest} is missing; build the demo first (rosetta demo, or start the server once)`);
  }
  const items = readFileSync(manifest, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as DemoItem);
  const out: DemoBases = { demoDir, image: [], audio: [], items, cached: 0, encoded: 0 };
  for (const modality of ['image', 'audio'] as const) {
    const want = projector.encoders[modality];
    if (!want) throw new RosettaError('INVALID_ARGUMENT', `space ${projector.version} has no ${modality} encoder`);
    const cache = await FeatureCache.open(path.join(settings.cacheDir, 'features'), want.key, want.dim);
    const seen = new Set<string>();
    const misses: { item: DemoItem; data: Buffer }[] = [];
    for (const item of items.filter((i) => i.modality === modality)) {
      const data = readFileSync(path.join(demoDir, item.path));
      const hash = sha256Hex(data);
      if (seen.has(hash)) continue;
      seen.add(hash);
      const feature = cache.get(hash);
      if (feature) out[modality].push({ modality, path: item.path, caption: item.meta.caption, feature });
      else misses.push({ item, data });
    }
    out.cached += out[modality].length;
    const missing = Math.max(0, MIN_BASES[modality] - out[modality].length);
    if (missing > 0 && misses.length > 0) {
      const encoder = (await createEncoder(modality, settings)) as Encoder<typeof modality, 'dense'>;
      try {
        const batch = misses.slice(0, missing);
        for (let i = 0; i < batch.length; i += 16) {
          const part = batch.slice(i, i + 16);
          const rows = await encoder.encode(part.map(({ item, data }) => ({ name: item.path, data })));
          part.forEach(({ item }, j) => out[modality].push({ modality, path: item.path, caption: item.meta.caption, feature: rows[j] }));
        }
        out.encoded += batch.length;
      } finally {
        await encoder.close();
      }
    }
    if (out[modality].length === 0) throw new RosettaError('NOT_FOUND', `no ${modality} of ${demoDir} could be encoded`);
  }
  return out;
}
