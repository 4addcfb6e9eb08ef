/**
 * The OpenAPI 3.1 document, generated from the same zod schemas the routes validate with
 * (JSON Schema 2020-12 is OpenAPI 3.1's schema dialect, so zod's output needs no translation).
 */
import { z } from 'zod';
import {
  errorSchema,
  healthSchema,
  infoSchema,
  itemSchema,
  newItemFieldsSchema,
  searchFieldsSchema,
  searchRequestSchema,
  searchResponseSchema,
} from './schemas.ts';

type Json = Record<string, unknown>;

/**
 * A schema's JSON Schema for use inside the document. zod writes a schema that has an id (a
 * `.meta({ id })`) as a $ref into its own $defs, but in an OpenAPI document "#" is the document,
 * so every named schema becomes a component instead: the root is unwrapped, nested named
 * schemas go into `components`, and their refs point there.
 */
function schema(s: z.ZodType, io: 'input' | 'output', components: Record<string, Json>): Json {
  const out = z.toJSONSchema(s, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
  delete out.$schema;
  const defs = { ...((out.$defs as Record<string, Json> | undefined) ?? {}) };
  delete out.$defs;
  let root = out;
  const own = typeof out.$ref === 'string' ? /^#\/\$defs\/(.+)$/.exec(out.$ref)?.[1] : undefined;
  if (own !== undefined && defs[own] && Object.keys(out).length === 1) {
    root = defs[own];
    delete defs[own];
  }
  for (const [id, def] of Object.entries(defs)) components[id] = toComponentRefs(def);
  return toComponentRefs(root);
}

function toComponentRefs(value: Json): Json {
  return JSON.parse(JSON.stringify(value).replaceAll('"#/$defs/', '"#/components/schemas/')) as Json;
}

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
const idParam = { name: 'id', in: 'path', required: true, description: 'The item id', schema: { type: 'integer', minimum: 1 } };
const binary = { type: 'string', contentMediaType: 'application/octet-stream' };

function multipartSearch(components: Record<string, Json>) {
  const fields = schema(searchFieldsSchema.omit({ image: true, sketch: true, audio: true }), 'input', components) as { properties: Json };
  return {
    type: 'object',
    properties: {
      ...fields.properties,
      image: { ...binary, description: 'An image file (query by example, or the base of a composed query)' },
      sketch: { ...binary, description: 'A drawing: dark strokes on a light background' },
      audio: { ...binary, description: 'A WAV, OGG, MP3 or FLAC clip' },
      weights: { type: 'string', description: 'JSON object, as in the JSON body' },
      filter: { type: 'string', description: 'JSON object, as in the JSON body' },
      modalities: { type: 'string', description: 'image, audio, or both (repeat the field or comma-separate)' },
    },
  };
}

/** @example buildOpenApi().paths['/api/search'].post.requestBody */
export function buildOpenApi(): Json {
  // Named schemas met inside others (SearchResult in SearchResponse) land here too.
  const components: Record<string, Json> = {};
  const named = {
    SearchRequest: schema(searchRequestSchema, 'input', components),
    SearchResponse: schema(searchResponseSchema, 'output', components),
    Item: schema(itemSchema, 'output', components),
    Info: schema(infoSchema, 'output', components),
    Health: schema(healthSchema, 'output', components),
    Error: schema(errorSchema, 'output', components),
  };
  const newItemFields = schema(newItemFieldsSchema, 'input', components) as { properties: Json };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Rosetta',
      version: '0.1.0',
      description: 'Cross-modal search: text, images, sketches and audio in one shared space. Errors are {error: {code, message}} with a 4xx status for the client\'s mistakes.',
    },
    paths: {
      '/api/health': {
        get: {
          summary: 'Whether the collection and the encoders are loaded',
          responses: {
            '200': { description: 'Ready', content: { 'application/json': { schema: { $ref: '#/components/schemas/Health' } } } },
            '503': { description: 'Still loading (or failed to load)', content: { 'application/json': { schema: { $ref: '#/components/schemas/Health' } } } },
          },
        },
      },
      '/api/info': {
        get: {
          summary: 'The collection, its space, the tuned defaults and the credits of its data',
          responses: { '200': { description: 'Info', content: { 'application/json': { schema: { $ref: '#/components/schemas/Info' } } } }, '503': errorResponse('Still loading') },
        },
      },
      '/api/search': {
        post: {
          summary: 'Search by text, image, sketch, audio, an item (more like this), or a combination',
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: { $ref: '#/components/schemas/SearchRequest' } },
              'multipart/form-data': { schema: multipartSearch(components) },
            },
          },
          responses: {
            '200': { description: 'Ranked results', content: { 'application/json': { schema: { $ref: '#/components/schemas/SearchResponse' } } } },
            '400': errorResponse('Malformed JSON, a wrong type, an unknown field, an empty query or k out of range'),
            '404': errorResponse('itemId names no item'),
            '413': errorResponse('The body (a whole multipart form) is over the size limit'),
            '415': errorResponse('Unsupported media, or a data URL whose type does not match its bytes'),
            '422': errorResponse('Media that cannot be decoded'),
            '503': errorResponse('Still loading'),
          },
        },
      },
      '/api/items': {
        post: {
          summary: 'Add one image or audio file (searchable when the call returns)',
          security: [{ bearer: [] }, {}],
          requestBody: {
            required: true,
            content: {
              'multipart/form-data': {
                schema: { type: 'object', required: ['file'], properties: { file: binary, ...newItemFields.properties }, additionalProperties: false },
              },
            },
          },
          responses: {
            '201': { description: 'Added', content: { 'application/json': { schema: { type: 'object', properties: { status: { type: 'string' }, item: { $ref: '#/components/schemas/Item' } } } } } },
            '200': { description: 'Already in the collection (unchanged or a duplicate of another item)', content: { 'application/json': { schema: { type: 'object', properties: { status: { type: 'string' }, item: { $ref: '#/components/schemas/Item' } } } } } },
            '400': errorResponse('A missing file or a bad field'),
            '401': errorResponse('ROSETTA_API_KEY is set and the bearer key is missing or wrong'),
            '413': errorResponse('The body is over the size limit'),
            '415': errorResponse('Not a supported image or audio file'),
            '422': errorResponse('A file that cannot be decoded'),
            '503': errorResponse('Still loading'),
          },
        },
      },
      '/api/items/{id}': {
        get: {
          summary: 'One item',
          parameters: [idParam],
          responses: {
            '200': { description: 'The item', content: { 'application/json': { schema: { $ref: '#/components/schemas/Item' } } } },
            '400': errorResponse('Not an id'),
            '404': errorResponse('No such item'),
            '503': errorResponse('Still loading'),
          },
        },
        delete: {
          summary: 'Remove an item from the collection (and its file, for uploads)',
          security: [{ bearer: [] }, {}],
          parameters: [idParam],
          responses: {
            '200': { description: 'Deleted', content: { 'application/json': { schema: { type: 'object', properties: { deleted: { type: 'integer' } } } } } },
            '400': errorResponse('Not an id'),
            '401': errorResponse('Missing or wrong API key'),
            '404': errorResponse('No such item'),
            '503': errorResponse('Still loading'),
          },
        },
      },
      '/api/items/{id}/content': {
        get: {
          summary: 'The item\'s original file',
          parameters: [idParam],
          responses: {
            '200': { description: 'The file, with its media type, sandboxed (Content-Security-Policy: sandbox)', content: { 'image/*': { schema: binary }, 'audio/*': { schema: binary } } },
            '400': errorResponse('Not an id'),
            '404': errorResponse('No such item, or its file is gone'),
            '503': errorResponse('Still loading'),
          },
        },
      },
      '/api/items/{id}/thumbnail': {
        get: {
          summary: 'A WebP thumbnail (images only), long side 256 px',
          parameters: [idParam],
          responses: {
            '200': { description: 'WebP', content: { 'image/webp': { schema: binary } } },
            '400': errorResponse('Not an id'),
            '404': errorResponse('No such item, or it has no thumbnail'),
            '503': errorResponse('Still loading'),
          },
        },
      },
      '/api/openapi.json': { get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1' } } } },
      '/metrics': { get: { summary: 'Prometheus metrics', responses: { '200': { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Required on write routes when ROSETTA_API_KEY is set' } },
      schemas: { ...components, ...named },
    },
  };
}
