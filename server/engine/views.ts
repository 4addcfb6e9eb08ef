import type { ItemRecord, ItemSummary } from '../../indexer/store/index.ts';
import type { ItemView, SearchResult } from '../api/schemas.ts';

export type { ItemView };

/** URLs name items by id only; the API never exposes or accepts a file path. */
export function contentUrl(id: number): string {
  return `/api/items/${id}/content`;
}

export function thumbnailUrl(item: Pick<ItemRecord, 'id' | 'hasThumbnail'>): string | null {
  return item.hasThumbnail ? `/api/items/${item.id}/thumbnail` : null;
}

/** @example searchResult(summary, 0.83) // { id: 7, externalId: 'images/1F98A.png', modality: 'image', score: 0.83, caption: 'fox', ... } */
export function searchResult(item: ItemSummary, score: number): SearchResult {
  return {
    id: item.id,
    externalId: item.externalId,
    modality: item.modality,
    score,
    caption: item.caption,
    thumbnailUrl: thumbnailUrl(item),
    contentUrl: contentUrl(item.id),
  };
}

export function itemView(item: ItemRecord): ItemView {
  return {
    id: item.id,
    externalId: item.externalId,
    modality: item.modality,
    caption: item.captions[0]?.text ?? null,
    captions: item.captions,
    mime: item.mime,
    width: item.width,
    height: item.height,
    duration: item.duration,
    createdAt: item.createdAt,
    indexed: item.indexed,
    thumbnailUrl: thumbnailUrl(item),
    contentUrl: contentUrl(item.id),
  };
}
