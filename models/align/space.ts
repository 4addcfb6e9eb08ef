/**
 * The coordinated latent space as plain matrices: per modality a mean and a weight, and the
 * text embedding bag in front of the text map. Everything a search needs at query time, and
 * exactly what Stage 2 (contrastive fine-tuning) starts from.
 */
import { RosettaError } from '../errors.ts';
import type { Modality, SparseRow } from '../types.ts';
import { embedSparse, knownIds, type TextBag } from './rsvd.ts';

export type DenseModality = Exclude<Modality, 'text'>;

export interface LinearMap {
  /** Input width: the encoder's dim, or the text bag's dim for text. */
  mean: Float32Array;
  /** mean.length x dim, row-major. */
  weight: Float32Array;
}

/** The serialisable form: numbers, arrays and typed arrays only. */
export interface LinearSpaceData {
  dim: number;
  maps: Record<Modality, LinearMap | undefined>;
  textBag: TextBag;
  /** Canonical correlations of the dims, descending (before any scaling by them). */
  correlations: number[];
}

const modalityKeys: readonly Modality[] = ['image', 'sketch', 'audio', 'text'];

/**
 * A fitted space. `project` maps one modality's feature row to a unit vector of length `dim`.
 *
 * @example
 * const v = space.project('image', imageFeatures); // Float32Array(256), unit length
 * const t = space.project('text', captionRow);     // same space: compare with a dot product
 */
export class LinearSpace implements LinearSpaceData {
  readonly dim: number;
  readonly maps: Record<Modality, LinearMap | undefined>;
  readonly textBag: TextBag;
  readonly correlations: number[];

  constructor(data: LinearSpaceData) {
    validate(data);
    this.dim = data.dim;
    const m = data.maps;
    // `?? undefined`: a store that writes absent maps as null reads back the same space.
    this.maps = { image: m.image ?? undefined, sketch: m.sketch ?? undefined, audio: m.audio ?? undefined, text: m.text ?? undefined };
    this.textBag = data.textBag;
    this.correlations = data.correlations;
  }

  /** Rebuilds a space from `toData()`'s output, checking every shape (MODEL_INVALID if wrong). */
  static fromData(data: LinearSpaceData): LinearSpace {
    return new LinearSpace(data);
  }

  /** A deep copy as plain data, for the model directory to store. */
  toData(): LinearSpaceData {
    const copyMap = (m: LinearMap | undefined) => m && { mean: m.mean.slice(), weight: m.weight.slice() };
    const b = this.textBag;
    return {
      dim: this.dim,
      maps: {
        image: copyMap(this.maps.image),
        sketch: copyMap(this.maps.sketch),
        audio: copyMap(this.maps.audio),
        text: copyMap(this.maps.text),
      },
      textBag: {
        idSpace: b.idSpace,
        dim: b.dim,
        ids: b.ids.slice(),
        rows: b.rows.slice(),
        singularValues: b.singularValues.slice(),
      },
      correlations: [...this.correlations],
    };
  }

  /** Which modalities have a map. */
  get modalities(): Modality[] {
    return modalityKeys.filter((m) => this.maps[m] !== undefined);
  }

  /**
   * (x - mean)·W, L2-normalised. Text goes through the embedding bag first and is refused with
   * EMPTY_INPUT when none of its ids is known to the space (it would land on a constant point).
   */
  project(modality: 'text', features: SparseRow): Float32Array;
  project(modality: DenseModality, features: Float32Array): Float32Array;
  project(modality: Modality, features: Float32Array | SparseRow): Float32Array {
    const map = this.maps[modality];
    if (!map) {
      throw new RosettaError(
        'INVALID_ARGUMENT',
        `this space has no ${modality} map (it has: ${this.modalities.join(', ') || 'none'})`,
      );
    }
    let x: Float32Array;
    if (modality === 'text') {
      const row = features as SparseRow;
      if (!(row?.ids instanceof Uint32Array) || !(row.weights instanceof Float32Array)) {
        throw new RosettaError('INVALID_ARGUMENT', 'text features must be a SparseRow {ids, weights}');
      }
      if (knownIds(row, this.textBag) === 0) {
        throw new RosettaError('EMPTY_INPUT', 'the text has no feature the space was fitted on; add words it knows');
      }
      x = embedSparse(row, this.textBag);
    } else {
      if (!(features instanceof Float32Array)) {
        throw new RosettaError('INVALID_ARGUMENT', `${modality} features must be a Float32Array`);
      }
      x = features;
    }
    const p = map.mean.length;
    if (x.length !== p) {
      throw new RosettaError(
        'DIMENSION_MISMATCH',
        `${modality} features have ${x.length} dims but this space's ${modality} map takes ${p}`,
      );
    }
    const k = this.dim;
    const out = new Float64Array(k);
    for (let i = 0; i < p; i++) {
      const v = x[i] - map.mean[i];
      if (!Number.isFinite(v)) {
        throw new RosettaError('INVALID_ARGUMENT', `${modality} features have a non-finite value at ${i}`);
      }
      if (v === 0) continue;
      const o = i * k;
      for (let j = 0; j < k; j++) out[j] += v * map.weight[o + j];
    }
    let norm = 0;
    for (let j = 0; j < k; j++) norm += out[j] * out[j];
    norm = Math.sqrt(norm);
    // A row exactly at the mean has no direction; it stays the zero vector.
    return Float32Array.from(out, (v) => (norm > 0 ? v / norm : 0));
  }
}

function validate(data: LinearSpaceData): void {
  const bad = (why: string): never => {
    throw new RosettaError('MODEL_INVALID', `linear space: ${why}`);
  };
  if (!data || typeof data !== 'object') bad('not an object');
  const { dim, maps, textBag: b, correlations } = data;
  if (!Number.isInteger(dim) || dim < 1) bad(`dim must be a positive integer; got ${dim}`);
  if (!Array.isArray(correlations) || correlations.length !== dim || !correlations.every(Number.isFinite)) {
    bad(`correlations must be ${dim} finite numbers`);
  }
  if (!maps || typeof maps !== 'object') bad('maps missing');
  for (const key of Object.keys(maps)) if (!modalityKeys.includes(key as Modality)) bad(`unknown modality map '${key}'`);
  if (!b || !(b.ids instanceof Uint32Array) || !(b.rows instanceof Float32Array)) bad('textBag needs ids and rows');
  if (!Number.isInteger(b.dim) || b.dim < 1 || b.rows.length !== b.ids.length * b.dim) {
    bad(`textBag rows have ${b.rows.length} values, not ${b.ids.length} ids x ${b.dim}`);
  }
  for (let i = 1; i < b.ids.length; i++) if (b.ids[i] <= b.ids[i - 1]) bad('textBag ids must be strictly ascending');
  if (b.ids.length > 0 && b.ids[b.ids.length - 1] >= b.idSpace) bad(`textBag id outside its id space ${b.idSpace}`);
  if (!(b.singularValues instanceof Float32Array)) bad('textBag singularValues must be a Float32Array');
  let any = false;
  for (const m of modalityKeys) {
    const map = maps[m];
    if (map === undefined || map === null) continue;
    any = true;
    if (!(map.mean instanceof Float32Array) || !(map.weight instanceof Float32Array)) {
      bad(`${m} map needs Float32Array mean and weight`);
    }
    if (map.weight.length !== map.mean.length * dim) {
      bad(`${m} weight has ${map.weight.length} values, not ${map.mean.length} x ${dim}`);
    }
    if (m === 'text' && map.mean.length !== b.dim) bad(`text map takes ${map.mean.length} dims but the bag gives ${b.dim}`);
  }
  if (!any) bad('no modality has a map');
}
