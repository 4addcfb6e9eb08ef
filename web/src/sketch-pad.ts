/**
 * A drawing surface on a <canvas> driven by pointer events, so mouse, pen and touch behave the
 * same. Strokes are kept as data and replayed, which makes undo, redo and clear exact; the
 * exported PNG is black strokes on white, the form the sketch encoder was trained on.
 */

export type Tool = 'pen' | 'eraser';

interface Stroke {
  kind: 'stroke';
  tool: Tool;
  width: number;
  /** Canvas pixels, x0, y0, x1, y1, … */
  points: number[];
}
type Action = Stroke | { kind: 'clear' };

const INK = '#000000';
const PAPER = '#ffffff';
/** A pixel darker than this (red channel, 0-255) is ink: at least half covered by a pen. */
const INK_BELOW = 128;

export class SketchPad {
  tool: Tool = 'pen';
  /** Stroke width in canvas pixels. */
  width = 10;
  private readonly ctx: CanvasRenderingContext2D;
  private done: Action[] = [];
  private undone: Action[] = [];
  private active: Stroke | null = null;
  private pointerId: number | null = null;
  /** Whether the canvas held no ink after the last redraw (read from its pixels). */
  private blank = true;

  /** `onChange(final)`: final is false while a stroke is being drawn, true once it ends or on undo/redo/clear. */
  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly onChange: (final: boolean) => void,
  ) {
    // Blankness is read back from the pixels after each stroke, so keep the canvas in memory.
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new Error('this browser has no 2D canvas');
    this.ctx = ctx;
    canvas.addEventListener('pointerdown', (e) => this.down(e));
    canvas.addEventListener('pointermove', (e) => this.move(e));
    canvas.addEventListener('pointerup', (e) => this.up(e));
    canvas.addEventListener('pointercancel', (e) => this.up(e));
    this.redraw();
  }

  get canUndo(): boolean {
    return this.done.length > 0;
  }
  get canRedo(): boolean {
    return this.undone.length > 0;
  }
  /**
   * True when no ink is left: nothing drawn since the last clear, or all of it erased. Counting
   * strokes cannot tell an erased drawing from a drawn one, so this is decided from the pixels.
   */
  get isBlank(): boolean {
    if (this.active?.tool === 'pen') return false;
    return this.blank; // an eraser stroke in progress can only remove ink; its end redraws and decides
  }

  undo(): void {
    const action = this.done.pop();
    if (!action) return;
    this.undone.push(action);
    this.redraw();
    this.onChange(true);
  }

  redo(): void {
    const action = this.undone.pop();
    if (!action) return;
    this.done.push(action);
    this.redraw();
    this.onChange(true);
  }

  /** Clearing is an action too, so it can be undone. */
  clear(): void {
    if (this.isBlank) return;
    this.commit({ kind: 'clear' });
  }

  toDataUrl(): string {
    return this.canvas.toDataURL('image/png');
  }

  private commit(action: Action): void {
    this.done.push(action);
    this.undone = [];
    this.redraw();
    this.onChange(true);
  }

  private point(e: PointerEvent): [number, number] {
    const box = this.canvas.getBoundingClientRect();
    return [((e.clientX - box.left) / box.width) * this.canvas.width, ((e.clientY - box.top) / box.height) * this.canvas.height];
  }

  private down(e: PointerEvent): void {
    if (this.pointerId !== null || (e.pointerType === 'mouse' && e.button !== 0)) return;
    e.preventDefault();
    this.canvas.focus({ preventScroll: true });
    this.canvas.setPointerCapture(e.pointerId);
    this.pointerId = e.pointerId;
    this.active = { kind: 'stroke', tool: this.tool, width: this.width, points: this.point(e) };
    this.drawStroke(this.active, 0);
  }

  private move(e: PointerEvent): void {
    if (e.pointerId !== this.pointerId || !this.active) return;
    const from = this.active.points.length - 2;
    // Coalesced events keep fast strokes smooth where the browser batches pointer moves.
    const events = typeof e.getCoalescedEvents === 'function' ? e.getCoalescedEvents() : [];
    for (const ev of events.length > 0 ? events : [e]) this.active.points.push(...this.point(ev));
    this.drawStroke(this.active, from);
    this.onChange(false);
  }

  private up(e: PointerEvent): void {
    if (e.pointerId !== this.pointerId || !this.active) return;
    const stroke = this.active;
    this.active = null;
    this.pointerId = null;
    if (this.canvas.hasPointerCapture(e.pointerId)) this.canvas.releasePointerCapture(e.pointerId);
    this.commit(stroke);
  }

  private redraw(): void {
    this.ctx.fillStyle = PAPER;
    this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    for (const action of this.done) {
      if (action.kind === 'clear') this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
      else this.drawStroke(action, 0);
    }
    this.blank = !this.hasInk();
  }

  /** One pass over the pixels (512 x 512: about a millisecond), stopping at the first ink. */
  private hasInk(): boolean {
    if (!this.done.some((action) => action.kind === 'stroke' && action.tool === 'pen')) return false;
    const { data } = this.ctx.getImageData(0, 0, this.canvas.width, this.canvas.height);
    for (let i = 0; i < data.length; i += 4) if (data[i] < INK_BELOW) return true;
    return false;
  }

  /** Draws the stroke from point index `from` (a flat-array index) on. */
  private drawStroke(stroke: Stroke, from: number): void {
    const { ctx } = this;
    const color = stroke.tool === 'pen' ? INK : PAPER;
    const p = stroke.points;
    if (p.length === 2) {
      ctx.fillStyle = color;
      ctx.beginPath();
      ctx.arc(p[0], p[1], stroke.width / 2, 0, Math.PI * 2);
      ctx.fill();
      ctx.fillStyle = PAPER;
      return;
    }
    ctx.strokeStyle = color;
    ctx.lineWidth = stroke.width;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(p[from], p[from + 1]);
    for (let i = from + 2; i < p.length; i += 2) ctx.lineTo(p[i], p[i + 1]);
    ctx.stroke();
  }
}
