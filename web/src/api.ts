/**
 * The JSON API as the page uses it. Shapes come from the server's zod schemas (types only, so
 * zod is not bundled); files travel as multipart so they are not inflated by base64.
 */
import type { ErrorBody, Info, SearchRequestInput, SearchResponse } from '../../server/api/schemas.ts';

export type { Info, SearchResponse };
export type SearchResult = SearchResponse['results'][number];
export type ItemModality = SearchResult['modality'];

/** A search as the UI builds it: like SearchRequest, but image and audio are the user's files. */
export type Query = Omit<SearchRequestInput, 'image' | 'audio' | 'k' | 'offset' | 'modalities'> & {
  image?: Blob;
  audio?: Blob;
};

export interface Page {
  k: number;
  offset: number;
  modalities?: ItemModality[];
}

/** A failed request: `code` is the server's stable code, or NETWORK / HTTP_<status> when it gave none. */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  /** Seconds the server asked to wait before trying again (Retry-After), when it said. */
  readonly retryAfter: number | undefined;

  constructor(code: string, message: string, status: number, retryAfter?: number) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

export const isAbort = (err: unknown): boolean => err instanceof DOMException && err.name === 'AbortError';

function fileName(blob: Blob, field: string): string {
  if (blob instanceof File && blob.name) return blob.name;
  const ext = blob.type.split('/')[1]?.replace(/^x-/, '') ?? 'bin';
  return `${field}.${ext}`;
}

function requestBody(query: Query, page: Page): { body: string | FormData; headers: Record<string, string> } {
  const full = { ...query, ...page };
  if (!(query.image instanceof Blob) && !(query.audio instanceof Blob)) {
    return { body: JSON.stringify(full), headers: { 'content-type': 'application/json' } };
  }
  const form = new FormData();
  for (const [key, value] of Object.entries(full)) {
    if (value === undefined) continue;
    if (value instanceof Blob) form.append(key, value, fileName(value, key));
    else if (Array.isArray(value)) for (const v of value) form.append(key, String(v));
    else if (typeof value === 'object') form.append(key, JSON.stringify(value));
    else form.append(key, String(value));
  }
  return { body: form, headers: {} };
}

async function call<T>(url: string, init: RequestInit): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, headers: { accept: 'application/json', ...init.headers } });
  } catch (err) {
    if (isAbort(err)) throw err;
    throw new ApiError('NETWORK', `Could not reach the server (${err instanceof Error ? err.message : String(err)}).`, 0);
  }
  if (res.ok) return (await res.json()) as T;
  let body: Partial<ErrorBody> | undefined;
  try {
    body = (await res.json()) as Partial<ErrorBody>;
  } catch {
    // Not JSON (a proxy's error page, say): fall back to the status line.
  }
  const retry = Number(res.headers.get('retry-after') ?? NaN);
  const retryAfter = Number.isFinite(retry) && retry >= 0 ? retry : undefined;
  if (body?.error?.message) throw new ApiError(body.error.code ?? `HTTP_${res.status}`, body.error.message, res.status, retryAfter);
  throw new ApiError(`HTTP_${res.status}`, `The server answered ${res.status} ${res.statusText}.`.replace(' .', '.'), res.status, retryAfter);
}

export function search(query: Query, page: Page, signal?: AbortSignal): Promise<SearchResponse> {
  const { body, headers } = requestBody(query, page);
  return call<SearchResponse>('api/search', { method: 'POST', body, headers, signal });
}

export function getInfo(signal?: AbortSignal): Promise<Info> {
  return call<Info>('api/info', { signal });
}
