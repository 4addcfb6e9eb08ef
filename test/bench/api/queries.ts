/**
 * Request bodies for POST /api/search, as a user of the demo-like collection would send
 * them: short texts made of the demo's own words (names, tags, sound descriptions), and the
 * demo's PNG images and line-art sketches as data URLs.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createEncoder, type EncoderSettings } from '../../../models/encoders/index.ts';
import { mulberry32 } from '../../../models/random.ts';
import type { SpaceProjector } from '../../../models/space/index.ts';
import type { SparseRow } from '../../../models/types.ts';
import type { ImageMeta } from '../../../data/demo/index.ts';
import type { DemoBases } from './demo-bases.ts';

/** Results per page in every benchmarked request: what the web UI asks for. */
export const PAGE = 20;

/**
 * `count` distinct query texts, seeded: "grinning face", "happy", "heart love", "coin pickup".
 *
 * @example textQueries(bases, 300, 7)[0] // '{"text":"smiling cat","k":20}'
 */
export function textQueries(bases: DemoBases, count: number, seed: number): string[] {
  const uniform = mulberry32(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(uniform() * xs.length)];
  const split = (caption: string) => {
    const [head, tags = ''] = caption.split(' — ');
    return { head, tags: tags.split(', ').filter(Boolean) };
  };
  const images = bases.items.filter((i) => i.modality === 'image').map((i) => split(i.meta.caption));
  const sounds = bases.items.filter((i) => i.modality === 'audio').map((i) => split(i.meta.caption));
  const out = new Set<string>();
  for (let tries = 0; out.size < count && tries < count * 50; tries++) {
    const r = uniform();
    const img = pick(images);
    let text: string;
    if (r < 0.35) text = img.head;
    else if (r < 0.6) text = pick(img.tags.length ? img.tags : [img.head]);
    else if (r < 0.8) text = img.tags.length > 1 ? `${pick(img.tags)} ${pick(img.tags)}` : img.head;
    else if (r < 0.9) text = `${img.head.split(' ')[0]} ${pick(img.tags.length ? img.tags : [''])}`.trim();
    else {
      // Sound captions are long descriptions; people type two or three of their words.
      const words = pick(sounds).head.split(' ');
      const at = Math.floor(uniform() * Math.max(1, words.length - 2));
      text = words.slice(at, at + 2 + Math.floor(uniform() * 2)).join(' ');
    }
    out.add(text.toLowerCase());
  }
  return [...out].map((text) => JSON.stringify({ text, k: PAGE }));
}

/**
 * Query-by-example bodies: `count` demo images (field 'image') or their line-art sketches
 * (field 'sketch') as PNG data URLs.
 */
export function mediaQueries(bases: DemoBases, field: 'image' | 'sketch', count: number, seed: number): string[] {
  const uniform = mulberry32(seed);
  const images = bases.items.filter((i) => i.modality === 'image');
  const paths = new Set<string>();
  for (let tries = 0; paths.size < count && tries < count * 50; tries++) {
    const item = images[Math.floor(uniform() * images.length)];
    paths.add(field === 'image' ? item.path : (item.meta as ImageMeta).sketch);
  }
  return [...paths].map((p) => {
    const url = `data:image/png;base64,${readFileSync(path.join(bases.demoDir, p)).toString('base64')}`;
    return JSON.stringify({ [field]: url, k: PAGE });
  });
}

/**
 * The text queries as vector-only searches (`hybrid: false`), without those whose words the
 * space never saw (the engine refuses them without keyword matching): what a text query
 * costs without FTS5.
 */
export async function vectorOnlyQueries(bodies: string[], projector: SpaceProjector, settings: EncoderSettings): Promise<string[]> {
  const text = await createEncoder('text', settings);
  try {
    const out: string[] = [];
    for (const body of bodies) {
      const query = JSON.parse(body) as { text: string };
      const [row] = await text.encode([query.text]);
      try {
        projector.embedQuery('text', row as SparseRow);
      } catch {
        continue;
      }
      out.push(JSON.stringify({ ...query, hybrid: false }));
    }
    return out;
  } finally {
    await text.close();
  }
}
