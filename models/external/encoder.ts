// One external encoder: one ONNX session, the manifest's recipe in front of it, and the checks
// that make a mismatched export fail when it loads rather than on the first real query.
import { dirname } from 'node:path';
import { RosettaError, isRosettaError } from '../errors.ts';
import { OnnxSession, type Device, type TensorSpec } from '../runtime/index.ts';
import { l2normalize } from '../vectors.ts';
import type { Encoder, EncoderIdentity, MediaInput, Modality, StagedEncoder } from '../types.ts';
import type { ExternalManifest, ParsedManifest } from './manifest.ts';
import type { InputRole, MediaPipeline, TextPipeline, TokenBatch } from './pipeline.ts';

type MediaModality = Exclude<Modality, 'text'>;

interface ExternalInfo {
  manifest: ExternalManifest;
  /** Path of the manifest file. */
  file: string;
}
export type ExternalMediaEncoder = StagedEncoder<MediaModality, Float32Array> & ExternalInfo;
export type ExternalTextEncoder = Encoder<'text', 'dense'> & ExternalInfo;
export type ExternalEncoder = ExternalMediaEncoder | ExternalTextEncoder;

/**
 * Opens the model's session, checks its names and output shape against the manifest, and
 * wraps it as an Encoder. The caller has checked that the files exist.
 */
export async function createExternalEncoder(
  parsed: ParsedManifest,
  identity: EncoderIdentity,
  options: { device?: Device } = {},
): Promise<ExternalEncoder> {
  const { manifest, file } = parsed;
  const baseDir = dirname(file);
  const pipeline = await parsed.kind.create(parsed.recipe, { baseDir, modality: manifest.modality }).catch((err: unknown) => {
    // The recipe's own files (a tokenizer) and options fail here; the fix is in the manifest.
    if (!isRosettaError(err)) throw err;
    const code = err.code === 'MODEL_NOT_READY' ? err.code : 'MODEL_INVALID';
    throw new RosettaError(code, `${file}: ${err.message}`, { cause: err });
  });
  const session = await OnnxSession.create(parsed.onnxPath, {
    device: options.device ?? 'cpu',
    expectInputs: Object.keys(manifest.inputs),
    expectOutputs: [manifest.output],
  }).catch((err: unknown) => {
    // Name the manifest too: the fix is usually there, not in the ONNX file.
    if (!isRosettaError(err, 'MODEL_INVALID')) throw err;
    throw new RosettaError('MODEL_INVALID', `${file}: ${err.message}`, { cause: err });
  });
  try {
    const unfed = session.inputNames.filter((n) => !Object.hasOwn(manifest.inputs, n));
    if (unfed.length > 0) {
      throw new RosettaError(
        'MODEL_INVALID',
        `${file}: ONNX model ${parsed.onnxPath} also takes ${unfed.join(', ')}, which 'inputs' does not map to a role`,
      );
    }
    const infer = inferrer(session, parsed, batchLimit(session, parsed));
    const base = {
      manifest,
      file,
      kind: 'dense' as const,
      dim: manifest.dim,
      identity,
      close: () => session.close(),
    };
    let encoder: ExternalEncoder;
    if (parsed.kind.input === 'text') {
      const text = pipeline as TextPipeline;
      const runAs = (phase: Phase) => async (texts: string[]) => {
        // The whole batch is tokenized first so that an empty text anywhere rejects it before any inference.
        const batch = text.tokenize(texts);
        return infer(texts.length, (start, end) => tokenFeeds(batch, start, end, manifest), phase);
      };
      encoder = { ...base, modality: 'text', encode: runAs('run') };
      await checked(parsed, () => runAs('test')(['a']));
    } else {
      const media = pipeline as MediaPipeline;
      const run = mediaRunner(media, infer, parsed, 'run');
      encoder = {
        ...base,
        modality: manifest.modality as MediaModality,
        prepare: (input: MediaInput) => media.prepare(input),
        run,
        encode: async (inputs: MediaInput[]) => run(await Promise.all(inputs.map((i) => media.prepare(i)))),
      };
      const test = mediaRunner(media, infer, parsed, 'test');
      await checked(parsed, async () => test([await media.dummy()]));
    }
    return encoder;
  } catch (err) {
    await session.close();
    throw err;
  }
}

type Feeds = Record<string, TensorSpec>;
/** The load-time test run on a blank input, or a run on real inputs. */
type Phase = 'test' | 'run';

/**
 * How many items one run may take: the manifest's maxBatch, capped at 1 when the export fixes
 * its batch axis at 1. A fixed batch of more than one is refused, since a smaller batch (the
 * last chunk, a single query) would not fit it.
 */
function batchLimit(session: OnnxSession, parsed: ParsedManifest): number {
  let limit = parsed.manifest.maxBatch;
  for (const name of Object.keys(parsed.manifest.inputs)) {
    const size = session.inputShapes[name]?.[0];
    if (typeof size !== 'number') continue;
    if (size > 1) {
      throw new RosettaError(
        'MODEL_INVALID',
        `${parsed.file}: input '${name}' of ${parsed.onnxPath} has a fixed batch size of ${size}; ` +
          'Rosetta runs from 1 to maxBatch items at a time, so export it with a dynamic batch axis (or a batch of 1)',
      );
    }
    limit = 1;
  }
  return limit;
}

/**
 * Runs `n` items in chunks of `maxBatch`; checks the output is [chunk, dim] of finite values
 * with a direction (not all zeros); normalizes rows. Failures are MODEL_INVALID naming the
 * manifest and the ONNX file.
 */
function inferrer(session: OnnxSession, parsed: ParsedManifest, maxBatch: number) {
  const { manifest, file, onnxPath } = parsed;
  const output = `output '${manifest.output}' of ${onnxPath}`;
  return async (n: number, feeds: (start: number, end: number) => Feeds, phase: Phase): Promise<Float32Array[]> => {
    const rows: Float32Array[] = [];
    for (let start = 0; start < n; start += maxBatch) {
      const end = Math.min(n, start + maxBatch);
      const count = end - start;
      let out: { data: Float32Array; dims: readonly number[] };
      try {
        out = (await session.run(feeds(start, end), [manifest.output]))[manifest.output];
      } catch (err) {
        throw runFailed(parsed, phase, count, err);
      }
      if (out.dims.length !== 2 || out.dims[0] !== count || out.dims[1] !== manifest.dim) {
        throw new RosettaError(
          'MODEL_INVALID',
          `${file}: ${output} has shape [${out.dims.join(', ')}]; ` +
            `the manifest says [${count}, ${manifest.dim}] (check 'dim' and 'output')`,
        );
      }
      for (let i = 0; i < count; i++) {
        const row = out.data.slice(i * manifest.dim, (i + 1) * manifest.dim);
        const bad = row.findIndex((v) => !Number.isFinite(v));
        if (bad >= 0) {
          throw new RosettaError(
            'MODEL_INVALID',
            `${file}: ${output} has a non-finite value (${row[bad]}) at ${bad} for input ${start + i} of the batch`,
          );
        }
        // The test run feeds a blank input, which a model without biases maps to zeros: only
        // real inputs are held to having a direction.
        if (phase === 'run' && row.every((v) => v === 0)) {
          throw new RosettaError(
            'MODEL_INVALID',
            `${file}: ${output} is all zeros for input ${start + i} of the batch; a zero vector cannot be compared`,
          );
        }
        rows.push(manifest.normalize ? l2normalize(row) : row);
      }
    }
    return rows;
  };
}

/** What ONNX Runtime said when a run failed, with the manifest key most likely to fix it. */
function runFailed(parsed: ParsedManifest, phase: Phase, count: number, err: unknown): RosettaError {
  const said = err instanceof Error ? err.message : String(err);
  if (phase === 'test') {
    return new RosettaError(
      'MODEL_INVALID',
      `${parsed.file}: a test run of ${parsed.onnxPath} failed (check input types and 'preprocess'): ${said}`,
      { cause: err },
    );
  }
  const hints = [
    ...(count > 1 ? ["if the export takes a fixed batch size, set 'maxBatch' to it"] : []),
    ...(parsed.kind.input === 'text' ? ["if it takes fewer tokens than 'preprocess.maxLength', lower that"] : []),
  ];
  return new RosettaError(
    'MODEL_INVALID',
    `${parsed.file}: ONNX Runtime failed to run ${parsed.onnxPath} on a batch of ${count}: ${said}` +
      (hints.length > 0 ? ` (${hints.join('; ')})` : ''),
    { cause: err },
  );
}

function mediaRunner(
  media: MediaPipeline,
  infer: ReturnType<typeof inferrer>,
  parsed: ParsedManifest,
  phase: Phase,
): (prepared: Float32Array[]) => Promise<Float32Array[]> {
  const [name] = Object.keys(parsed.manifest.inputs);
  const per = media.dims(1).reduce((a, b) => a * b, 1);
  return async (prepared) => {
    prepared.forEach((t, i) => {
      if (t.length !== per) {
        throw new RosettaError('INVALID_ARGUMENT', `prepared item ${i} has ${t.length} values; ${parsed.manifest.name} takes ${per}`);
      }
    });
    return infer(prepared.length, (start, end) => {
      const stacked = new Float32Array(per * (end - start));
      for (let i = start; i < end; i++) stacked.set(prepared[i], (i - start) * per);
      return { [name]: { data: stacked, dims: media.dims(end - start) } };
    }, phase);
  };
}

function tokenFeeds(batch: TokenBatch, start: number, end: number, manifest: ExternalManifest): Feeds {
  const length = batch.dims[1];
  const slice = (a: TokenBatch['ids']) => a.subarray(start * length, end * length);
  const byRole: Partial<Record<InputRole, TokenBatch['ids']>> = {
    tokens: slice(batch.ids),
    mask: slice(batch.mask),
    'token-types': slice(batch.types),
  };
  const feeds: Feeds = {};
  for (const [name, role] of Object.entries(manifest.inputs)) {
    feeds[name] = { data: byRole[role as InputRole]!, dims: [end - start, length] };
  }
  return feeds;
}

/** The load-time run: any failure there means the export does not fit its manifest. */
async function checked(parsed: ParsedManifest, probe: () => Promise<unknown>): Promise<void> {
  try {
    await probe();
  } catch (err) {
    if (err instanceof RosettaError) throw err;
    throw new RosettaError(
      'MODEL_INVALID',
      `${parsed.file}: a test run of ${parsed.onnxPath} failed (check input types and 'preprocess'): ${(err as Error).message}`,
      { cause: err },
    );
  }
}
