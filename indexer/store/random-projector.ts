import { mulberry32, normal } from '../../models/random.ts';
import type { Projector, StoredFeature } from './types.ts';

export interface RandomProjectorOptions {
  version: string;
  dim: number;
  seed?: number;
  /** Only features of these encoder keys are projected; default all. */
  encoders?: readonly string[];
}

/**
 * A deterministic random linear map from every stored feature into a `dim`-d space: each
 * (modality, encoder) gets its own Gaussian matrix, and an item's vector is the sum over its
 * features. Null when the item has no usable feature. For tests and for a collection that has
 * no fitted space yet; it keeps cosine neighbourhoods of one encoder roughly intact
 * (Johnson-Lindenstrauss) but aligns nothing across modalities.
 *
 * @example
 * const p = randomLinearProjector({ version: 'rand-1', dim: 64 });
 * p.project({ modality: 'image', features }); // Float32Array(64)
 */
export function randomLinearProjector(options: RandomProjectorOptions): Projector {
  const { version, dim, seed = 1, encoders } = options;
  const columns = new Map<string, Float32Array>();
  // Column `i` of the matrix for `key`, made on first use so sparse id spaces cost nothing.
  const column = (key: string, i: number): Float32Array => {
    const name = `${key}\u0000${i}`;
    let col = columns.get(name);
    if (!col) {
      col = gaussianColumn(hash(`${seed}\u0000${name}`), dim);
      columns.set(name, col);
    }
    return col;
  };
  return {
    version,
    dim,
    project({ features }) {
      const out = new Float32Array(dim);
      let used = 0;
      for (const f of features) {
        if (encoders && !encoders.includes(f.encoder)) continue;
        used++;
        const key = `${f.modality}\u0000${f.encoder}`;
        for (const [i, w] of entries(f)) {
          if (w === 0) continue;
          const col = column(key, i);
          for (let j = 0; j < dim; j++) out[j] += w * col[j];
        }
      }
      return used > 0 && out.some((x) => x !== 0) ? out : null;
    },
  };
}

function* entries(f: StoredFeature): Generator<[number, number]> {
  if (f.kind === 'dense') for (let i = 0; i < f.vector.length; i++) yield [i, f.vector[i]];
  else for (let i = 0; i < f.sparse.ids.length; i++) yield [f.sparse.ids[i], f.sparse.weights[i]];
}

/** FNV-1a, enough to spread seeds. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** mulberry32 + Box-Muller. */
function gaussianColumn(seed: number, dim: number): Float32Array {
  const uniform = mulberry32(seed);
  return Float32Array.from({ length: dim }, () => normal(uniform));
}
