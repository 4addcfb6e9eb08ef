/** The sketch pad's toolbar (pen, eraser, width, undo, redo, clear) and its keyboard shortcuts. */
import { byId } from './dom.ts';
import type { SketchPad } from './sketch-pad.ts';

/** Binds the toolbar in index.html to `pad`; call the returned function after the pad changes. */
export function bindSketchTools(pad: SketchPad): () => void {
  const undo = byId('sketch-undo', HTMLButtonElement);
  const redo = byId('sketch-redo', HTMLButtonElement);
  const clear = byId('sketch-clear', HTMLButtonElement);
  const pen = byId('tool-pen', HTMLButtonElement);
  const eraser = byId('tool-eraser', HTMLButtonElement);
  const width = byId('stroke-width', HTMLInputElement);

  const update = (): void => {
    undo.disabled = !pad.canUndo;
    redo.disabled = !pad.canRedo;
    clear.disabled = pad.isBlank;
    pen.setAttribute('aria-pressed', String(pad.tool === 'pen'));
    eraser.setAttribute('aria-pressed', String(pad.tool === 'eraser'));
  };

  pen.addEventListener('click', () => {
    pad.tool = 'pen';
    update();
  });
  eraser.addEventListener('click', () => {
    pad.tool = 'eraser';
    update();
  });
  width.addEventListener('input', () => {
    pad.width = Number(width.value);
  });
  undo.addEventListener('click', () => pad.undo());
  redo.addEventListener('click', () => pad.redo());
  clear.addEventListener('click', () => pad.clear());
  byId('panel-sketch', HTMLDivElement).addEventListener('keydown', (e) => {
    if (!(e.ctrlKey || e.metaKey) || e.target instanceof HTMLInputElement) return;
    const key = e.key.toLowerCase();
    if (key === 'z' && !e.shiftKey) pad.undo();
    else if ((key === 'z' && e.shiftKey) || key === 'y') pad.redo();
    else return;
    e.preventDefault();
  });
  pad.width = Number(width.value);
  update();
  return update;
}
