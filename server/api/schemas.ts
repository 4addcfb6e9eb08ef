/**
 * The JSON API's request and response shapes. One zod schema per shape is both the validator
 * of the routes and the source of the OpenAPI document (openapi.ts), so the two cannot drift.
 */
import { z } from 'zod';

export const MAX_K = 1000;
export const MAX_OFFSET = 10_000;
export const MAX_TEXT_CHARS = 1000;

export const itemModalitySchema = z.enum(['image', 'audio']).meta({ description: 'What an item is' });

/** A `data:<mime>;base64,<bytes>` URL: images, sketches and audio in a JSON body. */
export const dataUrlSchema = z
  .string()
  // RFC 2397: the ";base64" token is case-insensitive, like the media type before it.
  .regex(/^data:[\w.+-]+\/[\w.+-]+(;[\w-]+=[^;,]*)*;base64,/i, 'must be a data URL: data:<mime type>;base64,<bytes>')
  .meta({ description: 'A data URL (data:<mime type>;base64,<bytes>); the declared type must match the bytes' });

const queryText = z.string().trim().min(1, 'must not be empty').max(MAX_TEXT_CHARS, `must be at most ${MAX_TEXT_CHARS} characters`);

export const weightsSchema = z
  .strictObject({
    text: z.number().min(0).max(10).optional(),
    image: z.number().min(0).max(10).optional(),
    sketch: z.number().min(0).max(10).optional(),
    audio: z.number().min(0).max(10).optional(),
    negativeText: z.number().min(0).max(10).optional(),
  })
  .meta({
    description:
      'Weight of each part of a combined query in the shared space. Composed image + text defaults to the tuned ' +
      'balance (see GET /api/info, composedTextWeight); other combinations default to equal weights.',
  });

export const filterSchema = z
  .strictObject({
    captioned: z.boolean().optional().meta({ description: 'Only items with (true) or without (false) a caption' }),
    externalIdPrefix: z.string().min(1).max(500).optional().meta({ description: 'Only items whose external id starts with this' }),
  })
  .meta({ description: 'Restricts which items may be returned' });

/** The fields a search request may carry; at least one of text, image, sketch, audio, itemId. */
export const searchFieldsSchema = z.strictObject({
    text: queryText.optional().meta({ description: 'Words to search for, or what to change in `image` (composed search)' }),
    image: dataUrlSchema.optional(),
    sketch: dataUrlSchema.optional(),
    audio: dataUrlSchema.optional(),
    itemId: z.union([z.int().min(1), z.string().min(1).max(500)]).optional().meta({ description: 'More like this item: its numeric id, or its external id' }),
    negativeText: queryText.optional().meta({ description: 'What the results should not be: subtracted in the shared space' }),
    weights: weightsSchema.optional(),
    k: z.int().min(1).max(MAX_K).default(20).meta({ description: `Results per page, 1..${MAX_K}` }),
    offset: z.int().min(0).max(MAX_OFFSET).default(0).meta({ description: 'Results to skip (paging)' }),
    modalities: z.array(itemModalitySchema).min(1).max(2).optional().meta({ description: 'Only items of these modalities' }),
    filter: filterSchema.optional(),
  hybrid: z.boolean().default(true).meta({ description: 'Fuse keyword (FTS5) matches on captions with the vector ranking, for text-only queries' }),
});

/** Said, as INVALID_ARGUMENT, of a search with nothing to search for (JSON or multipart). */
export const EMPTY_QUERY_MESSAGE = 'the query is empty: give at least one of text, image, sketch, audio or itemId';

/** Whether a search names anything to search for. */
export function hasQueryPart(q: { text?: unknown; image?: unknown; sketch?: unknown; audio?: unknown; itemId?: unknown }): boolean {
  return [q.text, q.image, q.sketch, q.audio, q.itemId].some((v) => v !== undefined);
}

export const searchRequestSchema = searchFieldsSchema
  .refine(hasQueryPart, { message: EMPTY_QUERY_MESSAGE })
  .meta({ id: 'SearchRequest' });

export type SearchRequest = z.infer<typeof searchRequestSchema>;
export type SearchRequestInput = z.input<typeof searchRequestSchema>;

export const queryTypes = ['text', 'image', 'sketch', 'audio', 'composed', 'item', 'mixed'] as const;
export type QueryType = (typeof queryTypes)[number];

export const searchResultSchema = z
  .object({
    id: z.int(),
    externalId: z.string(),
    modality: itemModalitySchema,
    score: z.number().meta({ description: 'Cosine similarity in the shared space, or the fused score with hybrid ranking' }),
    caption: z.string().nullable(),
    thumbnailUrl: z.string().nullable(),
    contentUrl: z.string(),
  })
  .meta({ id: 'SearchResult' });

export const searchResponseSchema = z
  .object({
    results: z.array(searchResultSchema),
    took_ms: z.number(),
    queryType: z.enum(queryTypes),
    hybrid: z.boolean().meta({ description: 'Whether keyword matches were fused in' }),
    offset: z.int(),
    k: z.int(),
    space: z.string().meta({ description: 'Version of the shared space that answered' }),
  })
  .meta({ id: 'SearchResponse' });

export type SearchResult = z.infer<typeof searchResultSchema>;
export type SearchResponse = z.infer<typeof searchResponseSchema>;

export const itemSchema = z
  .object({
    id: z.int(),
    externalId: z.string(),
    modality: itemModalitySchema,
    caption: z.string().nullable(),
    captions: z.array(z.object({ text: z.string(), source: z.enum(['manifest', 'sidecar', 'user']) })),
    mime: z.string(),
    width: z.int().nullable(),
    height: z.int().nullable(),
    duration: z.number().nullable(),
    createdAt: z.string(),
    indexed: z.boolean(),
    thumbnailUrl: z.string().nullable(),
    contentUrl: z.string(),
  })
  .meta({ id: 'Item' });

export type ItemView = z.infer<typeof itemSchema>;

/** The non-file fields of `POST /api/items` (multipart). */
export const newItemFieldsSchema = z
  .strictObject({
    caption: z.string().trim().min(1).max(MAX_TEXT_CHARS).optional(),
    externalId: z.string().trim().min(1).max(500).optional().meta({ description: 'Default: upload/<sha256 of the file>' }),
  })
  .meta({ id: 'NewItemFields' });

export const creditSchema = z.object({
  name: z.string(),
  license: z.string(),
  url: z.string(),
  licenseUrl: z.string().optional(),
  text: z.string(),
});

export const infoSchema = z
  .object({
    name: z.literal('rosetta'),
    version: z.string(),
    space: z.object({ version: z.string(), dim: z.int(), modalities: z.array(z.enum(['image', 'sketch', 'audio', 'text'])) }),
    items: z.int(),
    byModality: z.object({ image: z.int(), audio: z.int() }),
    composedTextWeight: z.number(),
    maxUploadBytes: z.int(),
    credits: z.array(creditSchema),
  })
  .meta({ id: 'Info' });

export type Info = z.infer<typeof infoSchema>;

export const healthSchema = z
  .object({
    status: z.enum(['ok', 'starting', 'failed']),
    items: z.int().optional(),
    space: z.string().optional(),
    message: z.string().optional(),
  })
  .meta({ id: 'Health' });

export const errorSchema = z
  .object({
    error: z.object({
      code: z.string().meta({ description: 'Stable error code, e.g. INVALID_ARGUMENT, NOT_FOUND, CORRUPT_MEDIA' }),
      message: z.string().meta({ description: 'What was wrong, naming the field or input' }),
      requestId: z.string().optional(),
    }),
  })
  .meta({ id: 'Error' });

export type ErrorBody = z.infer<typeof errorSchema>;
