import { RosettaError } from '../../models/errors.ts';
import {
  captionSources,
  featureModalities,
  itemModalities,
  type Caption,
  type ItemPatch,
  type NewItem,
  type StoredFeature,
} from './types.ts';

function invalid(message: string): never {
  throw new RosettaError('INVALID_ARGUMENT', message);
}

function nonEmptyString(value: unknown, what: string): void {
  if (typeof value !== 'string' || value.trim() === '') invalid(`${what} must be a non-empty string`);
}

function optionalNumber(value: unknown, what: string, integer: boolean): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
    invalid(`${what} ${String(value)} must be a non-negative ${integer ? 'integer' : 'number'}`);
  }
}

const WEBP = { riff: Buffer.from('RIFF'), webp: Buffer.from('WEBP') };

export function checkThumbnail(thumbnail: unknown, what: string): void {
  if (!Buffer.isBuffer(thumbnail) || thumbnail.length < 12) invalid(`${what} must be a Buffer of WebP bytes`);
  if (!thumbnail.subarray(0, 4).equals(WEBP.riff) || !thumbnail.subarray(8, 12).equals(WEBP.webp)) {
    invalid(`${what} is not a WebP image (no RIFF....WEBP header)`);
  }
}

export function checkCaptions(captions: unknown, what: string): asserts captions is Caption[] {
  if (!Array.isArray(captions)) invalid(`${what} must be an array`);
  captions.forEach((c: Partial<Caption>, i) => {
    nonEmptyString(c?.text, `${what}[${i}].text`);
    if (!captionSources.includes(c.source as never)) {
      invalid(`${what}[${i}].source "${String(c.source)}" is not one of ${captionSources.join(', ')}`);
    }
  });
}

/** Checks shapes and values; DIMENSION_MISMATCH when a dense vector's length is not its dim. */
export function checkFeatures(features: unknown, what: string): asserts features is StoredFeature[] {
  if (!Array.isArray(features)) invalid(`${what} must be an array`);
  const seen = new Set<string>();
  features.forEach((f: StoredFeature, i) => {
    const name = `${what}[${i}]`;
    if (!featureModalities.includes(f?.modality)) {
      invalid(`${name}.modality "${String(f?.modality)}" is not one of ${featureModalities.join(', ')}`);
    }
    nonEmptyString(f.encoder, `${name}.encoder`);
    if (!Number.isInteger(f.dim) || f.dim < 1) invalid(`${name}.dim ${String(f.dim)} must be a positive integer`);
    const key = `${f.modality}\u0000${f.encoder}`;
    if (seen.has(key)) invalid(`${name} repeats the ${f.modality} feature of encoder ${f.encoder}`);
    seen.add(key);
    if (f.kind === 'dense') {
      if (!(f.vector instanceof Float32Array)) invalid(`${name}.vector must be a Float32Array`);
      if (f.vector.length !== f.dim) {
        throw new RosettaError(
          'DIMENSION_MISMATCH',
          `${name} (${f.encoder}) has ${f.vector.length} values but declares dim ${f.dim}`,
        );
      }
      if (!f.vector.every(Number.isFinite)) invalid(`${name}.vector has a non-finite value`);
    } else if (f.kind === 'sparse') {
      const { ids, weights } = f.sparse ?? {};
      if (!(ids instanceof Uint32Array) || !(weights instanceof Float32Array) || ids.length !== weights.length) {
        invalid(`${name}.sparse must hold a Uint32Array of ids and a Float32Array of weights of one length`);
      }
      if (ids.some((id) => id >= f.dim)) invalid(`${name}.sparse has an id not below its dim ${f.dim}`);
      if (!weights.every(Number.isFinite)) invalid(`${name}.sparse has a non-finite weight`);
    } else {
      invalid(`${name}.kind "${String((f as { kind?: unknown }).kind)}" is not dense or sparse`);
    }
  });
}

function checkMediaFields(item: Partial<NewItem> | ItemPatch, what: string): void {
  optionalNumber(item.width, `${what}.width`, true);
  optionalNumber(item.height, `${what}.height`, true);
  optionalNumber(item.duration, `${what}.duration`, false);
}

/** Throws INVALID_ARGUMENT naming the first bad field of a new item. */
export function checkNewItem(item: NewItem): void {
  if (typeof item !== 'object' || item === null) invalid('item must be an object');
  nonEmptyString(item.externalId, 'item.externalId');
  const what = `item ${item.externalId}`;
  if (!itemModalities.includes(item.modality)) {
    invalid(`${what}.modality "${String(item.modality)}" is not one of ${itemModalities.join(', ')}`);
  }
  nonEmptyString(item.sourcePath, `${what}.sourcePath`);
  if (typeof item.contentHash !== 'string' || !/^[0-9a-f]{64}$/.test(item.contentHash)) {
    invalid(`${what}.contentHash must be a sha256 in lowercase hex`);
  }
  nonEmptyString(item.mime, `${what}.mime`);
  checkMediaFields(item, what);
  if (item.captions !== undefined) checkCaptions(item.captions, `${what}.captions`);
  checkFeatures(item.features, `${what}.features`);
  if (item.thumbnail !== undefined) checkThumbnail(item.thumbnail, `${what}.thumbnail`);
}

export function checkPatch(patch: ItemPatch, what: string): void {
  if (typeof patch !== 'object' || patch === null) invalid(`${what} patch must be an object`);
  if (patch.sourcePath !== undefined) nonEmptyString(patch.sourcePath, `${what}.sourcePath`);
  if (patch.mime !== undefined) nonEmptyString(patch.mime, `${what}.mime`);
  checkMediaFields(patch, what);
  if (patch.captions !== undefined) checkCaptions(patch.captions, `${what}.captions`);
  if (patch.features !== undefined) checkFeatures(patch.features, `${what}.features`);
  if (patch.thumbnail !== undefined && patch.thumbnail !== null) checkThumbnail(patch.thumbnail, `${what}.thumbnail`);
}
