import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { creditsMarkdown, DEMO_CREDITS, OWN_SOUNDS } from './credits.ts';

describe('credits', () => {
  it("carries OpenMoji's requested attribution and both licenses", () => {
    const md = creditsMarkdown(DEMO_CREDITS);
    expect(md).toContain('All emojis designed by OpenMoji – the open-source emoji and icon project. License: CC BY-SA 4.0');
    expect(md).toContain('https://creativecommons.org/licenses/by-sa/4.0/');
    expect(md).toContain('Unlicense');
  });

  it('matches data/CREDITS.md, which is written by hand', () => {
    const repo = readFileSync(join(import.meta.dirname, '..', 'CREDITS.md'), 'utf8');
    expect(repo).toContain(OWN_SOUNDS);
    expect(creditsMarkdown(DEMO_CREDITS)).toContain(OWN_SOUNDS);
    for (const c of DEMO_CREDITS) {
      expect(repo).toContain(`## ${c.name}\n\n${c.text}\n`);
      expect(repo).toContain(`- Project: ${c.url}`);
      expect(repo).toContain(`- License: ${c.license} (${c.licenseUrl})`);
    }
  });
});
