import { openStore, type CollectionStore, type StoreOptions } from '../../indexer/store/index.ts';
import type { EncoderSettings } from '../../models/encoders/index.ts';
import type { Device } from '../../models/runtime/index.ts';
import { ensureDefaultSpace, loadCurrentSpace, SpaceProjector, type DefaultSpaceEvent, type DefaultSpaceOptions } from '../../models/space/index.ts';

export interface OpenedCollection {
  store: CollectionStore;
  projector: SpaceProjector;
}

/**
 * Opens the collection in `dataDir` in the space in service. A collection always lives in a
 * space; when none is in service yet that is the default space, trained from the demo recipe
 * (minutes, once; cached under the models folder).
 *
 * @example
 * const { store, projector } = await openCollection(config, 'data/collection');
 */
export async function openCollection(
  settings: EncoderSettings,
  dataDir: string,
  onProgress?: (event: DefaultSpaceEvent) => void,
  /** Where the default space's demo data is (built there if missing), and its size. */
  defaultSpace?: Pick<DefaultSpaceOptions, 'demoDir' | 'demoSize'>,
  /** How the store searches (its threads); the projector is the space's. */
  storeOptions: Omit<StoreOptions, 'projector'> = {},
): Promise<OpenedCollection> {
  let space = await loadCurrentSpace(settings.modelsDir);
  space ??= await ensureDefaultSpace({
    modelsDir: settings.modelsDir,
    cacheDir: settings.cacheDir,
    device: settings.device as Device,
    encoders: settings.encoders,
    ...(onProgress ? { onProgress } : {}),
    ...defaultSpace,
  });
  const projector = new SpaceProjector(space);
  return { store: await openStore(dataDir, { ...storeOptions, projector }), projector };
}
