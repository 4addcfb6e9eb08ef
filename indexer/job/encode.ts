import { identityKey, type StagedEncoder } from '../../models/types.ts';
import type { ItemModality } from '../store/index.ts';
import { itemFailure } from './reasons.ts';
import type { Staged } from './stage.ts';
import type { IndexEncoders } from './types.ts';
import type { FeatureCache } from '../../models/space/index.ts';

type Encoding = Extract<Staged, { kind: 'encode' }>;

/**
 * onnxruntime-node runs a session synchronously on the main thread (inside a setImmediate),
 * so one run of a whole batch would stall the decoding of the next batch, which needs the
 * event loop between its sharp steps. Inference goes in slices of this many inputs with a turn
 * of the event loop between them. The rows do not depend on the slicing (checked: the CNN's
 * output for an image is bit-identical at batch sizes 1, 2 and 5).
 */
const RUN_SLICE = 8;

/**
 * Runs the batch's prepared inputs through their encoders, one `run` per modality, and adds
 * each row to its item's features. Returns the batch with every `encode` turned into `write`,
 * or into `failed` when inference refused that input: a failed batch is retried one input
 * at a time so that only the culprit is lost.
 *
 * @example
 * await encodeBatch(encoders, staged) // [{ kind: 'write', item: { features: [image 384-d, text sparse] } }, ...]
 */
export async function encodeBatch(encoders: IndexEncoders, batch: Staged[], imageFeatures?: FeatureCache): Promise<Staged[]> {
  const out = [...batch];
  for (const modality of ['image', 'audio'] as const) {
    const at = out.flatMap((s, i) => (s.kind === 'encode' && s.item.modality === modality ? [i] : []));
    if (at.length === 0) continue;
    const encoder = encoders[modality];
    const rows = await runAll(encoder, at.map((i) => (out[i] as Encoding).prepared));
    at.forEach((i, j) => {
      const s = out[i] as Encoding;
      const row = rows[j];
      if (modality === 'image' && !(row instanceof Error)) imageFeatures?.set(s.item.contentHash, row);
      out[i] =
        row instanceof Error
          ? { kind: 'failed', candidate: s.candidate, failure: itemFailure(row, s.candidate.path) }
          : { kind: 'write', candidate: s.candidate, seen: s.seen, item: { ...s.item, features: [denseFeature(encoder, modality, row), ...s.item.features] } };
    });
  }
  return out;
}

async function runAll(encoder: StagedEncoder<ItemModality, unknown>, prepared: unknown[]): Promise<(Float32Array | Error)[]> {
  try {
    const rows: Float32Array[] = [];
    for (let i = 0; i < prepared.length; i += RUN_SLICE) {
      if (i > 0) await new Promise((resolve) => setImmediate(resolve));
      rows.push(...(await encoder.run(prepared.slice(i, i + RUN_SLICE))));
    }
    return rows;
  } catch (err) {
    if (prepared.length === 1) return [asError(err)];
  }
  const rows: (Float32Array | Error)[] = [];
  for (const p of prepared) {
    try {
      rows.push((await encoder.run([p]))[0]);
    } catch (err) {
      rows.push(asError(err));
    }
  }
  return rows;
}

function denseFeature(encoder: StagedEncoder<ItemModality, unknown>, modality: ItemModality, vector: Float32Array) {
  return { kind: 'dense' as const, modality, encoder: identityKey(encoder.identity), dim: encoder.dim, vector };
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
