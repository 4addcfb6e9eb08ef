/**
 * Attribution for the demo's sources, as data (for the UI) and as Markdown (for the demo dir).
 */
import type { Credit } from './types.ts';

/** @example DEMO_CREDITS[0].name // 'OpenMoji' */
export const DEMO_CREDITS: readonly Credit[] = [
  {
    name: 'OpenMoji',
    license: 'CC BY-SA 4.0',
    url: 'https://openmoji.org/',
    licenseUrl: 'https://creativecommons.org/licenses/by-sa/4.0/',
    text:
      'All emojis designed by OpenMoji – the open-source emoji and icon project. License: CC BY-SA 4.0. ' +
      'The PNG images and line-art sketches in this collection were rendered from the OpenMoji SVGs ' +
      '(npm package openmoji 17) and are shared under the same license.',
  },
  {
    name: 'jsfxr',
    license: 'Unlicense (public domain)',
    url: 'https://github.com/chr15m/jsfxr',
    licenseUrl: 'https://unlicense.org/',
    text:
      'Sound effects synthesised with jsfxr (npm package jsfxr), a JavaScript port of DrPetter\'s sfxr by ' +
      'Eric Fredricksen, maintained by Chris McCormick; WAV encoding by riffwave.js (Pedro Ladaria, public domain).',
  },
];

/** The object sounds need no credit but should say whose they are. */
export const OWN_SOUNDS =
  "The object sounds (birds, clocks, car horns, rain, telephones, ...) are synthesised by Rosetta's own code (data/demo/object-sounds.ts) and are under Rosetta's MIT license.";

/**
 * @example creditsMarkdown(DEMO_CREDITS) // '# Credits\n\n## OpenMoji\n\nAll emojis designed by OpenMoji ...'
 */
export function creditsMarkdown(credits: readonly Credit[]): string {
  const sections = credits.map(
    (c) => `## ${c.name}\n\n${c.text}\n\n- Project: ${c.url}\n- License: ${c.license}${c.licenseUrl ? ` (${c.licenseUrl})` : ''}\n`,
  );
  return `# Credits\n\nThe Rosetta demo collection is built from open data installed by npm. ${OWN_SOUNDS}\n\n${sections.join('\n')}`;
}
