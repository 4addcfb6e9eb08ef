import { RosettaError } from '../../models/errors.ts';

/**
 * A multipart form's text fields as the JSON search request would carry them: numbers,
 * booleans, lists and the two object fields (as JSON text) are converted; anything that does
 * not convert is passed on unchanged so the schema names it.
 *
 * @example searchFieldsFromMultipart({ text: 'cat', k: '5', modalities: 'image,audio' }) // { text: 'cat', k: 5, modalities: ['image', 'audio'] }
 */
export function searchFieldsFromMultipart(body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(body ?? {})) {
    const value = Array.isArray(raw) && key !== 'modalities' ? raw[raw.length - 1] : raw;
    switch (key) {
      case 'k':
      case 'offset':
        out[key] = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
        break;
      case 'itemId':
        out[key] = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
        break;
      case 'hybrid':
        out[key] = value === 'true' ? true : value === 'false' ? false : value;
        break;
      case 'modalities':
        out[key] = (Array.isArray(value) ? value : [value]).flatMap((v) => String(v).split(',')).map((v) => v.trim()).filter(Boolean);
        break;
      case 'weights':
      case 'filter':
        out[key] = parseJsonField(key, value);
        break;
      default:
        out[key] = value;
    }
  }
  return out;
}

function parseJsonField(key: string, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    throw new RosettaError('INVALID_ARGUMENT', `${key}: must be a JSON object in a multipart form, e.g. ${key === 'weights' ? '{"image":0.6,"text":0.4}' : '{"captioned":true}'}`);
  }
}
