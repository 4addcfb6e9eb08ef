// Heads that turn a feature map into one vector per image, built into the exported graph so
// the runtime hands back finished embeddings.
import { RosettaError } from '../errors.ts';
import type { GraphBuilder } from '../onnxgraph/index.ts';
import type { Tensor } from './layers.ts';

/**
 * 'avg': global average. 'max': global max. 'gem': generalised mean (mean of x^p)^(1/p), p = 3 by
 * default, which leans towards the strongest responses. 'avgmax': [avg, max] concatenated (2C).
 * 'none': the layer's raw output (feature maps back in NHWC), for parity checks.
 */
export type Pooling = 'avg' | 'max' | 'gem' | 'avgmax' | 'none';
export const poolings: readonly Pooling[] = ['avg', 'max', 'gem', 'avgmax', 'none'];

/** Smallest activation GeM sees: x^(1/p) has no real value below 0 and an infinite slope at 0. */
export const GEM_EPS = 1e-6;

/**
 * Appends a pooling head to `x` (NCHW inside the graph). Returns the value and its shape
 * without the batch.
 *
 * @example
 * poolHead(g, feature, 'avgmax', 'emb') // { value: 'emb_avgmax', shape: [768] } for a 384-channel map
 */
export function poolHead(g: GraphBuilder, x: Tensor, pool: Pooling, name: string, gemP = 3): Tensor {
  if (pool === 'none' && x.shape.length === 1) return x;
  if (x.shape.length !== 3) {
    throw new RosettaError('INVALID_ARGUMENT', `pooling '${pool}' needs a feature map; '${name}' has shape [${x.shape}]`);
  }
  const c = x.shape[2];
  const flat = (v: string): string => g.op('Flatten', [v], { axis: 1 }, `${name}_flat`);
  switch (pool) {
    case 'none':
      return { value: g.op('Transpose', [x.value], { perm: [0, 2, 3, 1] }, `${name}_nhwc`), shape: x.shape };
    case 'avg':
      return { value: flat(g.op('GlobalAveragePool', [x.value], {}, `${name}_avg`)), shape: [c] };
    case 'max':
      return { value: flat(g.op('GlobalMaxPool', [x.value], {}, `${name}_max`)), shape: [c] };
    case 'avgmax': {
      const avg = g.op('GlobalAveragePool', [x.value], {}, `${name}_avg`);
      const max = g.op('GlobalMaxPool', [x.value], {}, `${name}_max`);
      return { value: flat(g.op('Concat', [avg, max], { axis: 1 }, `${name}_avgmax`)), shape: [2 * c] };
    }
    case 'gem': {
      if (!(gemP > 0)) throw new RosettaError('INVALID_ARGUMENT', `GeM power must be > 0; got ${gemP}`);
      const clipped = g.op('Clip', [x.value, g.floats(`${name}_eps`, [GEM_EPS]), ''], {}, `${name}_clip`);
      const powered = g.op('Pow', [clipped, g.floats(`${name}_p`, [gemP])], {}, `${name}_pow`);
      const mean = g.op('GlobalAveragePool', [powered], {}, `${name}_mean`);
      const root = g.op('Pow', [mean, g.floats(`${name}_invp`, [1 / gemP])], {}, `${name}_root`);
      return { value: flat(root), shape: [c] };
    }
    default:
      throw new RosettaError('INVALID_ARGUMENT', `pooling must be one of ${poolings.join(', ')}; got '${String(pool)}'`);
  }
}

