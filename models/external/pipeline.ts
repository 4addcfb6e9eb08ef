// The contract between a preprocessing recipe kind and the encoder that runs the model.
import type { z } from 'zod';
import type { MediaInput, Modality } from '../types.ts';

/** What a model input is fed with. A manifest maps each ONNX input name to one of these. */
export type InputRole = 'image' | 'audio' | 'tokens' | 'mask' | 'token-types';
export const inputRoles: readonly InputRole[] = ['image', 'audio', 'tokens', 'mask', 'token-types'];

/** Turns one file into one item of the model's input tensor; the step that can fail per file. */
export interface MediaPipeline {
  prepare(input: MediaInput): Promise<Float32Array>;
  /** A valid input of the right shape (blank image, silence), for the load-time output check. */
  dummy(): Promise<Float32Array>;
  /** Tensor dims of a batch of `n` prepared items. */
  dims(n: number): number[];
}

export type IdArray = BigInt64Array | Int32Array;

/** A tokenized batch, row-major [n, length]. */
export interface TokenBatch {
  ids: IdArray;
  mask: IdArray;
  /** All zeros: single-segment input for models that take token_type_ids. */
  types: IdArray;
  dims: [number, number];
}

export interface TextPipeline {
  /** Rejects empty text with EMPTY_INPUT; truncates text longer than the recipe's maxLength. */
  tokenize(texts: string[]): TokenBatch;
}

interface KindBase<P> {
  /** Validates the manifest's `preprocess` block (its `kind` included). */
  schema: z.ZodType<P>;
  /** The role that must appear exactly once in `inputs`, and the others allowed. */
  required: InputRole;
  optional: readonly InputRole[];
  /** Extra files the recipe reads, relative to the manifest (a tokenizer). */
  files(recipe: P): string[];
}

export interface MediaKind<P> extends KindBase<P> {
  input: 'media';
  create(recipe: P, ctx: { baseDir: string; modality: Modality }): Promise<MediaPipeline>;
}

export interface TextKind<P> extends KindBase<P> {
  input: 'text';
  create(recipe: P, ctx: { baseDir: string; modality: Modality }): Promise<TextPipeline>;
}

/** One entry of the recipe registry. `P` is erased in the table; the schema guarantees it. */
export type RecipeKind<P = any> = MediaKind<P> | TextKind<P>;
