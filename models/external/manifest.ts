// The encoder manifest: one JSON file per external model, validated in one pass so that a user
// sees every bad key of a file in a single message.
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { RosettaError } from '../errors.ts';
import { modalities, type Modality } from '../types.ts';
import { inputRoles, type RecipeKind } from './pipeline.ts';
import { findRecipeKind, knownKinds } from './registry.ts';

/** Manifests are found by this suffix: `models/clip-visual.encoder.json`. */
export const manifestSuffix = '.encoder.json';

export const manifestSchema = z.strictObject({
  /** How config and `rosetta models list` name the encoder; part of the stored identity. */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'use letters, digits, ".", "_" and "-"'),
  version: z.string().min(1),
  modality: z.enum(modalities as [Modality, ...Modality[]]),
  /** The ONNX file, relative to the manifest. */
  onnx: z.string().min(1),
  /** ONNX input name -> what it is fed: `{pixel_values: 'image'}`, `{input_ids: 'tokens', attention_mask: 'mask'}`. */
  inputs: z.record(z.string().min(1), z.enum(inputRoles as [string, ...string[]])),
  /** The ONNX output holding the [batch, dim] embeddings. */
  output: z.string().min(1),
  dim: z.int().positive().max(65_536),
  /** Whether rows are scaled to unit L2 length after inference. */
  normalize: z.boolean(),
  /** Largest batch one inference call gets; 1 for exports with a fixed batch axis. */
  maxBatch: z.int().positive().max(4096).default(16),
  /** The preprocessing recipe; its fields depend on `kind` (see the registry). */
  preprocess: z.looseObject({ kind: z.string().min(1) }),
});

export type ExternalManifest = z.infer<typeof manifestSchema>;

/** A validated manifest with its paths resolved. */
export interface ParsedManifest {
  /** Absolute path of the manifest file. */
  file: string;
  manifest: ExternalManifest;
  /** The `preprocess` block as the recipe kind's schema parsed it (defaults filled in). */
  recipe: unknown;
  kind: RecipeKind;
  onnxPath: string;
  /** Every file the encoder needs: manifest, ONNX, and the recipe's own (a tokenizer). */
  files: string[];
}

/**
 * Validates a parsed JSON manifest. Throws one MODEL_INVALID naming `file` and every bad key.
 *
 * @example
 * parseManifest('/models/clip.encoder.json', json).onnxPath // '/models/clip/visual.onnx'
 */
export function parseManifest(file: string, raw: unknown): ParsedManifest {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new RosettaError('MODEL_INVALID', `encoder manifest ${file} must be a JSON object`);
  }
  const problems: string[] = [];
  const base = manifestSchema.safeParse(raw, { reportInput: true });
  if (!base.success) problems.push(...base.error.issues.map((i) => describeIssue(i, [])));

  // The recipe is checked even when other keys are bad, so that one run reports everything.
  const obj = raw as Record<string, unknown>;
  const modality = modalities.find((m) => m === obj.modality);
  const pre = obj.preprocess as { kind?: unknown } | undefined;
  const kindName = typeof pre === 'object' && pre !== null && typeof pre.kind === 'string' ? pre.kind : undefined;
  let kind: RecipeKind | undefined;
  let recipe: unknown;
  if (modality && kindName !== undefined) {
    kind = findRecipeKind(modality, kindName);
    if (!kind) {
      problems.push(
        `preprocess.kind: no ${modality} preprocessing of kind '${kindName}' (known: ${knownKinds(modality).join(', ')})`,
      );
    } else {
      const parsed = kind.schema.safeParse(pre, { reportInput: true });
      if (parsed.success) recipe = parsed.data;
      else problems.push(...parsed.error.issues.map((i) => describeIssue(i, ['preprocess'])));
      problems.push(...checkRoles(obj.inputs, kind, modality));
    }
  }
  if (problems.length > 0 || !base.success || !kind) {
    throw new RosettaError('MODEL_INVALID', `invalid encoder manifest ${file}: ${problems.join('; ')}`);
  }
  const dir = dirname(file);
  const manifest = base.data;
  const onnxPath = resolve(dir, manifest.onnx);
  return {
    file,
    manifest,
    recipe,
    kind,
    onnxPath,
    files: [file, onnxPath, ...kind.files(recipe).map((f) => resolve(dir, f))],
  };
}

/** Reads and validates a manifest file. */
export async function readManifest(file: string): Promise<ParsedManifest> {
  return parseManifest(file, await readManifestJson(file));
}

/** The manifest's JSON, unvalidated (for listing a broken manifest by whatever name it has). */
export async function readManifestJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new RosettaError('MODEL_NOT_READY', `cannot read encoder manifest ${file}`, { cause: err });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new RosettaError('MODEL_INVALID', `encoder manifest ${file} is not valid JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

function checkRoles(inputs: unknown, kind: RecipeKind, modality: Modality): string[] {
  if (typeof inputs !== 'object' || inputs === null) return [];
  const allowed = [kind.required, ...kind.optional];
  const problems: string[] = [];
  const entries = Object.entries(inputs as Record<string, unknown>);
  for (const [name, role] of entries) {
    if (typeof role === 'string' && (inputRoles as readonly string[]).includes(role) && !allowed.includes(role as never)) {
      problems.push(`inputs.${name}: role '${role}' is not one a ${modality} model takes (use: ${allowed.join(', ')})`);
    }
  }
  const main = entries.filter(([, role]) => role === kind.required).length;
  if (main !== 1) problems.push(`inputs: needs exactly one input with role '${kind.required}' (found ${main})`);
  return problems;
}

function describeIssue(issue: z.core.$ZodIssue, prefix: PropertyKey[]): string {
  const path = [...prefix, ...issue.path].map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => `${path ? `${path}.` : ''}${k}: unknown key`).join('; ');
  }
  const where = path || '(manifest)';
  if (issue.code === 'invalid_type' && issue.input === undefined) return `${where}: missing (${issue.expected})`;
  // A cross-field check reads as a sentence about the key: "preprocess.fMin (6000) must be below ...".
  if (issue.code === 'custom' && (issue.params as { inline?: boolean } | undefined)?.inline) return `${where} ${issue.message}`;
  return `${where}: ${issue.message}`;
}
