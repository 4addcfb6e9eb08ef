/**
 * End-to-end tests of the web UI: Debian's chromium, driven by playwright-core, against a live
 * `rosetta serve` on the small demo collection (built once for the file). Each test saves a
 * screenshot under test/artifacts/ and checks what the page shows.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ComposedQuery, DemoItem } from '../../data/demo/index.ts';
import type { RunningServer, SearchResponse } from '../../server/index.ts';
import { buildWeb } from '../../web/index.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ARTIFACTS = path.join(ROOT, 'test', 'artifacts');
const CHROMIUM = '/usr/bin/chromium';
const FIXTURES = path.join(ROOT, 'test', 'fixtures');
const WAIT_MS = 30_000;

let tmp: string;
let server: RunningServer;
let browser: Browser;
let mediaDir: string;
let items: DemoItem[];
let composed: ComposedQuery[];
let context: BrowserContext | undefined;
let pageErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install it with apt-get install chromium`);
  tmp = await mkdtemp(path.join(os.tmpdir(), 'rosetta-ui-'));
  await mkdir(ARTIFACTS, { recursive: true });
  const web = await buildWeb({ outDir: path.join(tmp, 'web') });
  const { startServer, buildDemoCollection, DEMO_MEDIA_DIR } = await import('../../server/index.ts');
  const dataDir = path.join(tmp, 'collection');
  const models = { modelsDir: path.join(ROOT, 'models'), cacheDir: path.join(ROOT, 'models', 'cache') };
  await buildDemoCollection({ dataDir, size: 'small', ...models });
  server = await startServer({ dataDir, ...models, port: 0, host: '127.0.0.1', webDir: web.outDir, watchSpace: false, logger: pino({ level: 'error' }) });
  await server.ready;
  mediaDir = path.join(dataDir, DEMO_MEDIA_DIR);
  items = jsonl<DemoItem>(await readFile(path.join(mediaDir, 'items.jsonl'), 'utf8'));
  composed = jsonl<ComposedQuery>(await readFile(path.join(mediaDir, 'composed.jsonl'), 'utf8'));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run',
      // A fake microphone (a beep) lets the recording path run for real; no permission prompt.
      '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
});

afterEach(async () => {
  await context?.close();
  context = undefined;
  const errors = pageErrors;
  pageErrors = [];
  expect(errors, 'uncaught errors in the page').toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const escapeRe = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function jsonl<T>(text: string): T[] {
  return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as T);
}

/** Opens the page at `query`; `before` runs on the page before it loads (to route requests, say). */
async function open(query = '', viewport = { width: 1280, height: 900 }, before?: (page: Page) => Promise<unknown>): Promise<Page> {
  context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await before?.(page);
  await page.goto(`${server.url}/${query}`);
  return page;
}

const cards = (page: Page) => page.locator('#results > li.card');

/** Waits until the status line says `re` (the search it names has answered). */
async function statusSays(page: Page, re: RegExp): Promise<string> {
  const status = page.locator('#status').filter({ hasText: re });
  await status.waitFor({ timeout: WAIT_MS });
  return (await status.textContent()) ?? '';
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `ui-${name}.png`), fullPage: true });
}

/** External ids of the result cards, in order (each card's title). */
async function shownIds(page: Page): Promise<string[]> {
  return (await cards(page).evaluateAll((lis) => lis.map((li) => li.getAttribute('title') ?? ''))) as string[];
}

function firstItem(modality: 'image' | 'audio', captioned = true): DemoItem {
  const item = items.find((i) => i.modality === modality && (i.caption !== undefined) === captioned);
  if (!item) throw new Error(`the small demo has no ${captioned ? 'captioned' : 'captionless'} ${modality}`);
  return item;
}

/** Draws a stroke across the sketch pad from (x0, y) to (x1, y), as fractions of its size. */
async function stroke(page: Page, x0: number, x1: number, y: number): Promise<void> {
  const box = (await page.locator('#sketch').boundingBox())!;
  await page.mouse.move(box.x + box.width * x0, box.y + box.height * y);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * x1, box.y + box.height * y, { steps: 10 });
  await page.mouse.up();
}

const idle = /Type words, drop or paste an image, draw a sketch/;

const searchResponse = (page: Page) => page.waitForResponse((r) => r.url().endsWith('/api/search') && r.request().method() === 'POST', { timeout: WAIT_MS });

describe('the search page', () => {
  it('searches as you type, puts the words in the URL, shows captions, scores and the credits', async () => {
    const page = await open();
    await statusSays(page, /to search 238 items \(150 images, 88 sounds\)/);
    const words = (firstItem('image').meta as { annotation: string }).annotation;
    await page.locator('#q').pressSequentially(words, { delay: 20 });
    await statusSays(page, new RegExp(`\\d+\\+? results? for “${escapeRe(words)}”`));
    expect(await cards(page).count()).toBeGreaterThan(0);
    expect(await page.locator('#results .caption').allTextContents()).toContainEqual(expect.stringContaining(words));
    // Hybrid text search: the scores are rank-fusion values, and the card says so.
    expect(await page.locator('#results .score').first().textContent()).toMatch(/^rank \d\.\d{3}$/);
    expect(new URL(page.url()).searchParams.get('q')).toBe(words);
    const footer = (await page.locator('footer').textContent()) ?? '';
    expect(footer).toContain('OpenMoji');
    expect(footer).toContain('CC BY-SA 4.0');
    await shot(page, 'text-search');

    // The URL is shareable: opening it runs the same search.
    const again = await context!.newPage();
    await again.goto(page.url());
    await statusSays(again, new RegExp(`results? for “${escapeRe(words)}”`));
    expect(await again.locator('#q').inputValue()).toBe(words);
    expect(await cards(again).count()).toBeGreaterThan(0);
  });

  it('filters by modality with the All / Images / Audio tabs and loads more', async () => {
    const sound = firstItem('audio');
    // The first tag of its caption ("… — coin, pickup, collect, reward").
    const word = sound.caption?.split(' — ')[1]?.split(',')[0]?.trim() ?? 'sound';
    const page = await open(`?q=${encodeURIComponent(word)}`);
    await statusSays(page, /results? for/);
    await page.getByRole('tab', { name: 'Audio', exact: true }).click();
    await statusSays(page, /results? for .* among sounds/);
    expect(new URL(page.url()).searchParams.get('show')).toBe('audio');
    const audio = await cards(page).count();
    expect(audio).toBeGreaterThan(0);
    expect(await page.locator('#results > li.card.image').count()).toBe(0);
    expect(await page.locator('#results > li.card.audio button.play').count()).toBe(audio);

    await page.getByRole('tab', { name: 'Images', exact: true }).click();
    // Not just /among images/: "Searching … among images…" shows while the audio cards are still up.
    await statusSays(page, /results? for .* among images/);
    expect(await page.locator('#results > li.card.audio').count()).toBe(0);
    const firstPage = await cards(page).count();
    expect(firstPage).toBe(24);
    await page.getByRole('button', { name: 'Load more', exact: true }).click();
    await statusSays(page, /\d+\+? results? for .* among images/);
    expect(await cards(page).count()).toBeGreaterThan(firstPage);
    await shot(page, 'tabs-load-more');
  });

  it('searches with a sketch drawn with mouse events, with undo, redo and the eraser', async () => {
    const page = await open();
    await page.getByRole('tab', { name: 'Sketch' }).click();
    const canvas = page.locator('#sketch');
    const box = (await canvas.boundingBox())!;
    const at = (fx: number, fy: number) => [box.x + box.width * fx, box.y + box.height * fy] as const;
    const sent = searchResponse(page);
    await page.mouse.move(...at(0.8, 0.5));
    await page.mouse.down();
    for (let i = 1; i <= 24; i++) {
      const a = (i / 24) * Math.PI * 2;
      await page.mouse.move(...at(0.5 + 0.3 * Math.cos(a), 0.5 + 0.3 * Math.sin(a)), { steps: 3 });
    }
    await page.mouse.up();
    const request = JSON.parse((await sent).request().postData() ?? '{}') as { sketch?: string };
    expect(request.sketch).toMatch(/^data:image\/png;base64,/);
    await statusSays(page, /\d+\+? results? like your sketch/);
    expect(await cards(page).count()).toBeGreaterThan(0);
    expect(await page.locator('#results .score').first().textContent()).toMatch(/^similarity -?\d\.\d{3}$/);
    expect(await page.getByRole('button', { name: 'Undo', exact: true }).isEnabled()).toBe(true);
    await shot(page, 'sketch');

    await page.getByRole('button', { name: 'Undo', exact: true }).click();
    await statusSays(page, /Type words, drop or paste an image, draw a sketch/);
    expect(await cards(page).count()).toBe(0);
    await page.getByRole('button', { name: 'Redo', exact: true }).click();
    await statusSays(page, /results? like your sketch/);
    expect(await cards(page).count()).toBeGreaterThan(0);

    await page.getByRole('button', { name: 'Eraser', exact: true }).click();
    expect(await page.getByRole('button', { name: 'Eraser', exact: true }).getAttribute('aria-pressed')).toBe('true');
    expect(await page.getByRole('button', { name: 'Pen', exact: true }).getAttribute('aria-pressed')).toBe('false');
    await page.getByRole('button', { name: 'Clear', exact: true }).click();
    await statusSays(page, /Type words, drop or paste an image/);
    expect(await page.getByRole('button', { name: 'Clear', exact: true }).isDisabled()).toBe(true);
  });

  it('searches with an image chosen in the file picker and finds that image first', async () => {
    const image = firstItem('image');
    const page = await open();
    await page.getByRole('tab', { name: 'Image', exact: true }).click();
    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Choose an image…' }).click();
    await (await chooser).setFiles(path.join(mediaDir, image.path));
    await statusSays(page, /\d+\+? results? like your image/);
    expect(await cards(page).count()).toBeGreaterThan(0);
    expect((await shownIds(page)).slice(0, 3)).toContain(image.id);
    expect(await page.locator('#image-preview').isVisible()).toBe(true);
    expect(await page.locator('#image-name').textContent()).toContain(path.basename(image.path));
    await shot(page, 'image-upload');
  });

  it('runs a composed search: an image plus what to change, balanced by the slider', async () => {
    const query = composed[0];
    const page = await open();
    await page.getByRole('tab', { name: 'Image', exact: true }).click();
    await page.locator('#image-file').setInputFiles(path.join(mediaDir, query.image));
    await statusSays(page, /results? like your image/);
    const imageOnly = await shownIds(page);

    const info = (await (await page.request.get(`${server.url}/api/info`)).json()) as { composedTextWeight: number };
    expect(Number(await page.locator('#balance').inputValue())).toBe(Math.round(info.composedTextWeight * 100));
    await page.getByLabel('Balance between the image and the text').fill('60');
    expect(await page.locator('#balance-out').textContent()).toBe('Image weight 40%, text weight 60%');

    const answered = searchResponse(page);
    await page.getByLabel('What to change in the image').fill(query.text);
    const response = (await (await answered).json()) as SearchResponse;
    expect(response.queryType).toBe('composed');
    await statusSays(page, new RegExp(`results? for your image changed by “${escapeRe(query.text)}”`));
    const changed = await shownIds(page);
    expect(changed.length).toBeGreaterThan(0);
    expect(changed).not.toEqual(imageOnly);
    await shot(page, 'composed');
  });

  it('takes an image dropped anywhere on the page and a sound pasted from the clipboard', async () => {
    const image = firstItem('image');
    const sound = firstItem('audio');
    const page = await open();
    await statusSays(page, /to search 238 items/);
    // The test's tsconfig has no DOM library, so the page-side code is a string: a DataTransfer holding the file.
    const transfer = async (file: string, name: string, type: string): Promise<string> => `(() => {
        const bytes = Uint8Array.from(atob('${(await readFile(file)).toString('base64')}'), (c) => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], '${name}', { type: '${type}' }));
        return transfer;
      })()`;

    const dropped = await page.evaluateHandle(await transfer(path.join(mediaDir, image.path), 'dropped.png', 'image/png'));
    await page.dispatchEvent('main', 'dragenter', { dataTransfer: dropped });
    expect(await page.locator('#drop-overlay').isVisible()).toBe(true);
    await page.dispatchEvent('main', 'dragover', { dataTransfer: dropped });
    await page.dispatchEvent('main', 'drop', { dataTransfer: dropped });
    await statusSays(page, /\d+\+? results? like your image/);
    expect(await page.locator('#drop-overlay').isHidden()).toBe(true);
    expect(await page.getByRole('tab', { name: 'Image', exact: true }).getAttribute('aria-selected')).toBe('true');
    expect((await shownIds(page)).slice(0, 3)).toContain(image.id);

    const pasted = await transfer(path.join(mediaDir, sound.path), 'pasted.wav', 'audio/wav');
    await page.evaluate(`document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: ${pasted}, bubbles: true }))`);
    await statusSays(page, /\d+\+? results? like your sound “pasted\.wav”/);
    expect(await page.getByRole('tab', { name: 'Sound' }).getAttribute('aria-selected')).toBe('true');
    expect((await shownIds(page)).slice(0, 3)).toContain(sound.id);
    await shot(page, 'drop-paste');
  });

  it('searches with an uploaded sound clip and plays audio results', async () => {
    const sound = firstItem('audio');
    const page = await open();
    await page.getByRole('tab', { name: 'Sound' }).click();
    await page.locator('#audio-file').setInputFiles(path.join(mediaDir, sound.path));
    await statusSays(page, new RegExp(`\\d+\\+? results? like your sound “${escapeRe(path.basename(sound.path))}”`));
    expect((await shownIds(page)).slice(0, 3)).toContain(sound.id);
    expect(await page.locator('#audio-preview').isVisible()).toBe(true);
    const play = page.locator('#results > li.card.audio button.play').first();
    await play.click();
    await page.locator('#results button.play[aria-pressed="true"]').waitFor({ timeout: WAIT_MS });
    expect(await play.textContent()).toContain('Pause');
    await shot(page, 'audio-upload');
  });

  it('records from the microphone, converts the clip to WAV in the browser and searches with it', async () => {
    const page = await open();
    await page.getByRole('tab', { name: 'Sound' }).click();
    await page.getByRole('button', { name: 'Record', exact: true }).click();
    await page.locator('#audio-status').filter({ hasText: /Recording… \d+ s/ }).waitFor({ timeout: WAIT_MS });
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await statusSays(page, /\d+\+? results? like your sound “recording\.wav”/);
    expect(await cards(page).count()).toBeGreaterThan(0);
    expect(await page.locator('#error').isHidden()).toBe(true);
  });

  it('shows "more like this" results for a result, with the item in the URL and focus on the status line', async () => {
    const page = await open(`?q=${encodeURIComponent('face')}`);
    await statusSays(page, /results? for “face”/);
    const first = cards(page).first();
    const caption = (await first.locator('.caption').textContent()) ?? '';
    // By keyboard: the button pressed goes away with the old results, and focus must not fall to <body>.
    await first.getByRole('button', { name: /^More like this/ }).focus();
    await page.keyboard.press('Enter');
    const chip = page.locator('#query-chip');
    await chip.waitFor({ state: 'visible' });
    expect(await chip.textContent()).toContain('More like');
    const label = caption === 'No caption' ? /results? like / : new RegExp(`results? like “${escapeRe(caption)}”`);
    await statusSays(page, label);
    expect(await cards(page).count()).toBeGreaterThan(0);
    expect(new URL(page.url()).searchParams.get('item')).toMatch(/^\d+$/);
    expect(await page.evaluate('document.activeElement.id')).toBe('status');
    await shot(page, 'more-like-this');

    await page.getByRole('button', { name: 'Clear this query', exact: true }).click();
    await statusSays(page, /results? for “face”/);
    expect(await chip.isHidden()).toBe(true);
  });

  it('searches again from a link opened while the server was starting, once it is ready', async () => {
    let ready = false;
    const notReady = JSON.stringify({ error: { code: 'NOT_READY', message: 'the collection and the encoders are still loading' } });
    const page = await open('?q=face', undefined, (p) =>
      p.route('**/api/**', (route) => (ready ? route.continue() : route.fulfill({ status: 503, contentType: 'application/json', body: notReady }))),
    );
    const alert = page.getByRole('alert');
    // A 503 is the server being busy, not a failure: the page says so and asks again.
    await statusSays(page, /server is busy \(the collection and the encoders are still loading\); trying again in \d+ s/);
    ready = true;
    await statusSays(page, /\d+\+? results? for “face”/);
    expect(await cards(page).count()).toBeGreaterThan(0);
    expect(await alert.isHidden()).toBe(true);
  });

  it('asks again after the Retry-After a busy server gives, when a search is answered 503 after startup', async () => {
    let busy = 1;
    const body = JSON.stringify({ error: { code: 'NOT_READY', message: 'a new space is being put in service' } });
    const page = await open('?q=face', undefined, (p) =>
      p.route('**/api/search', (route) =>
        busy-- > 0 ? route.fulfill({ status: 503, headers: { 'retry-after': '1' }, contentType: 'application/json', body }) : route.continue(),
      ),
    );
    await statusSays(page, /server is busy \(a new space is being put in service\); trying again in 1 s/);
    await statusSays(page, /\d+\+? results? for “face”/);
    expect(await cards(page).count()).toBeGreaterThan(0);
    expect(await page.getByRole('alert').isHidden()).toBe(true);
  });

  it('treats a sketch erased back to blank like a cleared one', async () => {
    const page = await open();
    await page.getByRole('tab', { name: 'Sketch' }).click();
    await stroke(page, 0.3, 0.7, 0.5);
    await statusSays(page, /\d+\+? results? like your sketch/);
    await page.getByRole('button', { name: 'Eraser', exact: true }).click();
    await page.getByLabel('Width').fill('40');
    await stroke(page, 0.2, 0.8, 0.5);
    await statusSays(page, idle);
    expect(await cards(page).count()).toBe(0);
    expect(await page.getByRole('alert').isHidden()).toBe(true);
    expect(await page.getByRole('button', { name: 'Clear', exact: true }).isDisabled()).toBe(true);
    // The drawing is still in the history.
    await page.getByRole('button', { name: 'Undo', exact: true }).click();
    await statusSays(page, /results? like your sketch/);
  });

  it('shows the results of the visible input tab only, and the idle state when it holds no query', async () => {
    const page = await open();
    await page.getByRole('tab', { name: 'Sketch' }).click();
    await stroke(page, 0.3, 0.7, 0.5);
    await statusSays(page, /\d+\+? results? like your sketch/);
    await page.getByRole('tab', { name: 'Words' }).click();
    await statusSays(page, idle);
    expect(await cards(page).count()).toBe(0);
    await page.getByRole('tab', { name: 'Sketch' }).click();
    await statusSays(page, /\d+\+? results? like your sketch/);
    expect(await cards(page).count()).toBeGreaterThan(0);
  });

  it('keeps the previous results and their status line when a picked file is refused before upload', async () => {
    const page = await open();
    await page.getByRole('tab', { name: 'Image', exact: true }).click();
    await page.locator('#image-file').setInputFiles(path.join(mediaDir, firstItem('image').path));
    const before = await statusSays(page, /\d+\+? results? like your image/);
    const shown = await cards(page).count();
    const more = await page.locator('#more').isVisible();
    await page.locator('#image-file').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('just words') });
    await page.getByRole('alert').filter({ hasText: 'Cannot search: “notes.txt” is text/plain, not an image' }).waitFor({ timeout: WAIT_MS });
    expect(await page.locator('#status').textContent()).toBe(before);
    expect(await cards(page).count()).toBe(shown);
    expect(await page.locator('#more').isVisible()).toBe(more);
  });

  it('keeps a refusal in sight when the results of the search before it arrive after it', async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const page = await open(undefined, undefined, (p) =>
      p.route('**/api/search', async (route) => {
        await held;
        await route.continue();
      }),
    );
    await page.getByRole('tab', { name: 'Image', exact: true }).click();
    await page.locator('#image-file').setInputFiles(path.join(mediaDir, firstItem('image').path));
    await statusSays(page, /^Searching/);
    await page.locator('#image-file').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('just words') });
    const refusal = page.getByRole('alert').filter({ hasText: 'Cannot search: “notes.txt”' });
    await refusal.waitFor({ timeout: WAIT_MS });
    release();
    await statusSays(page, /\d+\+? results? like your image/);
    expect(await refusal.isVisible()).toBe(true);
  });

  it('names in the sound panel the clip in use, and says when a later one is refused or fails', async () => {
    const sound = firstItem('audio');
    const name = path.basename(sound.path);
    const page = await open();
    await page.getByRole('tab', { name: 'Sound' }).click();
    const audioStatus = page.locator('#audio-status');
    const preview = page.locator('#audio-preview');
    await page.locator('#audio-file').setInputFiles(path.join(mediaDir, sound.path));
    await statusSays(page, new RegExp(`results? like your sound “${escapeRe(name)}”`));

    // Refused before upload: the results are still those of the first clip, and the panel says so.
    await page.locator('#audio-file').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('just words') });
    await audioStatus.filter({ hasText: /^Not used: “notes\.txt” is text\/plain/ }).waitFor({ timeout: WAIT_MS });
    expect(await audioStatus.textContent()).toContain(`still with “${name}”`);
    expect(await page.locator('#status').textContent()).toMatch(new RegExp(`results? like your sound “${escapeRe(name)}”`));
    expect(await preview.getAttribute('aria-label')).toBe(`Your sound: ${name}`);

    // Refused by the server: the panel names that clip and why.
    await page.locator('#audio-file').setInputFiles(path.join(FIXTURES, 'audio', 'text-named.wav'));
    await statusSays(page, /^Search failed\.$/);
    await audioStatus.filter({ hasText: /^“text-named\.wav” \(.*\) could not be used: / }).waitFor({ timeout: WAIT_MS });
    expect(await preview.getAttribute('aria-label')).toBe('Your sound: text-named.wav');
  });

  it('wraps and shortens a very long query in the status line', async () => {
    const long = 'x'.repeat(400);
    const page = await open(`?q=${long}`);
    const status = await statusSays(page, /results? for “x+…”/);
    expect(status.length).toBeLessThan(150);
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    // Words with spaces too: the echo is short, so the results stay near the top.
    await page.locator('#q').fill('word '.repeat(150).trim());
    const spaced = await statusSays(page, /results? for “(word )+\w*…”/);
    expect(spaced.length).toBeLessThan(150);
  });

  it('says what went wrong when the image query is not an image', async () => {
    const page = await open();
    await page.getByRole('tab', { name: 'Image', exact: true }).click();

    // Named .jpg, so the browser sends it as image/jpeg; the server reads the bytes and refuses.
    await page.locator('#image-file').setInputFiles(path.join(FIXTURES, 'images', 'not-an-image.jpg'));
    const alert = page.getByRole('alert');
    await alert.filter({ hasText: 'Search failed' }).waitFor({ timeout: WAIT_MS });
    // A 4xx says what to change; its code is kept out of the text, for tools only.
    expect(await alert.textContent()).toMatch(/image/);
    expect(await alert.textContent()).not.toMatch(/UNSUPPORTED_MEDIA|CORRUPT_MEDIA/);
    expect(await alert.getAttribute('data-code')).toMatch(/^(UNSUPPORTED_MEDIA|CORRUPT_MEDIA)$/);
    expect(await page.locator('#status').textContent()).toBe('Search failed.');
    expect(await cards(page).count()).toBe(0);
    await shot(page, 'error');

    // A file the browser knows is not an image is refused before any upload.
    await page.locator('#image-file').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('just words') });
    await alert.filter({ hasText: '“notes.txt” is text/plain, not an image' }).waitFor({ timeout: WAIT_MS });
  });

  it('works with the keyboard and fits a phone screen', async () => {
    const page = await open('', { width: 390, height: 844 });
    await statusSays(page, /to search 238 items/);
    await page.keyboard.press('Tab'); // skip link
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.id')).toBe('tab-text');
    await page.keyboard.press('ArrowRight');
    expect(await page.evaluate('document.activeElement.id')).toBe('tab-image');
    expect(await page.locator('#panel-image').isVisible()).toBe(true);
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.id')).toBe('q');
    await page.keyboard.type('smile');
    await page.keyboard.press('Enter');
    await statusSays(page, /results? for “smile”/);

    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    const boxes = await Promise.all([0, 1, 2].map(async (i) => (await cards(page).nth(i).boundingBox())!));
    expect(boxes[1].y).toBe(boxes[0].y); // two columns…
    expect(boxes[2].y).toBeGreaterThan(boxes[0].y); // …then the next row
    await page.screenshot({ path: path.join(ARTIFACTS, 'ui-phone.png') });
  });

  // Last: it adds an item, and the tests above count the collection.
  it('renders a caption holding HTML as text, never as markup', async () => {
    const caption = 'zanzibar <img src=x onerror="window.pwned=1"> <b>bold</b>';
    const form = new FormData();
    form.append('file', new Blob([await readFile(path.join(FIXTURES, 'images', 'scene.jpg'))], { type: 'image/jpeg' }), 'scene.jpg');
    form.append('caption', caption);
    const added = await fetch(`${server.url}/api/items`, { method: 'POST', body: form });
    expect(added.status).toBe(201);

    const page = await open('?q=zanzibar');
    await statusSays(page, /results? for “zanzibar”/);
    expect(await page.locator('#results .caption').first().textContent()).toBe(caption);
    expect(await page.locator('#results .caption img, #results .caption b').count()).toBe(0);
    expect(await page.evaluate('window.pwned')).toBeUndefined();
    await shot(page, 'caption-as-text');
  });
});
