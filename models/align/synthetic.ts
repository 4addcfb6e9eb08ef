// Synthetic pair data with a planted alignment, for the tests and the throughput bench: every
// modality is a noisy function of one shared latent vector per item, so trained heads can retrieve.
import { RosettaError } from '../errors.ts';
import type { SparseRow } from '../types.ts';
import { bagHead, denseHead, gaussian, INITIAL_LOG_SCALE, mulberry32, type AlignParams, type BagHeadParams, type DenseHeadParams } from './head-params.ts';
import type { DenseRows, PairData } from './pair-batches.ts';

export interface WorldOptions {
  /** Size of the shared latent; each item is one latent vector z ~ N(0, I). */
  latent: number;
  seed: number;
  /** Text: vocabulary size (rows of E) and Zipf-drawn noise ids per caption. */
  vocab?: number;
  noiseIds?: number;
  /** Gaussian feature noise of the dense modalities. */
  noise?: number;
}

/** The hashed id of vocabulary rank r: an odd multiplier is a bijection on uint32, so ids are unique. */
export const hashedId = (rank: number): number => Math.imul(rank + 1, 0x9e3779b1) >>> 0;

/**
 * A planted world: dense modalities (each a fixed random linear mix of the latent plus noise) and
 * captions (one signal word per latent dimension, its sign picking the word, weighted by its size,
 * plus Zipf noise words). Pairs of any two modalities share their latent.
 *
 * @example
 * const world = new PlantedWorld({ latent: 8, seed: 1, vocab: 100 });
 * world.modality('image', 32);
 * const imageText = world.pairs('image', 'text', 512, 7); // { a: dense [512, 32], b: sparse captions }
 */
export class PlantedWorld {
  readonly vocab: number;
  private readonly mixes = new Map<string, { dim: number; A: Float32Array; offset: Float32Array }>();

  constructor(readonly options: WorldOptions) {
    this.vocab = options.vocab ?? 4 * options.latent;
  }

  /** Declares a dense modality of `dim` features. */
  modality(name: string, dim: number): this {
    const seed = this.options.seed * 977 + this.mixes.size * 31 + 1;
    this.mixes.set(name, { dim, A: gaussian(this.options.latent * dim, seed, 1 / Math.sqrt(this.options.latent)), offset: gaussian(dim, seed + 1, 1) });
    return this;
  }

  /** `count` fresh pairs of modality `a` (dense) with `b` (a dense modality or 'text'). */
  pairs(a: string, b: string, count: number, seed: number): PairData {
    const z = gaussian(count * this.options.latent, seed * 131 + 7, 1);
    return { a: this.dense(a, z, count, seed * 131 + 8), b: b === 'text' ? this.captions(z, count, seed * 131 + 9) : this.dense(b, z, count, seed * 131 + 10) };
  }

  /** A randomly initialised dense head (a stand-in for CCA), centred on `data`'s mean. */
  denseHead(data: DenseRows, dim: number, seed: number, hidden = 0): DenseHeadParams {
    return denseHead({
      inDim: data.dim,
      dim,
      W: gaussian(data.dim * dim, seed, 1 / Math.sqrt(data.dim)),
      mean: columnMean(data),
      ...(hidden ? { hidden, seed: seed + 1 } : {}),
    });
  }

  /** A randomly initialised text bag over the whole vocabulary. */
  textHead(dim: number, seed: number): BagHeadParams {
    const ids = Uint32Array.from({ length: this.vocab }, (_, r) => hashedId(r));
    return bagHead(ids, gaussian(this.vocab * dim, seed, 1 / Math.sqrt(dim)), dim);
  }

  private dense(name: string, z: Float32Array, count: number, seed: number): DenseRows {
    const mix = this.mixes.get(name);
    if (!mix) throw new RosettaError('INVALID_ARGUMENT', `planted world has no modality '${name}'`);
    const { dim, A, offset } = mix;
    const latent = this.options.latent;
    const data = gaussian(count * dim, seed, this.options.noise ?? 0.3);
    for (let i = 0; i < count; i++) {
      for (let c = 0; c < dim; c++) {
        let s = offset[c];
        for (let j = 0; j < latent; j++) s += z[i * latent + j] * A[j * dim + c];
        data[i * dim + c] += s;
      }
    }
    return { kind: 'dense', count, dim, data };
  }

  private captions(z: Float32Array, count: number, seed: number): PairData['b'] {
    const latent = this.options.latent;
    const rand = mulberry32(seed);
    const zipf = zipfSampler(this.vocab - 2 * latent, rand);
    const rows: SparseRow[] = [];
    for (let i = 0; i < count; i++) {
      const ids: number[] = [];
      const weights: number[] = [];
      for (let j = 0; j < latent; j++) {
        const v = z[i * latent + j];
        ids.push(hashedId(2 * j + (v > 0 ? 0 : 1)));
        weights.push(Math.abs(v));
      }
      for (let k = 0; k < (this.options.noiseIds ?? 0); k++) {
        ids.push(hashedId(2 * latent + zipf()));
        weights.push(0.3 * rand());
      }
      // An id outside the vocabulary, which the bag must ignore.
      if (i % 7 === 0) {
        ids.push(hashedId(this.vocab + 5));
        weights.push(1);
      }
      rows.push({ ids: Uint32Array.from(ids), weights: Float32Array.from(weights) });
    }
    return { kind: 'sparse', rows };
  }
}

export interface PlantedOptions extends WorldOptions {
  pairs: number;
  inDim: number;
  dim: number;
  /** Side b: captions, or a second dense modality of `bInDim` features (head vs head). */
  side: 'bag' | 'dense';
  bInDim?: number;
  /** Residual MLP width on the dense heads (0: none). */
  hidden?: number;
}

/**
 * One planted pair set and randomly initialised heads for it.
 *
 * @example
 * const { data, params } = plantedPairs({ pairs: 512, latent: 8, inDim: 32, dim: 16, seed: 1, side: 'bag', vocab: 200 });
 * data.b.kind // 'sparse'
 */
export function plantedPairs(o: PlantedOptions): { data: PairData; params: AlignParams } {
  const world = new PlantedWorld(o).modality('a', o.inDim);
  if (o.side === 'dense') world.modality('b', o.bInDim ?? o.inDim);
  const data = world.pairs('a', o.side === 'dense' ? 'b' : 'text', o.pairs, o.seed);
  const a = world.denseHead(data.a, o.dim, o.seed * 31 + 3, o.hidden ?? 0);
  const b = data.b.kind === 'dense' ? world.denseHead(data.b, o.dim, o.seed * 31 + 6, o.hidden ?? 0) : world.textHead(o.dim, o.seed * 31 + 8);
  return { data, params: { a, b, logScale: INITIAL_LOG_SCALE } };
}

/** Splits pair data into the first `n` pairs and the rest. */
export function splitPairs(data: PairData, n: number): [PairData, PairData] {
  const cut = (m: DenseRows, from: number, to: number): DenseRows => ({
    kind: 'dense',
    count: to - from,
    dim: m.dim,
    data: m.data.slice(from * m.dim, to * m.dim),
  });
  const total = data.a.count;
  const bPart = (from: number, to: number): PairData['b'] =>
    data.b.kind === 'dense' ? cut(data.b, from, to) : { kind: 'sparse', rows: data.b.rows.slice(from, to) };
  return [
    { a: cut(data.a, 0, n), b: bPart(0, n) },
    { a: cut(data.a, n, total), b: bPart(n, total) },
  ];
}

function columnMean(m: DenseRows): Float32Array {
  const mean = new Float64Array(m.dim);
  for (let i = 0; i < m.count; i++) for (let c = 0; c < m.dim; c++) mean[c] += m.data[i * m.dim + c];
  return Float32Array.from(mean, (s) => s / m.count);
}

/** Ranks 0..n-1 with P(r) ∝ 1/(r+1), the shape of word frequencies. */
function zipfSampler(n: number, rand: () => number): () => number {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let r = 0; r < n; r++) cdf[r] = total += 1 / (r + 1);
  return () => {
    const u = rand() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}
