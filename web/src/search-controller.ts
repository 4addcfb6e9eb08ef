/**
 * Runs searches for the page: one request at a time (a new query aborts the one in flight, and
 * late answers are dropped), paging with "Load more", and the sentences the status line shows.
 */
import { ApiError, isAbort, search, type ItemModality, type Query } from './api.ts';
import type { ResultsView } from './results-view.ts';

export const PAGE_SIZE = 24;

/** A query and how to speak of it: label completes "N results …", e.g. `for “red heart”`. */
export interface DescribedQuery {
  query: Query;
  label: string;
}

export type Show = 'all' | ItemModality;

const scopeText: Record<Show, string> = { all: '', image: ' among images', audio: ' among sounds' };

/** A search answered 503 (server busy) is asked again this many times, waiting at most this long each time. */
const MAX_BUSY_RETRIES = 10;
const MAX_RETRY_SECONDS = 10;

/** Longest user text echoed in a label, in characters: a pasted essay must not push the results down. */
const QUOTE_MAX = 80;

/**
 * User text in quotes for a label, shortened with an ellipsis past QUOTE_MAX characters
 * (counted as code points, so an emoji is never cut in half): `quote('red heart')` is `“red heart”`.
 */
export function quote(text: string): string {
  const chars = Array.from(text);
  return `“${chars.length > QUOTE_MAX ? `${chars.slice(0, QUOTE_MAX - 1).join('')}…` : text}”`;
}

export class SearchController {
  show: Show = 'all';
  private current: DescribedQuery | null = null;
  private nextOffset = 0;
  private inflight: AbortController | null = null;
  private generation = 0;
  private failed: ApiError | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly view: ResultsView,
    private readonly idleMessage: () => string,
  ) {}

  get query(): DescribedQuery | null {
    return this.current;
  }

  /** Why the current query's first page failed, or null (not failed, still running, or no query). */
  get failure(): ApiError | null {
    return this.failed;
  }

  /** Starts a new search from the first page; null clears the results back to the idle state. */
  run(q: DescribedQuery | null): Promise<void> {
    this.current = q;
    this.nextOffset = 0;
    this.failed = null;
    if (!q) {
      this.abort();
      this.view.idle(this.idleMessage());
      return Promise.resolve();
    }
    return this.fetchPage(false);
  }

  /** The next page of the current query, below the results already shown. */
  more(): Promise<void> {
    return this.current ? this.fetchPage(true) : Promise.resolve();
  }

  /** Shows only images, only sounds or both; the current query is asked again. */
  setShow(show: Show): Promise<void> {
    this.show = show;
    return this.run(this.current);
  }

  private abort(): void {
    clearTimeout(this.retryTimer);
    this.generation++;
    this.inflight?.abort();
    this.inflight = null;
  }

  private async fetchPage(append: boolean, retries = 0): Promise<void> {
    const q = this.current;
    if (!q) return;
    this.abort();
    const generation = this.generation;
    const controller = new AbortController();
    this.inflight = controller;
    const offset = append ? this.nextOffset : 0;
    const scope = scopeText[this.show];
    this.view.loading(append ? 'Loading more results…' : `Searching ${q.label}${scope}…`, append);
    try {
      const page = { k: PAGE_SIZE, offset, modalities: this.show === 'all' ? undefined : [this.show] };
      const response = await search(q.query, page, controller.signal);
      if (generation !== this.generation) return;
      this.nextOffset = offset + response.results.length;
      const hasMore = response.results.length === PAGE_SIZE;
      const total = (append ? this.view.count : 0) + response.results.length;
      let message: string;
      if (total === 0) {
        message = `No results ${q.label}${scope}.` + (this.show === 'all' ? ' Try other words or another query.' : ' Try the All tab.');
      } else {
        message = `${total}${hasMore ? '+' : ''} result${total === 1 ? '' : 's'} ${q.label}${scope} · ${Math.round(response.took_ms)} ms`;
      }
      this.view.show(response.results, { append, hasMore, fused: response.hybrid }, message);
    } catch (err) {
      if (isAbort(err) || generation !== this.generation) return;
      const apiError = err instanceof ApiError ? err : new ApiError('CLIENT', err instanceof Error ? err.message : String(err), 0);
      if (!append && apiError.status === 503 && retries < MAX_BUSY_RETRIES) {
        // The server is busy for a while (starting, or putting a retrained space in service):
        // ask again when it says, unless the reader has asked something else meanwhile.
        const seconds = Math.min(MAX_RETRY_SECONDS, apiError.retryAfter ?? 2);
        this.view.loading(`The server is busy (${apiError.message.replace(/\.$/, '')}); trying again in ${seconds} s…`, false);
        this.retryTimer = setTimeout(() => {
          if (generation === this.generation) void this.fetchPage(false, retries + 1);
        }, seconds * 1000);
        return;
      }
      if (!append) this.failed = apiError;
      this.view.fail(apiError, append);
    } finally {
      if (this.inflight === controller) this.inflight = null;
    }
  }
}
