import { RosettaError } from '../../models/errors.ts';
import type { FeatureModality, StoredFeature } from './types.ts';

/** A row of the `features` table as better-sqlite3 returns it. */
export interface FeatureRow {
  modality: string;
  encoder: string;
  dim: number;
  kind: string;
  vector: Buffer | null;
  sparse_ids: Buffer | null;
  sparse_weights: Buffer | null;
}

/** The bytes of a typed array, little-endian as on every platform Node ships for. */
export function toBlob(array: Float32Array | Uint32Array): Buffer {
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength);
}

/** Copies, because a Buffer from SQLite need not be 4-byte aligned for a typed-array view. */
function floats(blob: Buffer): Float32Array {
  const out = new Float32Array(blob.byteLength / 4);
  new Uint8Array(out.buffer).set(blob);
  return out;
}

function uints(blob: Buffer): Uint32Array {
  const out = new Uint32Array(blob.byteLength / 4);
  new Uint8Array(out.buffer).set(blob);
  return out;
}

/**
 * @example
 * decodeFeature(row); // { kind: 'dense', modality: 'image', encoder: 'clip@1#ab12', dim: 512, vector }
 */
export function decodeFeature(row: FeatureRow): StoredFeature {
  const modality = row.modality as FeatureModality;
  if (row.kind === 'dense' && row.vector && row.vector.byteLength === row.dim * 4) {
    return { kind: 'dense', modality, encoder: row.encoder, dim: row.dim, vector: floats(row.vector) };
  }
  if (
    row.kind === 'sparse' &&
    row.sparse_ids &&
    row.sparse_weights &&
    row.sparse_ids.byteLength === row.sparse_weights.byteLength &&
    row.sparse_ids.byteLength % 4 === 0
  ) {
    return {
      kind: 'sparse',
      modality,
      encoder: row.encoder,
      dim: row.dim,
      sparse: { ids: uints(row.sparse_ids), weights: floats(row.sparse_weights) },
    };
  }
  throw new RosettaError('INTERNAL', `stored ${row.modality} feature of ${row.encoder} has blobs that do not fit its dim`);
}

/** True when both features hold the same numbers (so a re-add can report 'unchanged'). */
export function sameFeature(a: StoredFeature, b: StoredFeature): boolean {
  if (a.kind !== b.kind || a.dim !== b.dim || a.modality !== b.modality || a.encoder !== b.encoder) return false;
  if (a.kind === 'dense' && b.kind === 'dense') return toBlob(a.vector).equals(toBlob(b.vector));
  if (a.kind === 'sparse' && b.kind === 'sparse') {
    return toBlob(a.sparse.ids).equals(toBlob(b.sparse.ids)) && toBlob(a.sparse.weights).equals(toBlob(b.sparse.weights));
  }
  return false;
}
