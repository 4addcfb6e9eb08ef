export type Modality = 'image' | 'sketch' | 'audio' | 'text';
export const modalities: readonly Modality[] = ['image', 'sketch', 'audio', 'text'];

/** A file's bytes with a name to put in error messages (a path, an upload's name, "query"). */
export interface MediaInput {
  name: string;
  data: Buffer;
}

/**
 * Who made a feature vector. Stored beside every feature row so that features made by a
 * different model or version are never mixed with these.
 */
export interface EncoderIdentity {
  name: string;
  version: string;
  /** sha256 (hex) of the weights, or of the featurizer's parameters for lexical encoders. */
  weightsHash: string;
}

/** `name@version#hash12`, the form stored in the database. */
export function identityKey(id: EncoderIdentity): string {
  return `${id.name}@${id.version}#${id.weightsHash.slice(0, 12)}`;
}

/** Sparse weighted feature ids, as the text featurizer makes them. Ids are < dim. */
export interface SparseRow {
  ids: Uint32Array;
  weights: Float32Array;
}

export type FeatureRow<K extends FeatureKind> = K extends 'dense' ? Float32Array : SparseRow;
export type FeatureKind = 'dense' | 'sparse';

export type EncoderInput<M extends Modality> = M extends 'text' ? string : MediaInput;

/**
 * The one interface of every encoder: a batch in, one feature row per item out.
 *
 * @example
 * const rows = await imageEncoder.encode([{ name: 'cat.jpg', data }]);
 * rows[0].length === imageEncoder.dim // Float32Array
 */
export interface Encoder<M extends Modality = Modality, K extends FeatureKind = FeatureKind> {
  readonly modality: M;
  readonly kind: K;
  /** Length of a dense row, or the size of the id space of a sparse row. */
  readonly dim: number;
  readonly identity: EncoderIdentity;
  /** Rejects the whole batch with a RosettaError naming the first bad input. */
  encode(batch: EncoderInput<M>[]): Promise<FeatureRow<K>[]>;
  close(): Promise<void>;
}

/**
 * An encoder whose work splits into a per-item step that can fail on its own (decoding,
 * preprocessing) and a batched inference step. The indexer uses the split to skip a bad file
 * without losing its batch, and to overlap decoding with inference.
 */
export interface StagedEncoder<M extends Modality = Modality, P = Float32Array>
  extends Encoder<M, 'dense'> {
  prepare(input: EncoderInput<M>): Promise<P>;
  run(prepared: P[]): Promise<Float32Array[]>;
}
