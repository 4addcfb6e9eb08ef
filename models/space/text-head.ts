/**
 * A space's text bag head as queries use it: the bias row, the refusal of text with no word
 * the space knows, the bag. SpaceProjector embeds text with it, and the server's text thread
 * rebuilds it from `params` so that both give the same vector.
 */
import { RosettaError } from '../errors.ts';
import type { SparseRow } from '../types.ts';
import type { BagHeadParams } from '../align/index.ts';
import { BagIndex } from './head-math.ts';
import { withBias } from './init.ts';

export class TextHead {
  private readonly bag: BagIndex;

  /** @example new TextHead(projector.version, model.heads.text as BagHeadParams) */
  constructor(
    /** The space version (with '+cca' for Stage 1's heads) named in errors. */
    readonly version: string,
    readonly params: BagHeadParams,
  ) {
    this.bag = new BagIndex(params);
  }

  /**
   * The featurizer's sparse row in the space, L2-normalised.
   *
   * @example head.embed(row) // Float32Array(256)
   */
  embed(row: SparseRow): Float32Array {
    if (!(row?.ids instanceof Uint32Array) || !(row.weights instanceof Float32Array) || row.ids.length !== row.weights.length) {
      throw new RosettaError('INVALID_ARGUMENT', 'text features must be a SparseRow {ids: Uint32Array, weights: Float32Array}');
    }
    const biased = withBias(row);
    // The bias row alone would put every unknown text on one point.
    if (this.bag.known(biased) <= 1) throw new RosettaError('EMPTY_INPUT', `the text has no word space ${this.version} was trained on; use other words`);
    return this.bag.apply(biased);
  }
}
