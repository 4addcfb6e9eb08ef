/**
 * POST /api/search over HTTP against a live server on the small demo collection: every query
 * type, hybrid ranking, paging, filters, and multipart uploads.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/index.ts';
import { searchResponseSchema } from '../../server/index.ts';
import {
  buildSmallDemo,
  dataUrl,
  demoComposed,
  demoFile,
  demoItems,
  form,
  rankOf,
  removeTemp,
  request,
  results,
  serve,
  type DemoItem,
  type SearchBody,
} from './helpers.ts';

let dataDir: string;
let server: RunningServer;
let url: string;
let items: DemoItem[];
const png = (rel: string) => dataUrl('image/png', demoFile(dataDir, rel));
const wav = (rel: string) => dataUrl('audio/wav', demoFile(dataDir, rel));
const ids = (b: SearchBody) => b.results.map((r) => r.externalId);

beforeAll(async () => {
  dataDir = await buildSmallDemo('search');
  server = await serve(dataDir);
  url = server.url;
  items = demoItems(dataDir);
});

afterAll(async () => {
  await server?.close();
  removeTemp(dataDir);
});

describe('query types', () => {
  it('text of emoji searches as their names, and emoji among words too', async () => {
    const item = items.find((i) => i.modality === 'image' && i.caption && (i.meta as { emoji?: string }).emoji)!;
    const { emoji, annotation } = item.meta as unknown as { emoji: string; annotation: string };
    const byEmoji = await results(url, { text: emoji, k: 10 });
    expect(byEmoji.results.length).toBe(10);
    expect(ids(byEmoji)).toEqual(ids(await results(url, { text: annotation, k: 10 })));
    expect(ids(byEmoji)).toContain(item.id);
    const mixed = await results(url, { text: `${emoji} face`, k: 10 });
    expect(ids(mixed)).toEqual(ids(await results(url, { text: `${annotation} face`, k: 10 })));
  });

  it('text finds images, audio clips and captioned items, and answers in the documented shape', async () => {
    const sound = items.find((i) => i.modality === 'audio' && i.caption)!;
    const image = items.find((i) => i.modality === 'image' && i.caption)!;
    const both = await results(url, { text: sound.meta.caption, k: 50 });
    expect(searchResponseSchema.parse(both)).toEqual(both);
    expect(both.queryType).toBe('text');
    expect(both.k).toBe(50);
    expect(both.offset).toBe(0);
    expect(both.results.length).toBe(50);
    expect(both.results[0].externalId).toBe(sound.id);
    // Nothing asked for one medium, so the page holds both.
    expect(new Set(both.results.map((r) => r.modality))).toEqual(new Set(['image', 'audio']));
    for (const r of both.results) {
      expect(r.contentUrl).toBe(`/api/items/${r.id}/content`);
      if (r.modality === 'image') expect(r.thumbnailUrl).toBe(`/api/items/${r.id}/thumbnail`);
    }
    const scores = both.results.map((r) => r.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));

    const toImages = await results(url, { text: image.meta.annotation, modalities: ['image'] });
    expect(toImages.results.every((r) => r.modality === 'image')).toBe(true);
    expect(rankOf(toImages, image.id)).toBeGreaterThanOrEqual(0);

    const toAudio = await results(url, { text: sound.meta.caption, modalities: ['audio'], k: 5 });
    expect(toAudio.results.every((r) => r.modality === 'audio')).toBe(true);
    expect(toAudio.results[0].externalId).toBe(sound.id);

    const captioned = await results(url, { text: image.meta.annotation, filter: { captioned: true }, k: 30 });
    expect(captioned.results.length).toBe(30);
    expect(captioned.results.every((r) => r.caption !== null)).toBe(true);
  });

  it('image finds images, the query image itself first', async () => {
    const image = items.find((i) => i.modality === 'image' && i.split === 'eval')!;
    const body = await results(url, { image: png(image.path), modalities: ['image'], k: 10 });
    expect(body.queryType).toBe('image');
    expect(body.hybrid).toBe(false);
    expect(body.results[0].externalId).toBe(image.id);
    expect(body.results[0].score).toBeCloseTo(1, 2);
    expect(body.results.every((r) => r.modality === 'image')).toBe(true);
  });

  it('sketch finds images: most line drawings rank their own image in the top 10', async () => {
    const sketched = items.filter((i) => i.modality === 'image' && i.meta.sketch).slice(0, 10);
    let found = 0;
    for (const item of sketched) {
      const body = await results(url, { sketch: png(item.meta.sketch!), modalities: ['image'], k: 10 });
      expect(body.queryType).toBe('sketch');
      if (rankOf(body, item.id) >= 0) found++;
    }
    // Chance is 10 of 150 images per query.
    expect(found).toBeGreaterThanOrEqual(6);
  });

  describe('composed image + text', () => {
    const q = () => demoComposed(dataDir).find((c) => c.split === 'train')!;

    it('uses the tuned text weight by default, the same ranking as those weights given explicitly', async () => {
      const info = (await request<{ composedTextWeight: number }>(url, '/api/info')).body;
      const { image, text } = q();
      const byDefault = await results(url, { image: png(image), text, modalities: ['image'], k: 20 });
      expect(byDefault.queryType).toBe('composed');
      expect(byDefault.hybrid).toBe(false);
      const w = info.composedTextWeight;
      const explicit = await results(url, { image: png(image), text, weights: { image: 1 - w, text: w }, modalities: ['image'], k: 20 });
      expect(ids(explicit)).toEqual(ids(byDefault));
    });

    it('with the text weighted 0 ranks as the image alone, with the image weighted 0 as the text alone', async () => {
      const { image, text } = q();
      const imageOnly = await results(url, { image: png(image), modalities: ['image'], k: 20 });
      const textOnly = await results(url, { text, hybrid: false, modalities: ['image'], k: 20 });
      const noText = await results(url, { image: png(image), text, weights: { image: 1, text: 0 }, modalities: ['image'], k: 20 });
      const noImage = await results(url, { image: png(image), text, weights: { image: 0, text: 1 }, modalities: ['image'], k: 20 });
      expect(ids(noText)).toEqual(ids(imageOnly));
      expect(ids(noImage)).toEqual(ids(textOnly));
      expect(ids(imageOnly)).not.toEqual(ids(textOnly));
    });

    it('finds the composed query\'s target higher than the image alone does, on most validation queries', async () => {
      const train = demoComposed(dataDir).filter((c) => c.split === 'train');
      let better = 0;
      let worse = 0;
      for (const c of train) {
        const composed = await results(url, { image: png(c.image), text: c.text, modalities: ['image'], k: 150 });
        const alone = await results(url, { image: png(c.image), modalities: ['image'], k: 150 });
        const [rc, ra] = [rankOf(composed, c.relevant[0]), rankOf(alone, c.relevant[0])];
        if (rc < ra) better++;
        if (rc > ra) worse++;
      }
      expect(better).toBeGreaterThan(worse);
    });

    it('negativeText pushes its concept away', async () => {
      const target = items.find((i) => i.id === 'om-1F600')!;
      const scoreOf = (b: SearchBody) => b.results.find((r) => r.externalId === target.id)!.score;
      const plain = await results(url, { text: 'face', hybrid: false, modalities: ['image'], k: 1000 });
      const pushed = await results(url, { text: 'face', negativeText: target.meta.annotation!, hybrid: false, modalities: ['image'], k: 1000 });
      const harder = await results(url, { text: 'face', negativeText: target.meta.annotation!, weights: { negativeText: 0.9 }, hybrid: false, modalities: ['image'], k: 1000 });
      expect(scoreOf(pushed)).toBeLessThan(scoreOf(plain));
      expect(scoreOf(harder)).toBeLessThan(scoreOf(pushed));
      expect(rankOf(harder, target.id)).toBeGreaterThan(rankOf(plain, target.id));
    });

    it('negativeText also keeps captions holding its words out of the keyword ranking', async () => {
      const added: Record<string, number> = {};
      try {
        for (const [i, caption] of ['zorptangle hot quibbit', 'zorptangle cold quibbit'].entries()) {
          const bytes = await sharp({ create: { width: 48, height: 48, channels: 3, background: { r: 40 + 100 * i, g: 90, b: 200 - 100 * i } } }).png().toBuffer();
          const r = await request<{ item: { id: number } }>(url, '/api/items', { method: 'POST', body: form({ file: [bytes, `z${i}.png`, 'image/png'] }, { caption }) });
          expect(r.status, JSON.stringify(r.body)).toBe(201);
          added[caption] = r.body.item.id;
        }
        const [hot, cold] = [added['zorptangle hot quibbit'], added['zorptangle cold quibbit']];
        const scoreOf = (b: SearchBody, id: number) => b.results.find((r) => r.id === id)?.score ?? 0;
        // Weight 0 leaves the vector ranking as it is: any change is the keyword list's.
        const plain = await results(url, { text: 'zorptangle quibbit', k: 50 });
        const notHot = await results(url, { text: 'zorptangle quibbit', negativeText: 'HOT sausages', weights: { negativeText: 0 }, k: 50 });
        expect(plain.results.slice(0, 2).map((r) => r.id).sort()).toEqual([hot, cold].sort());
        expect(notHot.results[0].id).toBe(cold);
        // cold moves up the keyword list as hot leaves it.
        expect(scoreOf(notHot, cold)).toBeGreaterThan(scoreOf(plain, cold));
        expect(scoreOf(notHot, hot)).toBeLessThan(scoreOf(plain, hot));
      } finally {
        for (const id of Object.values(added)) await request(url, `/api/items/${id}`, { method: 'DELETE' });
      }
    });
  });

  it('audio finds audio clips (itself first) and images', async () => {
    const sound = items.find((i) => i.modality === 'audio')!;
    const toAudio = await results(url, { audio: wav(sound.path), modalities: ['audio'], k: 10 });
    expect(toAudio.queryType).toBe('audio');
    expect(toAudio.results[0].externalId).toBe(sound.id);
    expect(toAudio.results.every((r) => r.modality === 'audio')).toBe(true);
    const toImages = await results(url, { audio: wav(sound.path), modalities: ['image'], k: 10 });
    expect(toImages.results).toHaveLength(10);
    expect(toImages.results.every((r) => r.modality === 'image')).toBe(true);
  });

  it('itemId is "more like this": the item itself is left out, by numeric or external id', async () => {
    const image = items.find((i) => i.modality === 'image' && i.meta.family === '1F646')!;
    const [self] = (await results(url, { image: png(image.path), k: 1 })).results;
    expect(self.externalId).toBe(image.id);
    const byId = await results(url, { itemId: self.id, k: 10, modalities: ['image'] });
    const byExternal = await results(url, { itemId: image.id, k: 10, modalities: ['image'] });
    expect(byId.queryType).toBe('item');
    expect(byId.results).toHaveLength(10);
    expect(ids(byId)).not.toContain(image.id);
    expect(ids(byExternal)).toEqual(ids(byId));
    // Its skin-tone and gender variants look like it.
    expect(byId.results.filter((r) => items.find((i) => i.id === r.externalId)?.meta.family === '1F646').length).toBeGreaterThanOrEqual(5);
    // The same with the item's own image as the query, minus the item.
    const byImage = await results(url, { image: png(image.path), k: 11, modalities: ['image'] });
    expect(ids(byId)).toEqual(ids(byImage).filter((id) => id !== image.id).slice(0, 10));
  });
});

describe('hybrid ranking', () => {
  it('is on by default for text, off on request, and off for media queries', async () => {
    const on = await results(url, { text: 'grinning face' });
    const off = await results(url, { text: 'grinning face', hybrid: false });
    expect(on.hybrid).toBe(true);
    expect(off.hybrid).toBe(false);
    // Fused scores are sums of 1/(60 + rank); cosine scores are not.
    expect(on.results[0].score).toBeLessThanOrEqual(2 / 61 + 1e-9);
    expect(off.results[0].score).toBeGreaterThan(2 / 61);
    const image = items.find((i) => i.modality === 'image')!;
    expect((await results(url, { image: png(image.path), hybrid: true })).hybrid).toBe(false);
  });

  it('lifts an item whose caption has a word the vector ranking misses', async () => {
    // Words in exactly one indexed caption; the test takes the one the vectors rank worst.
    const counts = new Map<string, string[]>();
    for (const i of items.filter((x) => x.caption)) {
      for (const w of new Set(i.caption!.toLowerCase().match(/\p{L}{4,}/gu) ?? [])) counts.set(w, [...(counts.get(w) ?? []), i.id]);
    }
    const unique = [...counts].filter(([, owners]) => owners.length === 1);
    expect(unique.length).toBeGreaterThan(20);
    let worst = { word: '', id: '', rank: -2 };
    for (const [word, [id]] of unique) {
      const body = await results(url, { text: word, hybrid: false, k: 50 });
      const r = rankOf(body, id);
      const rank = r < 0 ? 1000 : r;
      if (rank > worst.rank) worst = { word, id, rank };
    }
    expect(worst.rank).toBeGreaterThan(1);
    const fused = await results(url, { text: worst.word, k: 10 });
    expect(fused.hybrid).toBe(true);
    // Keyword rank 1 is worth 1/61, as much as vector rank 1: first or second.
    expect(rankOf(fused, worst.id)).toBeGreaterThanOrEqual(0);
    expect(rankOf(fused, worst.id)).toBeLessThanOrEqual(1);
  });
});

describe('paging', () => {
  const pages = async (query: object) => {
    const whole = await results(url, { ...query, k: 30 });
    const p1 = await results(url, { ...query, k: 10, offset: 0 });
    const p2 = await results(url, { ...query, k: 10, offset: 10 });
    const p3 = await results(url, { ...query, k: 10, offset: 20 });
    return { whole: ids(whole), paged: [...ids(p1), ...ids(p2), ...ids(p3)], p2 };
  };

  it.each([
    ['a hybrid text query', { text: 'face with hand' }],
    ['a vector-only text query', { text: 'face with hand', hybrid: false }],
    ['an image query', { image: 'om-1F44B' }],
    ['more like this', { itemId: 'om-1F44B' }],
  ])('page 2 and 3 continue page 1 with no overlap: %s', async (_name, q: Record<string, unknown>) => {
    const query = q.image ? { image: png(items.find((i) => i.id === q.image)!.path) } : q;
    const { whole, paged, p2 } = await pages(query);
    expect(p2.offset).toBe(10);
    expect(p2.k).toBe(10);
    expect(new Set(paged).size).toBe(30);
    expect(paged).toEqual(whole);
  });

  it('k up to 1000 returns the whole collection; an offset past the end returns an empty page', async () => {
    const all = await results(url, { text: 'smile', k: 1000 });
    const total = items.length;
    expect(all.results.length).toBe(total);
    const audioOnly = await results(url, { text: 'smile', k: 1000, hybrid: false, modalities: ['audio'] });
    expect(audioOnly.results.length).toBe(items.filter((i) => i.modality === 'audio').length);
    const past = await results(url, { text: 'smile', k: 10, offset: total + 5 });
    expect(past.results).toEqual([]);
  });
});

describe('filters', () => {
  it('modalities keeps only the media asked for', async () => {
    for (const modalities of [['image'], ['audio']] as const) {
      const body = await results(url, { text: 'short high-pitched sound', modalities, k: 40 });
      expect(body.results.length).toBe(Math.min(40, items.filter((i) => i.modality === modalities[0]).length));
      expect(body.results.every((r) => r.modality === modalities[0])).toBe(true);
    }
    const both = await results(url, { text: 'short high-pitched sound', modalities: ['image', 'audio'], k: 1000 });
    expect(both.results.length).toBe(items.length);
  });

  it('filter.captioned keeps only items with, or without, a caption', async () => {
    const withCaption = await results(url, { text: 'hand', filter: { captioned: true }, k: 1000 });
    const without = await results(url, { text: 'hand', filter: { captioned: false }, k: 1000 });
    expect(withCaption.results.length).toBe(items.filter((i) => i.caption).length);
    expect(without.results.length).toBe(items.filter((i) => !i.caption).length);
    expect(withCaption.results.every((r) => r.caption !== null)).toBe(true);
    expect(without.results.every((r) => r.caption === null)).toBe(true);
  });

  it('filter.externalIdPrefix keeps only matching external ids, also combined with the other filters', async () => {
    const body = await results(url, { text: 'boom', filter: { externalIdPrefix: 'sfx-explosion-' }, k: 50 });
    const expected = items.filter((i) => i.id.startsWith('sfx-explosion-')).map((i) => i.id);
    expect(new Set(ids(body))).toEqual(new Set(expected));
    const captioned = await results(url, { text: 'boom', filter: { externalIdPrefix: 'sfx-explosion-', captioned: true }, modalities: ['audio'], k: 50 });
    expect(new Set(ids(captioned))).toEqual(new Set(items.filter((i) => i.id.startsWith('sfx-explosion-') && i.caption).map((i) => i.id)));
    const none = await results(url, { image: png(items[0].path), filter: { externalIdPrefix: 'no-such-prefix' } });
    expect(none.results).toEqual([]);
  });
});

describe('multipart search with uploaded files', () => {
  const post = async (fd: FormData) => request<SearchBody>(url, '/api/search', { method: 'POST', body: fd });

  it('an uploaded image ranks as the same image sent as a data URL', async () => {
    const image = items.find((i) => i.modality === 'image' && i.split === 'eval')!;
    const r = await post(form({ image: [demoFile(dataDir, image.path), 'query.png', 'image/png'] }, { k: '12', modalities: 'image' }));
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.queryType).toBe('image');
    expect(r.body.k).toBe(12);
    const json = await results(url, { image: png(image.path), k: 12, modalities: ['image'] });
    expect(ids(r.body)).toEqual(ids(json));
  });

  it('takes a sketch, an audio clip, and a composed image + text with weights and filters', async () => {
    const image = items.find((i) => i.meta.sketch)!;
    const sketch = await post(form({ sketch: [demoFile(dataDir, image.meta.sketch!), 'sketch.png'] }, { modalities: 'image' }));
    expect(sketch.status, JSON.stringify(sketch.body)).toBe(200);
    expect(sketch.body.queryType).toBe('sketch');

    const sound = items.find((i) => i.modality === 'audio')!;
    const audio = await post(form({ audio: [demoFile(dataDir, sound.path), 'clip.wav', 'audio/wav'] }, { modalities: ['audio'], hybrid: 'false' }));
    expect(audio.status, JSON.stringify(audio.body)).toBe(200);
    expect(audio.body.results[0].externalId).toBe(sound.id);

    const c = demoComposed(dataDir)[0];
    const fields = { text: c.text, weights: JSON.stringify({ image: 0.7, text: 0.3 }), filter: JSON.stringify({ externalIdPrefix: 'om-' }), k: '10', offset: '0', modalities: 'image,audio' };
    const composed = await post(form({ image: [demoFile(dataDir, c.image), 'base.png', 'image/png'] }, fields));
    expect(composed.status, JSON.stringify(composed.body)).toBe(200);
    expect(composed.body.queryType).toBe('composed');
    const json = await results(url, { image: png(c.image), text: c.text, weights: { image: 0.7, text: 0.3 }, filter: { externalIdPrefix: 'om-' }, k: 10 });
    expect(ids(composed.body)).toEqual(ids(json));
  });

  it('takes a text-only or itemId-only form without files', async () => {
    const byText = await post(form({}, { text: 'grinning face', k: '3' }));
    expect(byText.status, JSON.stringify(byText.body)).toBe(200);
    expect(byText.body.results).toHaveLength(3);
    const byItem = await post(form({}, { itemId: 'om-1F600', k: '3' }));
    expect(byItem.status, JSON.stringify(byItem.body)).toBe(200);
    expect(byItem.body.queryType).toBe('item');
    expect(ids(byItem.body)).not.toContain('om-1F600');
  });
});
