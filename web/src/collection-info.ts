/** The footer: what the collection holds and the credits of its data (links checked by safeUrl). */
import type { Info } from './api.ts';
import { byId, el, formatBytes, safeUrl } from './dom.ts';

function link(text: string, url: string | undefined): Node {
  const href = safeUrl(url);
  return href ? el('a', { text, attrs: { href, rel: 'noopener' } }) : document.createTextNode(text);
}

export function renderCollectionInfo(info: Info): void {
  byId('collection-summary', HTMLParagraphElement).textContent =
    `This collection: ${info.byModality.image} images and ${info.byModality.audio} sounds · ` +
    `space ${info.space.version} · uploads up to ${formatBytes(info.maxUploadBytes)}.`;
  byId('credits', HTMLUListElement).replaceChildren(
    ...info.credits.map((credit) =>
      el('li', {}, [
        link(credit.name, credit.url),
        document.createTextNode(' · '),
        link(credit.license, credit.licenseUrl),
        el('span', { class: 'credit-text', text: ` — ${credit.text}` }),
      ]),
    ),
  );
}

/** Says in the footer why the collection's details are not there yet. */
export function renderInfoProblem(message: string): void {
  byId('collection-summary', HTMLParagraphElement).textContent = message;
}
