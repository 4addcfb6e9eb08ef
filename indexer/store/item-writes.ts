import { RosettaError } from '../../models/errors.ts';
import { sameFeature } from './codec.ts';
import type { ItemFields, ItemRepository } from './items.ts';
import { projectItem } from './project.ts';
import type {
  AddResult,
  Caption,
  CaptionSource,
  ItemModality,
  ItemPatch,
  ItemRecord,
  ItemRef,
  NewItem,
  Projector,
  StoredFeature,
} from './types.ts';

/** Captions an indexing run derives from files; a re-add replaces these and keeps 'user' ones. */
const FILE_CAPTIONS: readonly CaptionSource[] = ['manifest', 'sidecar'];

/** What a write changed in the item's vector, applied to the index after the commit. */
export interface VectorChange {
  id: number;
  vector: Float32Array | null;
  wasIndexed: boolean;
}

/** A write's outcome; `modality` updates the in-memory map once the transaction committed. */
export interface WriteOutcome<T> {
  result: T;
  change?: VectorChange;
  modality?: { id: number; is: ItemModality | null };
}

/** Everything a write may change on an existing item. */
interface Changes {
  fields: ItemFields;
  /** Replace all features (the content changed) or upsert these. */
  features?: { list: StoredFeature[]; replaceAll: boolean };
  captions?: { replace: readonly CaptionSource[]; list: Caption[] };
  thumbnail?: Buffer | null;
}

/**
 * Decides what an add, update or delete writes, and writes it, inside the caller's SQLite
 * transaction; returns the vector change for the caller to apply once it has committed.
 */
export class ItemWriter {
  constructor(
    private readonly items: ItemRepository,
    private readonly projector: () => Projector,
    private readonly nextSeq: () => number,
  ) {}

  add(input: NewItem): WriteOutcome<AddResult> {
    const byHash = this.items.getByHash(input.contentHash);
    if (byHash && byHash.externalId !== input.externalId) {
      return { result: { id: byHash.id, status: 'duplicate' } };
    }
    this.checkFeatureDims(input.features);
    const fields: ItemFields = {
      externalId: input.externalId,
      modality: input.modality,
      sourcePath: input.sourcePath,
      contentHash: input.contentHash,
      mime: input.mime,
      width: input.width ?? null,
      height: input.height ?? null,
      duration: input.duration ?? null,
    };
    const existing = this.items.getByExternalId(input.externalId);
    const captions = input.captions && {
      replace: FILE_CAPTIONS,
      list: input.captions.filter((c) => c.source !== 'user'),
      extra: input.captions.filter((c) => c.source === 'user'),
    };
    if (!existing) {
      const id = this.items.insert(fields, now());
      for (const f of input.features) this.items.upsertFeature(id, f);
      this.items.replaceCaptions(id, [], input.captions ?? []);
      if (input.thumbnail) this.items.setThumbnail(id, input.thumbnail);
      return {
        result: { id, status: 'added' },
        change: this.place(id, input.modality, false),
        modality: { id, is: input.modality },
      };
    }
    // A user caption already on the item is kept, not added twice.
    const userTexts = new Set(existing.captions.filter((c) => c.source === 'user').map((c) => c.text));
    const newUser = captions ? captions.extra.filter((c) => !userTexts.has(c.text)) : [];
    return this.change(existing, {
      fields,
      features: { list: input.features, replaceAll: existing.contentHash !== input.contentHash },
      captions: captions && { replace: FILE_CAPTIONS, list: [...captions.list, ...newUser] },
      thumbnail: input.thumbnail,
    });
  }

  update(ref: ItemRef, patch: ItemPatch): WriteOutcome<AddResult> {
    const existing = this.resolve(ref);
    if (patch.features) this.checkFeatureDims(patch.features);
    const pick = <K extends keyof ItemPatch & keyof ItemFields>(key: K) =>
      (patch[key] === undefined ? existing[key] : patch[key]) as ItemFields[K];
    return this.change(existing, {
      fields: {
        externalId: existing.externalId,
        modality: existing.modality,
        contentHash: existing.contentHash,
        sourcePath: pick('sourcePath'),
        mime: pick('mime'),
        width: pick('width'),
        height: pick('height'),
        duration: pick('duration'),
      },
      features: patch.features && { list: patch.features, replaceAll: false },
      captions: patch.captions && { replace: ['manifest', 'sidecar', 'user'], list: patch.captions },
      thumbnail: patch.thumbnail,
    });
  }

  /** Writes what differs from `existing`; 'unchanged' when nothing does. */
  private change(existing: ItemRecord, c: Changes): WriteOutcome<AddResult> {
    const id = existing.id;
    const fieldsDiffer = (Object.keys(c.fields) as (keyof ItemFields)[]).some((k) => c.fields[k] !== existing[k]);
    const stored = this.items.features(id);
    const featuresDiffer =
      c.features !== undefined &&
      (c.features.replaceAll
        ? stored.length !== c.features.list.length || !c.features.list.every((f) => stored.some((s) => sameFeature(f, s)))
        : !c.features.list.every((f) => stored.some((s) => sameFeature(f, s))));
    const kept = existing.captions.filter((x) => !c.captions?.replace.includes(x.source));
    const captionsDiffer =
      c.captions !== undefined && !sameCaptions(existing.captions, [...kept, ...c.captions.list]);
    const thumbnailDiffers =
      c.thumbnail !== undefined &&
      (c.thumbnail === null ? existing.hasThumbnail : !this.items.thumbnail(id)?.equals(c.thumbnail));
    if (!fieldsDiffer && !featuresDiffer && !captionsDiffer && !thumbnailDiffers) {
      return { result: { id, status: 'unchanged' } };
    }
    this.items.update(id, c.fields, now());
    if (c.features && featuresDiffer) {
      if (c.features.replaceAll) this.items.deleteFeatures(id);
      for (const f of c.features.list) this.items.upsertFeature(id, f);
    }
    if (c.captions && captionsDiffer) this.items.replaceCaptions(id, c.captions.replace, c.captions.list);
    if (c.thumbnail !== undefined && thumbnailDiffers) this.items.setThumbnail(id, c.thumbnail);
    const moved = featuresDiffer || c.fields.modality !== existing.modality;
    return {
      result: { id, status: 'updated' },
      change: moved ? this.place(id, c.fields.modality, existing.indexed) : undefined,
      modality: { id, is: c.fields.modality },
    };
  }

  delete(ref: ItemRef): WriteOutcome<void> {
    const item = this.resolve(ref);
    this.items.delete(item.id);
    return {
      result: undefined,
      change: { id: item.id, vector: null, wasIndexed: item.indexed },
      modality: { id: item.id, is: null },
    };
  }

  /** Projects the item's stored features and records the outcome in its row. */
  private place(id: number, modality: ItemModality, wasIndexed: boolean): VectorChange {
    const vector = projectItem(this.projector(), id, modality, this.items.features(id));
    this.items.setVectorState(id, this.nextSeq(), vector !== null);
    return { id, vector, wasIndexed };
  }

  /** Features of one encoder all have one dim: refuse to mix two models under one key. */
  private checkFeatureDims(features: StoredFeature[]): void {
    for (const f of features) {
      const dim = this.items.featureDim(f.modality, f.encoder);
      if (dim !== undefined && dim !== f.dim) {
        throw new RosettaError(
          'DIMENSION_MISMATCH',
          `${f.modality} feature of ${f.encoder} has dim ${f.dim}, but the stored ones have ${dim}`,
        );
      }
    }
  }

  resolve(ref: ItemRef): ItemRecord {
    let item: ItemRecord | undefined;
    if (typeof ref === 'number' && Number.isInteger(ref)) item = this.items.get(ref);
    else if (typeof ref === 'string' && ref !== '') item = this.items.getByExternalId(ref);
    else throw new RosettaError('INVALID_ARGUMENT', `item reference ${String(ref)} is not an id or an externalId`);
    if (!item) throw new RosettaError('NOT_FOUND', `item ${typeof ref === 'string' ? JSON.stringify(ref) : ref} does not exist`);
    return item;
  }
}

function sameCaptions(a: readonly Caption[], b: readonly Caption[]): boolean {
  const key = (list: readonly Caption[]) => list.map((c) => `${c.source}\u0000${c.text}`).sort().join('\u0001');
  return key(a) === key(b);
}

function now(): string {
  return new Date().toISOString();
}
