import type { VectorIndex } from '../vector/index.ts';
import type { ItemRepository } from './items.ts';
import { projectItem } from './project.ts';
import type { ItemModality, Projector } from './types.ts';

const PAGE = 256;

export interface Placement {
  /** Items the projector placed, now in the index. */
  placed: number[];
  /** Items it returned null for. */
  skipped: number[];
}

/**
 * Projects `ids` (or every item) from their stored features into `index`, a page at a time so
 * that searches on another index keep being answered between pages.
 *
 * @example
 * await projectInto(items, projector, index); // { placed: [1, 2, 4], skipped: [3] }
 */
export async function projectInto(
  items: ItemRepository,
  projector: Projector,
  index: VectorIndex,
  ids?: readonly number[],
): Promise<Placement> {
  const out: Placement = { placed: [], skipped: [] };
  const pages = ids ? chunks(items, ids) : allItems(items);
  for (const page of pages) {
    const features = items.featuresOf(page.map((p) => p.id));
    const adds: Promise<void>[] = [];
    for (const { id, modality } of page) {
      const vector = projectItem(projector, id, modality, features.get(id) ?? []);
      if (vector) {
        adds.push(index.add(id, vector));
        out.placed.push(id);
      } else {
        out.skipped.push(id);
      }
    }
    await Promise.all(adds);
  }
  return out;
}

function* chunks(items: ItemRepository, ids: readonly number[]): Generator<{ id: number; modality: ItemModality }[]> {
  for (let i = 0; i < ids.length; i += PAGE) {
    // Ids of items deleted meanwhile drop out here.
    yield [...items.modalitiesOf(ids.slice(i, i + PAGE))].map(([id, modality]) => ({ id, modality }));
  }
}

function* allItems(items: ItemRepository): Generator<{ id: number; modality: ItemModality }[]> {
  let after = 0;
  for (;;) {
    const page = items.page(after, PAGE);
    if (page.length === 0) return;
    yield page;
    after = page[page.length - 1].id;
  }
}
