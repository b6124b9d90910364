/** Try it: draw a digit (mouse, touch or pen) and see LeNet's class probabilities. */
import { inkFromRgba, toMnistDigit } from '../lib/digit.js';
import { argmax } from '../lib/lenet-session.js';
import type { App } from './app.js';
import { drawDigit, errorText, h } from './dom.js';
import { PredictionStrip } from './predictions.js';

const PAD = 280;

export class TryTab {
  private readonly pad = h('canvas', {
    id: 'draw-pad',
    width: PAD,
    height: PAD,
    class: 'pad',
    'aria-label': 'Drawing pad: draw one digit',
  });
  private readonly preview = h('canvas', {
    id: 'draw-preview',
    width: 28,
    height: 28,
    class: 'preview',
    'aria-label': 'What the model sees (28×28)',
    role: 'img',
  });
  private readonly bars = h('ol', { class: 'bars', id: 'probabilities', 'aria-label': 'Class probabilities' });
  private readonly verdict = h('p', { class: 'verdict', id: 'verdict', role: 'status' }, 'Draw a digit in the box.');
  private digit: Uint8Array | null = null;
  private last: { x: number; y: number } | null = null;
  private pending = false;

  constructor(
    readonly root: HTMLElement,
    private readonly app: App,
  ) {
    const ctx = this.pad.getContext('2d', { willReadFrequently: true })!;
    this.blank(ctx);
    const clearBtn = h('button', { type: 'button', id: 'clear-pad' }, 'Clear');
    clearBtn.addEventListener('click', () => {
      this.blank(ctx);
      this.preview.getContext('2d')?.clearRect(0, 0, this.preview.width, this.preview.height);
      this.digit = null;
      this.bars.replaceChildren();
      this.verdict.textContent = 'Draw a digit in the box.';
    });
    this.pad.addEventListener('pointerdown', (e) => {
      this.pad.setPointerCapture(e.pointerId);
      this.last = this.point(e);
      this.stroke(ctx, this.last, this.last);
      e.preventDefault();
    });
    this.pad.addEventListener('pointermove', (e) => {
      if (!this.last) return;
      const p = this.point(e);
      this.stroke(ctx, this.last, p);
      this.last = p;
      this.schedule(ctx);
    });
    const end = () => {
      if (!this.last) return;
      this.last = null;
      this.schedule(ctx);
    };
    this.pad.addEventListener('pointerup', end);
    this.pad.addEventListener('pointercancel', end);

    const strip = new PredictionStrip(app, 12, 'try-predictions');
    root.append(
      h(
        'div',
        { class: 'cols try' },
        h('div', { class: 'pad-wrap' }, this.pad, h('div', { class: 'toolbar' }, clearBtn, h('span', {}, 'model input: '), this.preview)),
        h('div', {}, this.verdict, this.bars),
      ),
      h('h3', {}, 'Held-out test digits'),
      strip.el,
    );
    app.onModelChange(() => this.predict());
  }

  private blank(ctx: CanvasRenderingContext2D): void {
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, PAD, PAD);
  }

  private point(e: PointerEvent): { x: number; y: number } {
    const r = this.pad.getBoundingClientRect();
    return { x: ((e.clientX - r.left) / r.width) * PAD, y: ((e.clientY - r.top) / r.height) * PAD };
  }

  private stroke(ctx: CanvasRenderingContext2D, a: { x: number; y: number }, b: { x: number; y: number }): void {
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = 20;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    if (a.x === b.x && a.y === b.y) {
      // A tap: a zero-length line draws nothing in Chromium even with round caps.
      ctx.fillStyle = '#fff';
      ctx.arc(a.x, a.y, ctx.lineWidth / 2, 0, 2 * Math.PI);
      ctx.fill();
      return;
    }
    ctx.moveTo(a.x, a.y);
    ctx.lineTo(b.x, b.y);
    ctx.stroke();
  }

  /** At most one prediction in flight; moves during it fold into the next one. */
  private schedule(ctx: CanvasRenderingContext2D): void {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(async () => {
      const rgba = ctx.getImageData(0, 0, PAD, PAD).data;
      this.digit = toMnistDigit(inkFromRgba(rgba, PAD, PAD), PAD, PAD);
      try {
        await this.predict();
      } finally {
        this.pending = false;
      }
    });
  }

  private async predict(): Promise<void> {
    if (!this.digit) return;
    drawDigit(this.preview, this.digit);
    let p: Float32Array;
    try {
      [p] = await this.app.session.predict([this.digit]);
    } catch (e) {
      this.verdict.textContent = `Prediction failed: ${errorText(e)}`;
      return;
    }
    const best = argmax(p);
    this.verdict.textContent = `Looks like a ${best} (${(p[best] * 100).toFixed(1)}%)`;
    this.bars.replaceChildren(
      ...Array.from(p, (v, k) =>
        h(
          'li',
          { class: k === best ? 'bar best' : 'bar', 'data-class': k, 'data-p': v.toFixed(4) },
          h('span', { class: 'label' }, String(k)),
          h('span', { class: 'track' }, h('span', { class: 'fill', style: `width:${(v * 100).toFixed(1)}%` })),
          h('span', { class: 'value' }, `${(v * 100).toFixed(1)}%`),
        ),
      ),
    );
    this.bars.dataset.device = this.app.session.device;
  }
}
