/**
 * The unaligned baseline as a query projector the engine can serve: every modality's raw
 * features through its own seeded random projection (the store's randomLinearProjector), so
 * neighbourhoods within a modality survive and nothing relates one modality to another.
 * Cross-modal recall at chance is the floor a trained space must clear.
 */
import { randomLinearProjector, type StoredFeature } from '../../indexer/store/index.ts';
import { RosettaError } from '../../models/errors.ts';
import type { Modality, SparseRow } from '../../models/types.ts';
import type { QueryProjector } from '../engine/index.ts';

export interface UnalignedOptions {
  /** The space's width (the baseline lives in an index of the same size). */
  dim: number;
  /** The encoders the collection was indexed with, by modality: a query's features must meet the same random map as the items' of its encoder. */
  encoders: QueryProjector['encoders'];
  seed?: number;
}

/**
 * @example
 * const baseline = unalignedProjector({ dim: 256, encoders: engine.projector.encoders });
 * await engine.useProjector(baseline); // now every search runs against random projections
 */
export function unalignedProjector(options: UnalignedOptions): QueryProjector {
  const { dim, encoders, seed = 1 } = options;
  const version = `unaligned-random-d${dim}-s${seed}`;
  const random = randomLinearProjector({ version, dim, seed });
  // The built-in sketch encoder is the image CNN with line-art preprocessing: when the widths
  // agree, sketches go through the image map, which keeps the raw-feature similarity of one
  // network (the same baseline the space report uses for sketch -> image).
  const sketchAsImage = encoders.sketch !== undefined && encoders.image !== undefined && encoders.sketch.dim === encoders.image.dim;
  const modalities = (['image', 'sketch', 'audio', 'text'] as const).filter((m) => encoders[m] !== undefined);
  return {
    version,
    dim,
    encoders,
    modalities,
    project(item) {
      // Only the item's own medium, as SpaceProjector does: a caption must not move an image.
      return random.project({ modality: item.modality, features: item.features.filter((f) => f.modality === item.modality) });
    },
    embedQuery(modality: Modality, features: Float32Array | SparseRow): Float32Array {
      const as = modality === 'sketch' && sketchAsImage ? 'image' : modality;
      const encoder = encoders[as];
      if (!encoder) throw new RosettaError('INVALID_ARGUMENT', `the unaligned baseline has no ${modality} encoder (it has: ${modalities.join(', ')})`);
      const feature: StoredFeature =
        features instanceof Float32Array
          ? { kind: 'dense', modality: as, encoder: encoder.key, dim: features.length, vector: features }
          : { kind: 'sparse', modality: as, encoder: encoder.key, dim: encoder.dim, sparse: features };
      // The random map reads only the features; the item modality it is given plays no part.
      const vector = random.project({ modality: 'image', features: [feature] });
      if (!vector) throw new RosettaError('EMPTY_INPUT', `the ${modality} query has no non-zero feature to project`);
      return vector;
    },
  };
}
