/**
 * The OpenMoji catalogue as the demo sees it: one entry per emoji that has both a colour and a
 * black SVG, with its caption, its tags and its variant links (skin tone, gender).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { RosettaError } from '../../models/errors.ts';

/** One row of node_modules/openmoji/data/openmoji.json (only the fields the demo reads). */
interface OpenMojiRow {
  emoji: string;
  hexcode: string;
  group: string;
  subgroups: string;
  annotation: string;
  tags: string;
  openmoji_tags: string;
  skintone: string | number;
  skintone_base_hexcode: string;
}

export interface EmojiEntry {
  hexcode: string;
  emoji: string;
  annotation: string;
  /** Tags for the caption: the entry's own, or its base emoji's when a variant has none. */
  tags: string[];
  group: string;
  subgroup: string;
  /** "dark skin tone", or "light skin tone, dark skin tone" for two-person emoji. */
  skinTone?: string;
  /** The same emoji without the skin tone (1F44B for 1F44B-1F3FF). */
  skinToneBase?: string;
  /** "woman" or "man" when the entry is the gendered form of a neutral one. */
  gender?: 'woman' | 'man';
  /** The gender-neutral form ("person gesturing OK" for "woman gesturing OK"). */
  genderBase?: string;
  /** The variant family's root (the neutral, untoned form); the entry itself when it has none. */
  family: string;
  /**
   * The first emoji whose black SVG is byte-identical to this one's. Line art carries no colour,
   * so every skin tone shares its base's drawing, as do the coloured hearts and some others.
   */
  sketchOwner: string;
  colourSvg: string;
  blackSvg: string;
}

export interface OpenMojiCatalogue {
  root: string;
  version: string;
  entries: EmojiEntry[];
  byHex: Map<string, EmojiEntry>;
}

const TONE_NAMES = ['', 'light', 'medium-light', 'medium', 'medium-dark', 'dark'];
const MAX_CAPTION_TAGS = 6;

/** Where npm put the openmoji package; a clear error when it is missing. */
export function openMojiRoot(): string {
  try {
    return dirname(createRequire(import.meta.url).resolve('openmoji/package.json'));
  } catch (err) {
    throw new RosettaError('NOT_FOUND', 'openmoji package not found in node_modules; run `npm install`', { cause: err });
  }
}

/**
 * Loads and links the catalogue.
 * @example loadOpenMoji().byHex.get('1F44B-1F3FF') // {annotation: 'waving hand: dark skin tone', skinToneBase: '1F44B', skinTone: 'dark skin tone', family: '1F44B', ...}
 */
export function loadOpenMoji(root = openMojiRoot()): OpenMojiCatalogue {
  const dataPath = join(root, 'data', 'openmoji.json');
  if (!existsSync(dataPath)) throw new RosettaError('NOT_FOUND', `openmoji data file ${dataPath} is missing; reinstall the openmoji package`);
  const rows = JSON.parse(readFileSync(dataPath, 'utf8')) as OpenMojiRow[];
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  const colour = new Set(readdirSync(join(root, 'color', 'svg')));
  const black = new Set(readdirSync(join(root, 'black', 'svg')));
  // File order is group and subgroup order (OpenMoji's extras, which have no `order`, come last).
  const usable = rows.filter((r) => colour.has(`${r.hexcode}.svg`) && black.has(`${r.hexcode}.svg`));

  const rowByHex = new Map(usable.map((r) => [r.hexcode, r]));
  const hexByAnnotation = new Map<string, string>();
  for (const r of usable) if (!hexByAnnotation.has(r.annotation)) hexByAnnotation.set(r.annotation, r.hexcode);

  const entries: EmojiEntry[] = usable.map((r) => {
    const entry: EmojiEntry = {
      hexcode: r.hexcode,
      emoji: r.emoji,
      annotation: r.annotation,
      tags: [],
      group: r.group,
      subgroup: r.subgroups,
      family: r.hexcode,
      sketchOwner: r.hexcode,
      colourSvg: join(root, 'color', 'svg', `${r.hexcode}.svg`),
      blackSvg: join(root, 'black', 'svg', `${r.hexcode}.svg`),
    };
    const tone = skinToneText(r.skintone);
    if (tone && r.skintone_base_hexcode !== r.hexcode && rowByHex.has(r.skintone_base_hexcode)) {
      entry.skinTone = tone;
      entry.skinToneBase = r.skintone_base_hexcode;
    }
    const gendered = genderBaseOf(r.annotation, hexByAnnotation);
    if (gendered) {
      entry.gender = gendered.gender;
      entry.genderBase = gendered.base;
    }
    return entry;
  });
  const byHex = new Map(entries.map((e) => [e.hexcode, e]));
  const ownerByDrawing = new Map<string, string>();
  for (const e of entries) {
    const digest = createHash('sha1').update(readFileSync(e.blackSvg)).digest('hex');
    e.sketchOwner = ownerByDrawing.get(digest) ?? e.hexcode;
    ownerByDrawing.set(digest, e.sketchOwner);
  }

  for (const e of entries) {
    e.family = familyRoot(e, byHex);
    e.tags = captionTags(e.annotation, tagSource(e, byHex, rowByHex));
  }
  return { root, version, entries, byHex };
}

/** "1,5" -> "light skin tone, dark skin tone"; "" -> undefined. */
export function skinToneText(skintone: string | number): string | undefined {
  const parts = String(skintone).split(',').map((s) => s.trim()).filter(Boolean);
  const names = parts.map((p) => TONE_NAMES[Number(p)]).filter((n): n is string => Boolean(n));
  return names.length > 0 && names.length === parts.length ? names.map((n) => `${n} skin tone`).join(', ') : undefined;
}

/**
 * OpenMoji encodes gender two ways (ZWJ + 2640/2642 after a person emoji, or 1F468/1F469 in
 * place of 1F9D1 in profession sequences), but the annotations are regular in both:
 * "woman gesturing OK" / "person gesturing OK", "man health worker" / "health worker",
 * "woman: red hair" / "person: red hair". Matching annotations covers both encodings and the
 * skin-toned forms ("man pilot: dark skin tone" / "pilot: dark skin tone").
 */
function genderBaseOf(annotation: string, hexByAnnotation: Map<string, string>): { gender: 'woman' | 'man'; base: string } | undefined {
  const m = /^(woman|man)(:? )(.+)$/.exec(annotation);
  if (!m) return undefined;
  const [, gender, sep, rest] = m;
  const base = hexByAnnotation.get(`person${sep}${rest}`) ?? (sep === ' ' ? hexByAnnotation.get(rest) : undefined);
  return base ? { gender: gender as 'woman' | 'man', base } : undefined;
}

function familyRoot(e: EmojiEntry, byHex: Map<string, EmojiEntry>): string {
  let cur = e;
  for (let hops = 0; hops < 8; hops++) {
    const next = byHex.get(cur.skinToneBase ?? cur.genderBase ?? '');
    if (!next) break;
    cur = next;
  }
  return cur.hexcode;
}

/** Variants carry no tags of their own in openmoji.json; borrow the nearest base's. */
function tagSource(e: EmojiEntry, byHex: Map<string, EmojiEntry>, rowByHex: Map<string, OpenMojiRow>): OpenMojiRow {
  let cur = e;
  for (let hops = 0; hops < 8; hops++) {
    const row = rowByHex.get(cur.hexcode)!;
    const next = byHex.get(cur.skinToneBase ?? cur.genderBase ?? '');
    if (row.tags || row.openmoji_tags || !next) return row;
    cur = next;
  }
  return rowByHex.get(cur.hexcode)!;
}

function captionTags(annotation: string, source: OpenMojiRow): string[] {
  // Tags already spelled out in the annotation add nothing ("grinning" for "grinning face",
  // "thumbs up" for "thumbs up: dark skin tone").
  const words = (text: string): string => ` ${text.toLowerCase().replace(/[^\p{L}\p{N}+-]+/gu, ' ').trim()} `;
  const spelled = words(annotation);
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of `${source.openmoji_tags},${source.tags}`.split(',')) {
    const tag = raw.trim().toLowerCase();
    if (!tag || seen.has(tag) || spelled.includes(words(tag))) continue;
    seen.add(tag);
    out.push(tag);
    if (out.length === MAX_CAPTION_TAGS) break;
  }
  return out;
}

/**
 * The caption an image is trained and evaluated with.
 * @example emojiCaption({annotation: 'grinning face', tags: ['smile', 'happy', 'cheerful']}) // 'grinning face — smile, happy, cheerful'
 */
export function emojiCaption(e: Pick<EmojiEntry, 'annotation' | 'tags'>): string {
  return e.tags.length > 0 ? `${e.annotation} — ${e.tags.join(', ')}` : e.annotation;
}
