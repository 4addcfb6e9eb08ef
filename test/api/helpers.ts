/**
 * Shared by the HTTP tests: a small demo collection built into a fresh temp directory, a
 * server on it with a free port and a silent logger, the demo's manifests, and the error
 * assertion every bad-input test makes.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { expect } from 'vitest';
import { buildDemoCollection, startServer, type RunningServer, type ServerOptions } from '../../server/index.ts';

export const root = path.resolve(import.meta.dirname, '../..');
export const modelsDir = path.join(root, 'models');
export const cacheDir = path.join(root, 'models/cache');

/** One line of `<dataDir>/demo/items.jsonl`; `meta.caption` is the caption even of items indexed without one. */
export interface DemoItem {
  id: string;
  path: string;
  modality: 'image' | 'audio';
  caption?: string;
  split: 'train' | 'eval';
  meta: {
    caption: string;
    captionless: boolean;
    family?: string;
    annotation?: string;
    sketch?: string;
    preset?: string;
    tags?: string[];
  };
}

/** One line of `<dataDir>/demo/composed.jsonl`. */
export interface DemoComposed {
  qid: string;
  image: string;
  text: string;
  relevant: string[];
  split: 'train' | 'eval';
}

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `rosetta-${prefix}-`));
}

/** Builds the small demo collection (about 15 s warm) into a new temp directory and returns it. */
export async function buildSmallDemo(prefix: string, models = modelsDir): Promise<string> {
  const dataDir = path.join(tempDir(prefix), 'collection');
  await buildDemoCollection({ dataDir, modelsDir: models, cacheDir, size: 'small' });
  return dataDir;
}

export async function serve(dataDir: string, options: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const server = await startServer({ dataDir, modelsDir, cacheDir, port: 0, logger: pino({ level: 'silent' }), watchSpace: false, ...options });
  await server.ready;
  return server;
}

/**
 * Removes the temp directory that tempDir() made around `dataDir` (its parent). Anything else is
 * refused: given a directory straight in the system temp folder, the parent is that folder.
 */
export function removeTemp(dataDir: string | undefined): void {
  if (!dataDir) return;
  const made = path.dirname(path.resolve(dataDir));
  if (path.dirname(made) !== path.resolve(os.tmpdir()) || !path.basename(made).startsWith('rosetta-')) {
    throw new Error(`removeTemp: ${dataDir} is not inside a directory made by tempDir(); not removing ${made}`);
  }
  rmSync(made, { recursive: true, force: true });
}

function jsonl<T>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);
}

export const demoItems = (dataDir: string): DemoItem[] => jsonl<DemoItem>(path.join(dataDir, 'demo/items.jsonl'));
export const demoComposed = (dataDir: string): DemoComposed[] => jsonl<DemoComposed>(path.join(dataDir, 'demo/composed.jsonl'));
export const demoFile = (dataDir: string, rel: string): Buffer => readFileSync(path.join(dataDir, 'demo', rel));

export function dataUrl(mime: string, bytes: Buffer): string {
  return `data:${mime};base64,${bytes.toString('base64')}`;
}

export interface Answer<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

async function answer<T>(res: Response): Promise<Answer<T>> {
  const text = await res.text();
  let body: unknown = text;
  if ((res.headers.get('content-type') ?? '').includes('json')) body = JSON.parse(text);
  return { status: res.status, headers: res.headers, body: body as T };
}

/** POST /api/search with a JSON body (a string is sent as is, for malformed bodies). */
export async function search<T = SearchBody>(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer<T>> {
  const res = await fetch(`${url}/api/search`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return answer<T>(res);
}

export async function request<T = unknown>(url: string, route: string, init: RequestInit = {}): Promise<Answer<T>> {
  return answer<T>(await fetch(`${url}${route}`, init));
}

export interface SearchBody {
  results: { id: number; externalId: string; modality: 'image' | 'audio'; score: number; caption: string | null; thumbnailUrl: string | null; contentUrl: string }[];
  took_ms: number;
  queryType: string;
  hybrid: boolean;
  offset: number;
  k: number;
  space: string;
}

/** A successful search's results, failing with the server's error message otherwise. */
export async function results(url: string, body: unknown): Promise<SearchBody> {
  const r = await search(url, body);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

/** The rank (0-based) of `externalId` in the results, or -1. */
export function rankOf(body: SearchBody, externalId: string): number {
  return body.results.findIndex((r) => r.externalId === externalId);
}

/** A client mistake: the given 4xx status and `{error: {code, message}}` with the given code. */
export function expectClientError(r: Answer, status: number, code: string | RegExp): void {
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  expect(r.status).toBeGreaterThanOrEqual(400);
  expect(r.status).toBeLessThan(500);
  const body = r.body as { error?: { code?: unknown; message?: unknown } };
  expect(body.error, `not an error body: ${JSON.stringify(r.body)}`).toBeTypeOf('object');
  if (typeof code === 'string') expect(body.error!.code).toBe(code);
  else expect(body.error!.code).toMatch(code);
  expect(body.error!.message).toBeTypeOf('string');
  expect((body.error!.message as string).length).toBeGreaterThan(5);
}

/** A multipart form with `files` ({field: [bytes, filename, type]}) and text `fields`. */
export function form(files: Record<string, [Buffer, string, string?]>, fields: Record<string, string | string[]> = {}): FormData {
  const fd = new FormData();
  for (const [name, value] of Object.entries(fields)) for (const v of Array.isArray(value) ? value : [value]) fd.append(name, v);
  for (const [name, [bytes, filename, type]] of Object.entries(files)) fd.append(name, new Blob([bytes], type ? { type } : {}), filename);
  return fd;
}
