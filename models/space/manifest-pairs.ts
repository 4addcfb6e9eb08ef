/**
 * Training pairs from a JSONL manifest: `{"path", "modality", "caption"}` lines (a captioned
 * image, sketch or audio clip) and `{"sketch", "image"}` lines (a drawing of a photo), encoded
 * with the encoders into a PairCorpus.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { RosettaError } from '../errors.ts';
import { identityKey, type Encoder, type Modality, type SparseRow } from '../types.ts';
import type { CaptionRow, DenseModality, PairCorpus } from './corpus.ts';
import { drawVariant, sketchVariant } from '../sketch/index.ts';
import { encodeFiles, fromDisk, type EncodeProgress, type SkippedFile } from './encode.ts';

const captionLine = z.object({ path: z.string().min(1), modality: z.enum(['image', 'audio', 'sketch']), caption: z.string().trim().min(1) });
const sketchLine = z.object({ sketch: z.string().min(1), image: z.string().min(1) });

export type PairLine = z.infer<typeof captionLine> | z.infer<typeof sketchLine>;

/**
 * Parses a pairs manifest; a malformed line fails the whole read, naming the file and line.
 *
 * @example
 * await readPairManifest('demo/pairs.jsonl')
 * // [{ path: 'images/1F600.png', modality: 'image', caption: 'grinning face — ...' }, { sketch: 'sketches/1F600.png', image: 'images/1F600.png' }, ...]
 */
export async function readPairManifest(file: string): Promise<PairLine[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new RosettaError(code === 'ENOENT' ? 'NOT_FOUND' : 'INVALID_ARGUMENT', `cannot read the pairs manifest ${file}: ${code ?? String(err)}`, { cause: err });
  }
  return parsePairLines(text, file);
}

export function parsePairLines(text: string, name: string): PairLine[] {
  const out: PairLine[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new RosettaError('INVALID_ARGUMENT', `${name}:${i + 1} is not JSON`);
    }
    const isSketch = typeof value === 'object' && value !== null && 'sketch' in value;
    const parsed = (isSketch ? sketchLine : captionLine).safeParse(value);
    if (!parsed.success) {
      const problem = parsed.error.issues.map((p) => `${p.path.join('.') || 'line'}: ${p.message}`).join('; ');
      throw new RosettaError(
        'INVALID_ARGUMENT',
        `${name}:${i + 1} is neither {"path","modality","caption"} nor {"sketch","image"} (${problem})`,
      );
    }
    out.push(parsed.data);
  });
  if (out.length === 0) throw new RosettaError('EMPTY_INPUT', `${name} has no pair lines`);
  return out;
}

export interface PairEncoders {
  text: Encoder;
  image?: Encoder;
  sketch?: Encoder;
  audio?: Encoder;
}

export interface EncodeReport {
  /** Distinct files and captions asked for, and those that could not be used. */
  files: number;
  captions: number;
  skipped: SkippedFile[];
  /** Pair lines dropped because a file or caption of theirs was skipped. */
  droppedPairs: number;
  /** Drawn variants of sketches encoded for Stage 2 (with `sketchVariants`). */
  sketchVariants?: number;
  ms: number;
}

/**
 * Encodes each distinct file and caption of the lines once and assembles the corpus. Paths
 * are relative to `root`.
 *
 * @example
 * const { corpus, report } = await encodePairLines(lines, { root: 'demo', encoders });
 * report // { files: 7574, captions: 5400, skipped: [], droppedPairs: 0, ms: 61234 }
 */
export async function encodePairLines(
  lines: readonly PairLine[],
  options: {
    root: string;
    encoders: PairEncoders;
    batchSize?: number;
    cacheDir?: string;
    onProgress?: (p: EncodeProgress) => void;
    /** Drawn variants of each sketch of a sketch-image line, for Stage 2 (see models/sketch/variants.ts). Default 0. */
    sketchVariants?: number;
  },
): Promise<{ corpus: PairCorpus; report: EncodeReport }> {
  const started = performance.now();
  const { encoders } = options;
  const variantCount = options.sketchVariants ?? 0;
  if (!Number.isInteger(variantCount) || variantCount < 0) throw new RosettaError('INVALID_ARGUMENT', `sketchVariants must be a non-negative integer; got ${variantCount}`);
  const wanted: Record<DenseModality, Set<string>> = { image: new Set(), sketch: new Set(), audio: new Set() };
  const texts = new Set<string>();
  for (const line of lines) {
    if ('sketch' in line) {
      wanted.sketch.add(norm(line.sketch));
      wanted.image.add(norm(line.image));
    } else {
      wanted[line.modality].add(norm(line.path));
      texts.add(line.caption);
    }
  }
  const features: Record<DenseModality, Map<string, Float32Array>> = { image: new Map(), sketch: new Map(), audio: new Map() };
  const skipped: SkippedFile[] = [];
  const corpusEncoders: PairCorpus['encoders'] = {};
  for (const m of ['image', 'sketch', 'audio'] as const) {
    if (wanted[m].size === 0) continue;
    const encoder = encoders[m];
    if (!encoder) throw new RosettaError('INVALID_ARGUMENT', `the pairs need a ${m} encoder (${wanted[m].size} ${m} files)`);
    checkEncoder(encoder, m, 'dense');
    corpusEncoders[m] = { key: identityKey(encoder.identity), dim: encoder.dim };
    const files = [...wanted[m]].map((key) => ({ key, load: fromDisk(path.resolve(options.root, key)) }));
    const result = await encodeFiles(encoder, files, { batchSize: options.batchSize, cacheDir: options.cacheDir, onProgress: options.onProgress });
    features[m] = result.rows;
    skipped.push(...result.skipped);
  }
  const variants = await encodeSketchVariants(
    [...new Set(lines.flatMap((l) => ('sketch' in l && features.sketch.has(norm(l.sketch)) ? [norm(l.sketch)] : [])))],
    variantCount,
    { ...options, encoder: encoders.sketch },
  );
  checkEncoder(encoders.text, 'text', 'sparse');
  corpusEncoders.text = { key: identityKey(encoders.text.identity), dim: encoders.text.dim };
  const captionRows = await encodeCaptions(encoders.text, [...texts], skipped);

  const captions: CaptionRow[] = [];
  const captionIndex = new Map<string, number>();
  const captionOf = (text: string): number | undefined => {
    const row = captionRows.get(text);
    if (!row) return undefined;
    let i = captionIndex.get(text);
    if (i === undefined) {
      i = captions.length;
      captions.push({ text, row });
      captionIndex.set(text, i);
    }
    return i;
  };
  const corpus: PairCorpus = { encoders: corpusEncoders, captions, captioned: {} };
  let dropped = 0;
  for (const line of lines) {
    if ('sketch' in line) {
      const [s, i] = [norm(line.sketch), norm(line.image)];
      const [fs, fi] = [features.sketch.get(s), features.image.get(i)];
      if (!fs || !fi) {
        dropped++;
        continue;
      }
      const si = (corpus.sketchImage ??= { sketch: [], image: [], sketchSource: [], imageSource: [], ...(variants ? { variants: [] } : {}) });
      si.sketch.push(fs);
      si.image.push(fi);
      si.sketchSource.push(s);
      si.imageSource.push(i);
      si.variants?.push(variants!.get(s) ?? []);
      continue;
    }
    const key = norm(line.path);
    const f = features[line.modality].get(key);
    const c = captionOf(line.caption);
    if (!f || c === undefined) {
      dropped++;
      continue;
    }
    const rows = (corpus.captioned[line.modality] ??= { features: [], caption: [], source: [] });
    rows.features.push(f);
    rows.caption.push(c);
    rows.source.push(key);
  }
  const files = wanted.image.size + wanted.sketch.size + wanted.audio.size;
  const sketchVariants = variants ? [...variants.values()].reduce((n, rows) => n + rows.length, 0) : 0;
  return { corpus, report: { files, captions: texts.size, skipped, droppedPairs: dropped, ...(variants ? { sketchVariants } : {}), ms: Math.round(performance.now() - started) } };
}

/**
 * `count` drawn variants of each sketch, encoded, by the sketch's key; undefined for none. A
 * variant that cannot be drawn or encoded is left out: its drawing was read and encoded, so the
 * cause is not the file, and the pair keeps its other variants.
 */
async function encodeSketchVariants(
  sketches: readonly string[],
  count: number,
  options: { root: string; encoder?: Encoder; batchSize?: number; cacheDir?: string; onProgress?: (p: EncodeProgress) => void },
): Promise<Map<string, Float32Array[]> | undefined> {
  if (count === 0 || sketches.length === 0 || !options.encoder) return undefined;
  const variantKeys = (key: string) => Array.from({ length: count }, (_, k) => `${key}#variant${k}`);
  const files = sketches.flatMap((key) =>
    variantKeys(key).map((variant, k) => ({
      key: variant,
      load: async () => sketchVariant(await readFile(path.resolve(options.root, key)), drawVariant(key, k)),
    })),
  );
  const progress = options.onProgress;
  const { rows } = await encodeFiles(options.encoder, files, {
    batchSize: options.batchSize,
    cacheDir: options.cacheDir,
    ...(progress ? { onProgress: (p: EncodeProgress) => progress({ ...p, modality: 'sketch variants' }) } : {}),
  });
  return new Map(sketches.map((key) => [key, variantKeys(key).flatMap((variant) => rows.get(variant) ?? [])]));
}

/** Captions to sparse rows, in batches; a caption the encoder refuses (no words) is skipped. */
export async function encodeCaptions(text: Encoder, captions: readonly string[], skipped: SkippedFile[]): Promise<Map<string, SparseRow>> {
  const out = new Map<string, SparseRow>();
  const encode = (batch: string[]) => text.encode(batch as never) as Promise<SparseRow[]>;
  for (let start = 0; start < captions.length; start += 256) {
    const batch = captions.slice(start, start + 256);
    try {
      (await encode(batch)).forEach((row, i) => out.set(batch[i], row));
    } catch {
      for (const caption of batch) {
        try {
          out.set(caption, (await encode([caption]))[0]);
        } catch (err) {
          skipped.push({ path: `caption "${caption.slice(0, 60)}"`, code: (err as { code?: string }).code ?? 'INTERNAL', message: (err as Error).message });
        }
      }
    }
  }
  return out;
}

function checkEncoder(encoder: Encoder, modality: Modality, kind: 'dense' | 'sparse'): void {
  if (encoder.kind !== kind) {
    throw new RosettaError('INVALID_ARGUMENT', `the ${modality} encoder ${encoder.identity.name} gives ${encoder.kind} rows; training needs ${kind} rows`);
  }
}

/** Manifest paths as keys: forward slashes, no `./`, so the same file is one key. */
function norm(p: string): string {
  return path.posix.normalize(p.replaceAll('\\', '/'));
}
