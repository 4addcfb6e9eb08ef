/**
 * The page: wires the four query inputs (words, image + composed text, sketch, sound), the
 * result tabs, "more like this" and the URL to the search controller.
 */
import { ApiError, getInfo, type Info, type Query, type SearchResult } from './api.ts';
import { renderCollectionInfo, renderInfoProblem } from './collection-info.ts';
import { byId, debounce, formatBytes } from './dom.ts';
import { checkFile, filePicker, pageDropAndPaste, serverDecodesAudio, type FileKind } from './files.ts';
import { Recorder } from './recorder.ts';
import { ResultsView } from './results-view.ts';
import { quote, SearchController, type DescribedQuery, type Show } from './search-controller.ts';
import { SketchPad } from './sketch-pad.ts';
import { bindSketchTools } from './sketch-tools.ts';
import { Tabs } from './tabs.ts';
import { toWav } from './wav.ts';

type InputTab = 'text' | 'image' | 'sketch' | 'audio';

const TYPING_DEBOUNCE_MS = 250;
const DRAWING_DEBOUNCE_MS = 350;

let info: Info | null = null;
let imageFile: File | null = null;
let audioFile: File | null = null;
/** "More like this" replaces the inputs' query until the user touches an input again. */
let similarTo: { itemId: number | string; caption: string | null } | null = null;
let balanceTouched = false;

const textForm = byId('text-form', HTMLFormElement);
const textBox = byId('q', HTMLInputElement);
const changeBox = byId('change', HTMLInputElement);
const balance = byId('balance', HTMLInputElement);
const balanceOut = byId('balance-out', HTMLOutputElement);
const imagePreview = byId('image-preview', HTMLImageElement);
const imageName = byId('image-name', HTMLParagraphElement);
const imageRemove = byId('image-remove', HTMLButtonElement);
const audioPreview = byId('audio-preview', HTMLAudioElement);
const audioStatus = byId('audio-status', HTMLParagraphElement);
const chip = byId('query-chip', HTMLDivElement);
const chipText = byId('query-chip-text', HTMLSpanElement);

function idleMessage(): string {
  if (!info) return 'Type words, drop or paste an image, draw a sketch, or use a sound to search.';
  const { image, audio } = info.byModality;
  if (info.items === 0) return 'The collection is empty: index some images or sounds with `rosetta index`, then search here.';
  return `Type words, drop or paste an image, draw a sketch, or use a sound to search ${info.items} items (${image} images, ${audio} sounds).`;
}

const view = new ResultsView({
  moreLikeThis: (result) => moreLikeThis(result),
  loadMore: () => void controller.more(),
});
const controller = new SearchController(view, idleMessage);
// Results follow the visible panel: one that holds a query (words, a chosen image, a sketch)
// searches with it at once, an empty one goes back to the idle state. A "more like this" query
// belongs to no panel, so it stays until an input is used.
const inputTabs = new Tabs<InputTab>(byId('input-tabs', HTMLDivElement), (tab) => tab.id.replace('tab-', '') as InputTab, () => {
  if (similarTo && !fromInputs()) return;
  leaveSimilar();
  void searchNow();
});
const showTabs = new Tabs<Show>(byId('modality-tabs', HTMLDivElement), (tab) => (tab.dataset.modality ?? 'all') as Show, (show) => {
  void controller.setShow(show);
  syncUrl();
});

const pad = new SketchPad(byId('sketch', HTMLCanvasElement), (final) => {
  updateSketchTools();
  leaveSimilar();
  // While a stroke goes on, search once the hand pauses; a finished stroke, undo or clear sooner.
  if (final) searchSoon();
  else searchWhileDrawing();
});

const updateSketchTools = bindSketchTools(pad);

// ---- the query the inputs describe ---------------------------------------------------------

function textWeight(): number {
  return Number(balance.value) / 100;
}

function fromInputs(): DescribedQuery | null {
  switch (inputTabs.selected) {
    case 'text': {
      const text = textBox.value.trim();
      return text ? { query: { text }, label: `for ${quote(text)}` } : null;
    }
    case 'image': {
      if (!imageFile) return null;
      const change = changeBox.value.trim();
      if (!change) return { query: { image: imageFile }, label: 'like your image' };
      const w = textWeight();
      const query: Query = { image: imageFile, text: change, weights: { image: 1 - w, text: w } };
      return { query, label: `for your image changed by ${quote(change)}` };
    }
    case 'sketch':
      return pad.isBlank ? null : { query: { sketch: pad.toDataUrl() }, label: 'like your sketch' };
    case 'audio':
      return audioFile ? { query: { audio: audioFile }, label: `like your sound${audioFile.name ? ` ${quote(audioFile.name)}` : ''}` } : null;
  }
}

function currentQuery(): DescribedQuery | null {
  if (similarTo) {
    const name = similarTo.caption ? quote(similarTo.caption) : `item ${similarTo.itemId}`;
    return { query: { itemId: similarTo.itemId }, label: `like ${name}` };
  }
  return fromInputs();
}

/** Searches with the current query now; resolves when it has answered, failed or been replaced. */
function searchNow(): Promise<void> {
  searchSoon.cancel();
  searchWhileDrawing.cancel();
  const done = controller.run(currentQuery());
  syncUrl();
  return done;
}
const searchSoon = debounce(() => void searchNow(), TYPING_DEBOUNCE_MS);
const searchWhileDrawing = debounce(() => void searchNow(), DRAWING_DEBOUNCE_MS);

// ---- URL: text queries, "more like this" and the tab can be shared ---------------------------

function syncUrl(push = false): void {
  const params = new URLSearchParams();
  const q = controller.query?.query;
  if (similarTo) params.set('item', String(similarTo.itemId));
  else if (q?.text && !q.image) params.set('q', q.text);
  if (controller.show !== 'all') params.set('show', controller.show);
  const search = params.toString();
  const url = `${window.location.pathname}${search ? `?${search}` : ''}`;
  if (url === `${window.location.pathname}${window.location.search}`) return;
  if (push) history.pushState(null, '', url);
  else history.replaceState(null, '', url);
}

function restoreFromUrl(): void {
  const params = new URLSearchParams(window.location.search);
  const show = params.get('show');
  controller.show = show === 'image' || show === 'audio' ? show : 'all';
  showTabs.select(controller.show);
  const item = params.get('item');
  const q = params.get('q');
  similarTo = item ? { itemId: /^\d+$/.test(item) ? Number(item) : item, caption: null } : null;
  chip.hidden = !similarTo;
  if (similarTo) chipText.textContent = `More like item ${similarTo.itemId}`;
  if (q !== null) {
    textBox.value = q;
    inputTabs.select('text');
  }
  searchSoon.cancel();
  void controller.run(currentQuery());
}

// ---- more like this ---------------------------------------------------------------------------

function moreLikeThis(result: SearchResult): void {
  similarTo = { itemId: result.id, caption: result.caption };
  chipText.textContent = `More like “${result.caption ?? result.externalId}”`;
  chip.hidden = false;
  searchSoon.cancel();
  void controller.run(currentQuery());
  syncUrl(true);
  // The button pressed goes away with the old results; the status line names the new query.
  view.focusStatus();
  byId('results-section', HTMLElement).scrollIntoView({ behavior: 'smooth', block: 'start' });
}

/** The user touched an input: their input is the query again. */
function leaveSimilar(): void {
  if (!similarTo) return;
  similarTo = null;
  chip.hidden = true;
}

byId('query-chip-clear', HTMLButtonElement).addEventListener('click', () => {
  leaveSimilar();
  void searchNow();
  textBox.focus();
});

// ---- words ------------------------------------------------------------------------------------

textBox.addEventListener('input', (e) => {
  if ((e as InputEvent).isComposing) return; // wait for the IME to finish the word
  leaveSimilar();
  searchSoon();
});
textForm.addEventListener('submit', (e) => {
  e.preventDefault();
  leaveSimilar();
  void searchNow();
});

// ---- image and composed search ----------------------------------------------------------------

function setImage(file: File | null): void {
  if (imagePreview.src) URL.revokeObjectURL(imagePreview.src);
  imageFile = file;
  imagePreview.hidden = !file;
  imageRemove.hidden = !file;
  imageName.hidden = !file;
  if (file) {
    imagePreview.src = URL.createObjectURL(file);
    imagePreview.alt = `Your image: ${file.name}`;
    imageName.textContent = `${file.name || 'Pasted image'} · ${formatBytes(file.size)}`;
  } else {
    imagePreview.removeAttribute('src');
  }
}

// Some formats the server reads (TIFF, say) the browser cannot show; say so instead of a broken icon.
imagePreview.addEventListener('error', () => {
  if (!imageFile) return;
  imagePreview.hidden = true;
  imageName.textContent = `${imageFile.name} · ${formatBytes(imageFile.size)} (no preview in this browser)`;
});

function useFile(file: File, kind: FileKind): void {
  const problem = checkFile(file, kind, info?.maxUploadBytes);
  if (problem) {
    view.refuse(problem);
    // The sound panel must not go on naming the last clip as if this one were in use.
    const still = audioFile && controller.query?.query.audio === audioFile ? ` The search is still with ${quote(audioFile.name)}.` : '';
    if (kind === 'audio') audioStatus.textContent = `Not used: ${problem}${still}`;
    return;
  }
  view.clearError();
  leaveSimilar();
  if (kind === 'image') {
    setImage(file);
    inputTabs.select('image');
    void searchNow();
  } else {
    inputTabs.select('audio');
    void useAudio(file);
  }
}

filePicker(byId('image-pick', HTMLButtonElement), byId('image-file', HTMLInputElement), (file) => useFile(file, 'image'));
imageRemove.addEventListener('click', () => {
  setImage(null);
  byId('image-pick', HTMLButtonElement).focus();
  void searchNow();
});
changeBox.addEventListener('input', () => {
  updateBalance();
  leaveSimilar();
  searchSoon();
});
balance.addEventListener('input', () => {
  balanceTouched = true;
  updateBalance();
  if (changeBox.value.trim()) searchSoon();
});

function updateBalance(): void {
  const pct = Math.round(textWeight() * 100);
  balanceOut.textContent = `Image weight ${100 - pct}%, text weight ${pct}%`;
  balance.setAttribute('aria-valuetext', `text weight ${pct}%`);
}

// ---- sound ------------------------------------------------------------------------------------

async function useAudio(file: File): Promise<void> {
  let clip = file;
  if (!serverDecodesAudio(file)) {
    audioStatus.textContent = `Converting ${quote(file.name)} to WAV…`;
    try {
      clip = await toWav(file, file.name.replace(/\.[^.]*$/, '') + '.wav');
    } catch {
      // The browser cannot decode it either; send it as it is and let the server name the problem.
    }
  }
  audioFile = clip;
  if (audioPreview.src) URL.revokeObjectURL(audioPreview.src);
  audioPreview.src = URL.createObjectURL(clip);
  audioPreview.setAttribute('aria-label', `Your sound: ${clip.name}`);
  audioPreview.hidden = false;
  const described = `${quote(clip.name)} (${formatBytes(clip.size)})`;
  audioStatus.textContent = `Searching with ${described}…`;
  await searchNow();
  // Another query took over meanwhile: the results area speaks for that one.
  if (controller.query?.query.audio !== clip) return;
  const failure = controller.failure;
  audioStatus.textContent = failure ? `${described} could not be used: ${failure.message}` : `Searched with ${described}.`;
}

filePicker(byId('audio-pick', HTMLButtonElement), byId('audio-file', HTMLInputElement), (file) => useFile(file, 'audio'));
new Recorder(byId('record', HTMLButtonElement), {
  clip: (file) => {
    leaveSimilar();
    void useAudio(file);
  },
  status: (message) => {
    audioStatus.textContent = message;
  },
});

pageDropAndPaste(byId('drop-overlay', HTMLDivElement), useFile);

// ---- collection info and credits --------------------------------------------------------------

async function loadInfo(attempt = 0): Promise<void> {
  try {
    info = await getInfo();
    renderCollectionInfo(info);
    if (!balanceTouched) balance.value = String(Math.round(info.composedTextWeight * 100));
    updateBalance();
    // A search made while the server was starting (a shared link opened early) failed with
    // NOT_READY or did not get through; now that it is ready, ask again.
    const failure = controller.failure;
    if (failure && (failure.status === 0 || failure.status >= 500)) void searchNow();
    else if (!controller.query) view.idle(idleMessage());
  } catch (err) {
    const starting = err instanceof ApiError && err.status === 503;
    renderInfoProblem(
      starting
        ? 'The server is still starting (it may be training its space); this page will update when it is ready.'
        : `Could not load the collection's details: ${err instanceof Error ? err.message : String(err)} Retrying…`,
    );
    setTimeout(() => void loadInfo(attempt + 1), Math.min(10_000, 1000 * 2 ** attempt));
  }
}

window.addEventListener('popstate', restoreFromUrl);
updateBalance();
restoreFromUrl();
void loadInfo();
