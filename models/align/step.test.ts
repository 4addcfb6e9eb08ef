import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRosettaError } from '../errors.ts';
import { AlignStep, type StepBatch } from './step.ts';
import { defaultAdamW, initPairAdam } from './adamw.ts';
import { gaussian, MAX_LOG_SCALE, shapeOf, type AlignParams, type DenseHeadParams } from './head-params.ts';
import { PairBatcher } from './pair-batches.ts';
import { plantedPairs } from './synthetic.ts';

// A tiny problem per configuration: text bag vs an MLP image head, and MLP head vs MLP head.
function tinyProblem(side: 'bag' | 'dense'): { params: AlignParams; batch: StepBatch } {
  const { data, params } = plantedPairs({ pairs: 6, latent: 3, inDim: 5, dim: 4, seed: 7, side, vocab: 12, noiseIds: 3, hidden: 3, bInDim: 4 });
  const batch = new PairBatcher(data, params).batch([0, 1, 2, 3, 4, 5]);
  // A non-zero W2 and b1 so the MLP's W1/b1 gradients are not trivially zero. Finite differences
  // are wrong across a ReLU kink, so draw b1 until every pre-activation is at least 0.15 from zero
  // (a 1e-2 step moves them by ~0.03). A scale of 5: the default 14.3 makes third derivatives,
  // hence the differences' truncation error, large.
  for (const [head, x] of [[params.a, batch.a.x], [params.b, batch.b.kind === 'dense' ? batch.b.x : undefined]] as const) {
    if (head.kind !== 'dense' || !head.mlp || !x) continue;
    head.mlp.W2 = gaussian(head.mlp.W2.length, 11, 0.5);
    for (let seed = 12; ; seed++) {
      head.mlp.b1 = gaussian(head.mlp.b1.length, seed, 0.3);
      if (minPreactivation(head, x, batch.size) > 0.15) break;
    }
  }
  params.logScale = Math.log(5);
  return { params, batch };
}

/** min |h| over the batch and hidden units, h = ((x - mean)·W + b)·W1 + b1. */
function minPreactivation(head: DenseHeadParams, x: Float32Array, B: number): number {
  const { hidden, W1, b1 } = head.mlp!;
  let min = Infinity;
  for (let i = 0; i < B; i++) {
    const y0 = Array.from({ length: head.dim }, (_, c) => {
      let s = head.b[c];
      for (let k = 0; k < head.inDim; k++) s += (x[i * head.inDim + k] - head.mean[k]) * head.W[k * head.dim + c];
      return s;
    });
    for (let j = 0; j < hidden; j++) min = Math.min(min, Math.abs(y0.reduce((s, v, c) => s + v * W1[c * hidden + j], b1[j])));
  }
  return min;
}

/** The table index behind element j of a slot's gradient (E's gradient covers only the batch's rows). */
function perturb(params: AlignParams, batch: StepBatch, slot: string, j: number, delta: number): void {
  if (slot === 'logScale') {
    params.logScale += delta;
    return;
  }
  const [side, field] = slot.split('.') as ['a' | 'b', string];
  const head = params[side];
  if (head.kind === 'bag') {
    const b = batch.b as { rows: Int32Array };
    const d = head.dim;
    head.E[b.rows[Math.floor(j / d)] * d + (j % d)] += delta;
    return;
  }
  const arr = field === 'W' || field === 'b' ? head[field] : (head.mlp as NonNullable<DenseHeadParams['mlp']>)[field as 'W1' | 'b1' | 'W2'];
  arr[j] += delta;
}

describe.each(['bag', 'dense'] as const)('step graph gradients (side b: %s)', (side) => {
  let gradStep: AlignStep;
  let lossStep: AlignStep;
  const problem = tinyProblem(side);
  const shapes = { a: shapeOf(problem.params.a), b: shapeOf(problem.params.b) };

  beforeAll(async () => {
    gradStep = await AlignStep.create(shapes, { mode: 'grad' });
    lossStep = await AlignStep.create(shapes, { mode: 'loss' });
  });
  afterAll(async () => {
    await gradStep.close();
    await lossStep.close();
  });

  it('matches central finite differences for every parameter kind', async () => {
    const { params, batch } = problem;
    const { loss, grads } = await gradStep.gradients(batch, params);
    expect(loss).toBeCloseTo(await lossStep.loss(batch, params), 6);
    const expected = side === 'bag' ? ['a.W', 'a.b', 'a.W1', 'a.b1', 'a.W2', 'b.E', 'logScale'] : ['a.W', 'a.b', 'a.W1', 'a.b1', 'a.W2', 'b.W', 'b.b', 'b.W1', 'b.b1', 'b.W2', 'logScale'];
    expect(Object.keys(grads)).toEqual(expected);
    const fd = async (slot: string, j: number, h: number): Promise<number> => {
      perturb(params, batch, slot, j, h);
      const up = await lossStep.loss(batch, params);
      perturb(params, batch, slot, j, -2 * h);
      const down = await lossStep.loss(batch, params);
      perturb(params, batch, slot, j, h);
      return (up - down) / (2 * h);
    };
    const report: string[] = [];
    for (const slot of expected) {
      const g = grads[slot];
      const numeric = new Float64Array(g.length);
      let unsure = 0;
      for (let j = 0; j < g.length; j++) {
        // Double-checked: two step sizes must agree (they would not across a ReLU kink).
        const [f1, f2] = [await fd(slot, j, 1e-2), await fd(slot, j, 5e-3)];
        if (Math.abs(f1 - f2) > 2e-3 + 2e-2 * Math.abs(f2)) {
          unsure++;
          numeric[j] = g[j];
        } else numeric[j] = (4 * f2 - f1) / 3;
      }
      const scale = Math.max(...Array.from(numeric, Math.abs));
      let worst = 0;
      let diff2 = 0;
      let norm2 = 0;
      for (let j = 0; j < g.length; j++) {
        const err = Math.abs(g[j] - numeric[j]);
        worst = Math.max(worst, err / Math.max(Math.abs(numeric[j]), 0.05 * scale, 1e-4));
        diff2 += err * err;
        norm2 += numeric[j] * numeric[j];
      }
      const relNorm = Math.sqrt(diff2 / Math.max(norm2, 1e-30));
      report.push(`${slot}: |g|max ${scale.toExponential(2)} rel-norm-err ${relNorm.toExponential(2)} worst-elem ${worst.toExponential(2)} skipped ${unsure}/${g.length}`);
      expect(scale, `${slot} gradient is not trivially zero`).toBeGreaterThan(1e-3);
      expect(unsure, `${slot}: the two step sizes agree (no kink crossed)`).toBe(0);
      expect(relNorm, slot).toBeLessThan(5e-3);
      expect(worst, slot).toBeLessThan(2e-2);
    }
    console.log(`gradient check (side b ${side}):\n  ${report.join('\n  ')}`);
  });

  it('computes the symmetric InfoNCE loss of a float64 reference', async () => {
    const { params, batch } = problem;
    expect(await lossStep.loss(batch, params)).toBeCloseTo(referenceLoss(params, batch), 5);
  });
});

describe('AdamW update', () => {
  const config = { lr: 0.01, beta1: 0.8, beta2: 0.95, eps: 1e-6, weightDecay: 0.1 };

  it.each(['host', 'graph'] as const)('matches a TS AdamW reference for one step on every slot (bag rows updated on the %s, atol 1e-6)', async (bagUpdate) => {
    const { params, batch } = tinyProblem('bag');
    const shapes = { a: shapeOf(params.a), b: shapeOf(params.b) };
    const gradStep = await AlignStep.create(shapes, { mode: 'grad' });
    const trainStep = await AlignStep.create(shapes, { mode: 'train', bagUpdate });
    const { grads } = await gradStep.gradients(batch, params);
    const adam = initPairAdam(params);
    // Each group has its own step count (a head may sit out steps of other pair sets):
    // bias correction at t = 5, 10 and 3 exercises every step input.
    const [a, b] = [adam.a!, adam.b!];
    [a.step, b.step, adam.scale.step] = [4, 9, 2];
    let seed = 100;
    for (const group of [a, b, adam.scale]) {
      for (const field of Object.keys(group.m)) {
        group.m[field] = gaussian(group.m[field].length, seed++, 0.01);
        group.v[field] = gaussian(group.v[field].length, seed++, 0.01).map((x) => x * x);
      }
    }
    const before = structuredClone(params);
    const adamBefore = structuredClone(adam);
    await trainStep.train(batch, params, adam, config);
    await gradStep.close();
    await trainStep.close();
    expect([a.step, b.step, adam.scale.step]).toEqual([5, 10, 3]);

    const rows = (batch.b as { rows: Int32Array }).rows;
    const d = params.b.dim;
    for (const [name, decay] of [['a.W', true], ['a.b', false], ['a.W1', true], ['a.b1', false], ['a.W2', true], ['b.E', true], ['logScale', false]] as const) {
      const [groupName, field] = name === 'logScale' ? (['scale', 'logScale'] as const) : (name.split('.') as ['a' | 'b', string]);
      const [now, was] = [adam[groupName]!, adamBefore[groupName]!];
      const t = was.step + 1;
      const g = grads[name];
      // Flat index into the stored tensor for gradient element j (E: only the batch's rows).
      const at = (j: number) => (name === 'b.E' ? rows[Math.floor(j / d)] * d + (j % d) : j);
      const p0 = name === 'logScale' ? [before.logScale] : tensorOf(before, name);
      const p1 = name === 'logScale' ? [params.logScale] : tensorOf(params, name);
      for (let j = 0; j < g.length; j++) {
        const i = at(j);
        const m = config.beta1 * was.m[field][i] + (1 - config.beta1) * g[j];
        const v = config.beta2 * was.v[field][i] + (1 - config.beta2) * g[j] * g[j];
        const denom = Math.sqrt(v) / Math.sqrt(1 - config.beta2 ** t) + config.eps;
        const p = p0[i] * (decay ? 1 - config.lr * config.weightDecay : 1) - (config.lr / (1 - config.beta1 ** t)) * (m / denom);
        expect(Math.abs(p1[i] - p), `${name}[${i}]`).toBeLessThan(1e-6);
        expect(Math.abs(now.m[field][i] - m), `${name}.m[${i}]`).toBeLessThan(1e-6);
        expect(Math.abs(now.v[field][i] - v), `${name}.v[${i}]`).toBeLessThan(1e-6);
      }
    }
    // Lazy update: rows of E outside the batch, and their moments, are untouched.
    const inBatch = new Set(rows);
    if (params.b.kind === 'bag' && before.b.kind === 'bag') {
      for (let r = 0; r < params.b.ids.length; r++) {
        if (inBatch.has(r)) continue;
        expect(params.b.E.subarray(r * d, r * d + d)).toEqual(before.b.E.subarray(r * d, r * d + d));
        expect(b.m.E.subarray(r * d, r * d + d)).toEqual(adamBefore.b!.m.E.subarray(r * d, r * d + d));
        expect(b.v.E.subarray(r * d, r * d + d)).toEqual(adamBefore.b!.v.E.subarray(r * d, r * d + d));
      }
    }
  });

  it('keeps s at most log(100) after an update that pushes it up', async () => {
    const { params, batch } = tinyProblem('dense');
    params.logScale = MAX_LOG_SCALE;
    const step = await AlignStep.create({ a: shapeOf(params.a), b: shapeOf(params.b) }, { mode: 'train' });
    const adam = initPairAdam(params);
    for (let i = 0; i < 3; i++) await step.train(batch, params, adam, { ...defaultAdamW, lr: 0.5 });
    await step.close();
    expect(params.logScale).toBeLessThanOrEqual(Math.fround(MAX_LOG_SCALE));
  });

  it('leaves a frozen side unchanged and feeds it no moments', async () => {
    const { params, batch } = tinyProblem('dense');
    const frozen = { b: true };
    const step = await AlignStep.create({ a: shapeOf(params.a), b: shapeOf(params.b) }, { mode: 'train', frozen });
    const adam = initPairAdam(params, frozen);
    expect(adam.b).toBeUndefined();
    expect(Object.keys(adam.a!.m)).toEqual(['W', 'b', 'W1', 'b1', 'W2']);
    const before = structuredClone(params);
    await step.train(batch, params, adam, defaultAdamW);
    await step.close();
    expect(params.b).toEqual(before.b);
    expect(params.a.W).not.toEqual(before.a.W);
  });

  it('rejects a batch whose side kinds do not match the heads with INVALID_ARGUMENT', async () => {
    const { params, batch } = tinyProblem('bag');
    const step = await AlignStep.create({ a: shapeOf(params.a), b: shapeOf(params.b) }, { mode: 'loss' });
    const bad = { ...batch, b: { kind: 'dense' as const, x: new Float32Array(24) } };
    await expect(step.loss(bad, params)).rejects.toSatisfy((e) => isRosettaError(e, 'INVALID_ARGUMENT') && /batch.b is dense but params.b is a bag head/.test((e as Error).message));
    await expect(step.gradients(batch, params)).rejects.toThrow(/built for mode 'loss', not 'grad'/);
    await step.close();
  });
});

function tensorOf(params: AlignParams, name: string): Float32Array {
  const [side, field] = name.split('.') as ['a' | 'b', string];
  const head = params[side];
  if (head.kind === 'bag') return head.E;
  if (field === 'W' || field === 'b') return head[field];
  return (head.mlp as NonNullable<DenseHeadParams['mlp']>)[field as 'W1' | 'b1' | 'W2'];
}

/** Float64 forward and loss, written independently of the graph. */
function referenceLoss(params: AlignParams, batch: StepBatch): number {
  const B = batch.size;
  const embed = (side: 'a' | 'b'): number[][] => {
    const head = params[side];
    const data = batch[side];
    const out: number[][] = [];
    for (let i = 0; i < B; i++) {
      let y = new Array<number>(head.dim).fill(0);
      if (head.kind === 'bag' && data.kind === 'bag') {
        const U = data.rows.length;
        for (let u = 0; u < U; u++) for (let c = 0; c < head.dim; c++) y[c] += data.S[i * U + u] * head.E[data.rows[u] * head.dim + c];
      } else if (head.kind === 'dense' && data.kind === 'dense') {
        for (let c = 0; c < head.dim; c++) {
          let s = head.b[c];
          for (let k = 0; k < head.inDim; k++) s += (data.x[i * head.inDim + k] - head.mean[k]) * head.W[k * head.dim + c];
          y[c] = s;
        }
        if (head.mlp) {
          const { hidden, W1, b1, W2 } = head.mlp;
          const r = Array.from({ length: hidden }, (_, h) => Math.max(0, y.reduce((s, v, c) => s + v * W1[c * hidden + h], b1[h])));
          y = y.map((v, c) => v + r.reduce((s, rv, h) => s + rv * W2[h * head.dim + c], 0));
        }
      }
      const n = Math.sqrt(y.reduce((s, v) => s + v * v, 0));
      out.push(y.map((v) => v / n));
    }
    return out;
  };
  const [Y, T] = [embed('a'), embed('b')];
  const scale = Math.exp(Math.min(params.logScale, MAX_LOG_SCALE));
  const L = Y.map((y) => T.map((t) => scale * y.reduce((s, v, c) => s + v * t[c], 0)));
  const lse = (xs: number[]) => Math.log(xs.reduce((s, x) => s + Math.exp(x), 0));
  let loss = 0;
  for (let i = 0; i < B; i++) loss += (lse(L[i]) - L[i][i] + lse(L.map((row) => row[i])) - L[i][i]) / (2 * B);
  return loss;
}
