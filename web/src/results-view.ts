/**
 * The results area: status line, error box, the grid of result cards and the "Load more"
 * button. Captions are set with textContent only.
 */
import type { ApiError, SearchResult } from './api.ts';
import { byId, el, safeUrl } from './dom.ts';

export interface ResultsViewEvents {
  moreLikeThis(result: SearchResult): void;
  loadMore(): void;
}

/** One sound plays at a time, through one <audio> element. */
class Player {
  private readonly audio = new Audio();
  private button: HTMLButtonElement | null = null;

  constructor() {
    this.audio.preload = 'none';
    this.audio.addEventListener('ended', () => this.reset());
    // A pause queued by switching sources arrives after the next play() began; ignore that one.
    this.audio.addEventListener('pause', () => {
      if (this.audio.paused) this.reset();
    });
    this.audio.addEventListener('error', () => {
      if (this.button) this.button.textContent = 'Cannot play';
      this.button = null;
    });
  }

  toggle(button: HTMLButtonElement, url: string): void {
    if (this.button === button && !this.audio.paused) {
      this.audio.pause();
      return;
    }
    this.reset();
    this.button = button;
    this.audio.src = url;
    button.textContent = '❚❚ Pause';
    button.setAttribute('aria-pressed', 'true');
    this.audio.play().catch((err: unknown) => {
      if (err instanceof DOMException && err.name === 'AbortError') return; // another play() took over
      button.textContent = 'Cannot play';
      this.button = null;
    });
  }

  stop(): void {
    this.audio.pause();
    this.reset();
  }

  private reset(): void {
    if (!this.button) return;
    this.button.textContent = '▶ Play';
    this.button.setAttribute('aria-pressed', 'false');
    this.button = null;
  }
}

export class ResultsView {
  private readonly status = byId('status', HTMLParagraphElement);
  private readonly error = byId('error', HTMLDivElement);
  private readonly grid = byId('results', HTMLUListElement);
  private readonly more = byId('more', HTMLButtonElement);
  private readonly player = new Player();
  private readonly shown = new Set<number>();
  /** The error box holds a refusal (refuse), which only a new search or clearError takes away. */
  private refused = false;

  constructor(private readonly events: ResultsViewEvents) {
    this.more.addEventListener('click', () => events.loadMore());
  }

  get count(): number {
    return this.grid.children.length;
  }

  /** No query: say what the page can do, and drop the old results. */
  idle(message: string): void {
    this.clear();
    this.setStatus(message);
  }

  loading(message: string, append: boolean): void {
    this.refused = false;
    this.error.hidden = true;
    this.grid.setAttribute('aria-busy', 'true');
    this.grid.classList.add('stale');
    if (append) this.more.disabled = true;
    else this.more.hidden = true;
    this.setStatus(message);
  }

  /**
   * Shows one page; `append` adds it below the ones shown (Load more). `fused`: the scores are
   * rank-fusion values (hybrid text search), not cosine similarities, and say so.
   */
  show(results: SearchResult[], { append, hasMore, fused }: { append: boolean; hasMore: boolean; fused: boolean }, message: string): void {
    if (!append) this.clear();
    this.grid.setAttribute('aria-busy', 'false');
    this.grid.classList.remove('stale');
    // Fused rankings can move an item across a page boundary; show it once.
    for (const result of results) {
      if (this.shown.has(result.id)) continue;
      this.shown.add(result.id);
      this.grid.append(this.card(result, fused));
    }
    this.more.hidden = !hasMore;
    this.more.disabled = false;
    this.setStatus(message);
  }

  /** A failed first page clears the old results, which answered another query. */
  fail(err: ApiError, append: boolean): void {
    const what = append ? 'Loading more' : 'Search';
    this.refused = false;
    if (!append) this.clear();
    this.grid.setAttribute('aria-busy', 'false');
    this.grid.classList.remove('stale');
    this.more.disabled = false;
    this.error.replaceChildren(el('strong', { text: `${what} failed: ` }), el('span', { text: err.message }));
    // A refused request (4xx) says in its message what to change, and its code means nothing to the
    // reader; a failure of the server or the network shows the code, small, for a bug report.
    if (err.status === 0 || err.status >= 500) this.error.append(el('span', { class: 'code', text: ` (error ${err.code})` }));
    this.error.dataset.code = err.code;
    this.error.hidden = false;
    this.setStatus(`${what} failed.`);
  }

  /**
   * An error found before any request (wrong file type, too big): nothing was searched, so the
   * results shown and their status line stay as they are, and only the error box speaks.
   */
  refuse(message: string): void {
    // Results of a search started before the refused file may still arrive; they must not hide this.
    this.refused = true;
    this.error.replaceChildren(el('strong', { text: 'Cannot search: ' }), el('span', { text: message }));
    delete this.error.dataset.code;
    this.error.hidden = false;
  }

  /** Moves focus to the status line, which names the query, when the control that had it goes away. */
  focusStatus(): void {
    this.status.focus({ preventScroll: true });
  }

  clearError(): void {
    this.refused = false;
    this.error.hidden = true;
  }

  private clear(): void {
    this.player.stop();
    this.shown.clear();
    this.grid.replaceChildren();
    this.grid.setAttribute('aria-busy', 'false');
    this.grid.classList.remove('stale');
    this.more.hidden = true;
    if (!this.refused) this.error.hidden = true;
  }

  private setStatus(message: string): void {
    this.status.textContent = message;
  }

  private card(result: SearchResult, fused: boolean): HTMLLIElement {
    const caption = result.caption ?? 'No caption';
    const thumb = safeUrl(result.thumbnailUrl) ?? (result.modality === 'image' ? safeUrl(result.contentUrl) : null);
    const content = safeUrl(result.contentUrl);

    const media = thumb
      ? el('img', { attrs: { src: thumb, alt: result.caption ?? '', loading: 'lazy', decoding: 'async', width: '160', height: '160' } })
      : el('span', { class: 'placeholder', text: result.modality === 'audio' ? '♪' : '?', attrs: { 'aria-hidden': 'true' } });
    const figure =
      content && result.modality === 'image'
        ? el('a', { class: 'thumb', attrs: { href: content, target: '_blank', rel: 'noopener', 'aria-label': `Open the image: ${caption}` } }, [media])
        : el('div', { class: 'thumb' }, [media]);

    const actions = el('div', { class: 'card-actions' });
    if (result.modality === 'audio' && content) {
      const play = el('button', { class: 'play', text: '▶ Play', attrs: { type: 'button', 'aria-pressed': 'false', 'aria-label': `Play: ${caption}` } });
      play.addEventListener('click', () => this.player.toggle(play, content));
      actions.append(play);
    }
    const like = el('button', { class: 'like', text: 'More like this', attrs: { type: 'button', 'aria-label': `More like this: ${caption}` } });
    like.addEventListener('click', () => this.events.moreLikeThis(result));
    actions.append(like);

    return el('li', { class: `card ${result.modality}`, attrs: { 'data-id': String(result.id), title: result.externalId } }, [
      figure,
      el('p', { class: result.caption === null ? 'caption none' : 'caption', text: caption }),
      el('p', { class: 'meta' }, [
        el('span', { class: 'badge', text: result.modality === 'audio' ? 'sound' : 'image' }),
        fused
          ? el('span', { class: 'score', text: `rank ${result.score.toFixed(3)}`, attrs: { title: 'Keyword and vector rankings fused (reciprocal rank fusion): higher is better, not a similarity' } })
          : el('span', { class: 'score', text: `similarity ${result.score.toFixed(3)}`, attrs: { title: 'Cosine similarity to the query in the shared space' } }),
      ]),
      actions,
    ]);
  }
}
