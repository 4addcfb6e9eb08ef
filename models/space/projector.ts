/**
 * The trained space as the collection store's Projector (synchronous, in TypeScript) and as
 * the query embedder. Weights come from the head ONNX files (see onnx-weights.ts); the math
 * is head-math.ts.
 */
import type { ItemModality, Projector, StoredFeature } from '../../indexer/store/index.ts';
import { RosettaError } from '../errors.ts';
import type { Modality, SparseRow } from '../types.ts';
import type { BagHeadParams, DenseHeadParams } from '../align/index.ts';
import type { DenseModality } from './corpus.ts';
import { loadCurrentSpace, loadSpace, missingCca, type LoadedSpace } from './directory.ts';
import type { SpaceStage } from './manifest.ts';
import { applyDense } from './head-math.ts';
import { TextHead } from './text-head.ts';

export interface ProjectorOptions {
  /**
   * Which heads to serve: 'final' (default) or Stage 1's 'cca', to compare the stages on a
   * collection. A 'cca' projector's version is `<space version>+cca`, so a store never mixes
   * its vectors with the final heads'.
   */
  stage?: SpaceStage;
}

/**
 * @example
 * const projector = await SpaceProjector.load('models/spaces/20261128T075700Z-3f9a2b1c');
 * projector.project({ modality: 'image', features }) // Float32Array(256), unit length
 * projector.embedQuery('text', captionRow)           // same space: rank by dot product
 * (await SpaceProjector.load(dir, { stage: 'cca' })).version // '20261128T075700Z-3f9a2b1c+cca'
 */
export class SpaceProjector implements Projector {
  readonly version: string;
  readonly stage: SpaceStage;
  readonly dim: number;
  /** Encoder identity key and feature dim per modality, as the space was trained. */
  readonly encoders: Partial<Record<Modality, { key: string; dim: number }>>;
  private readonly dense: Partial<Record<DenseModality, DenseHeadParams>> = {};
  /** The text head, also what the server's text thread rebuilds (server/engine/text-thread.ts). */
  readonly textHead: TextHead;

  constructor(
    readonly space: LoadedSpace,
    options: ProjectorOptions = {},
  ) {
    const { manifest } = space;
    this.stage = options.stage ?? 'final';
    if (this.stage !== 'final' && this.stage !== 'cca') throw new RosettaError('INVALID_ARGUMENT', `stage must be 'final' or 'cca'; got '${String(this.stage)}'`);
    const model = this.stage === 'final' ? space.model : ccaModel(space);
    this.version = this.stage === 'final' ? manifest.version : `${manifest.version}+cca`;
    this.dim = manifest.dim;
    this.encoders = manifest.encoders;
    for (const m of ['image', 'sketch', 'audio'] as const) {
      const head = model.heads[m];
      if (head?.kind === 'dense') this.dense[m] = head;
    }
    const text = model.heads.text;
    if (text?.kind !== 'bag') throw new RosettaError('MODEL_INVALID', `space ${this.version} has no text bag head`);
    this.textHead = new TextHead(this.version, text as BagHeadParams);
  }

  static async load(dir: string, options: ProjectorOptions = {}): Promise<SpaceProjector> {
    return new SpaceProjector(await loadSpace(dir, { withCca: options.stage === 'cca' }), options);
  }

  /** The projector of the space in service, or null when CURRENT names none. */
  static async current(modelsDir: string): Promise<SpaceProjector | null> {
    const space = await loadCurrentSpace(modelsDir);
    return space && new SpaceProjector(space);
  }

  /** Which modalities this space can embed. */
  get modalities(): Modality[] {
    return [...(Object.keys(this.dense) as Modality[]), 'text'];
  }

  /**
   * An item's vector from its stored feature of the item's own modality and the space's
   * encoder. Null when the item has no feature of that modality; an item whose features all
   * come from another encoder is refused (DIMENSION_MISMATCH naming both): vectors of two
   * encoders must never share an index.
   */
  project(item: { modality: ItemModality; features: StoredFeature[] }): Float32Array | null {
    const own = item.features.filter((f) => f.modality === item.modality);
    if (own.length === 0) return null;
    const expected = this.encoders[item.modality];
    const match = own.find((f) => f.encoder === expected?.key);
    if (!match) this.checkEncoder(item.modality, own[0].encoder);
    return this.embedQuery(item.modality, match!.kind === 'dense' ? match!.vector : match!.sparse, match!.encoder);
  }

  /**
   * A query's (or any input's) features in the space, L2-normalised. Text takes the
   * featurizer's sparse row; image, sketch and audio their encoder's dense row. With
   * `encoder`, features made by an encoder other than the space's are refused.
   *
   * @example projector.embedQuery('text', row, 'lexical-text@1#3f9a2b1c0d4e') // Float32Array(256)
   */
  embedQuery(modality: Modality, features: Float32Array | SparseRow, encoder?: string): Float32Array {
    if (encoder !== undefined) this.checkEncoder(modality, encoder);
    if (modality === 'text') return this.textHead.embed(features as SparseRow);
    const head = this.dense[modality];
    if (!head) {
      throw new RosettaError('INVALID_ARGUMENT', `space ${this.version} has no ${modality} head (it has: ${this.modalities.join(', ')}); train it with ${modality} pairs`);
    }
    if (!(features instanceof Float32Array)) throw new RosettaError('INVALID_ARGUMENT', `${modality} features must be a Float32Array`);
    return applyDense(head, features, `${modality} features`);
  }

  /** Throws unless `encoder` is the identity key the space was trained on for `modality`. */
  checkEncoder(modality: Modality, encoder: string): void {
    const expected = this.encoders[modality];
    if (!expected) {
      throw new RosettaError('INVALID_ARGUMENT', `space ${this.version} was trained without ${modality} features`);
    }
    if (expected.key !== encoder) {
      throw new RosettaError(
        'DIMENSION_MISMATCH',
        `${modality} features were made by encoder ${encoder}, but space ${this.version} was trained on ${expected.key}; ` +
          'retrain the space (rosetta train) or index with the encoder it was trained on',
      );
    }
  }
}

/** Stage 1's heads of a loaded space, or why there are none. */
function ccaModel(space: LoadedSpace): LoadedSpace['model'] {
  if (space.cca) return space.cca;
  if (!space.manifest.stages?.cca) throw missingCca(space.manifest.version);
  throw new RosettaError('INVALID_ARGUMENT', `space ${space.manifest.version} was loaded without its Stage-1 heads; load it with loadSpace(dir, { withCca: true })`);
}
