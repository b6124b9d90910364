/** A strip of held-out digits with the page LeNet's predictions; wrong ones are highlighted. */
import { argmax } from '../lib/lenet-session.js';
import type { App } from './app.js';
import { clear, drawDigit, errorText, h } from './dom.js';

export class PredictionStrip {
  readonly el: HTMLElement;
  private readonly grid: HTMLElement;
  private readonly summary: HTMLElement;
  private offset = 0;

  constructor(
    private readonly app: App,
    private readonly count: number,
    id: string,
  ) {
    this.grid = h('ul', { class: 'digits', 'aria-label': 'Test digits and predictions' });
    this.summary = h('p', { class: 'summary', role: 'status' });
    const next = h('button', { type: 'button' }, 'Other digits');
    next.addEventListener('click', () => {
      this.offset = (this.offset + this.count) % app.mnist.test.length;
      void this.update();
    });
    this.el = h('section', { class: 'predictions', id }, h('div', { class: 'toolbar' }, this.summary, next), this.grid);
    app.onModelChange(() => this.update());
  }

  async update(): Promise<void> {
    const { test } = this.app.mnist;
    const digits: Uint8Array[] = [];
    const labels: number[] = [];
    for (let k = 0; k < this.count; k++) {
      // spread over the split so every class shows up
      const [img, label] = test.get((this.offset + k * 97) % test.length);
      digits.push(img as Uint8Array); // the bundled cache holds bytes
      labels.push(label);
    }
    let probs: Float32Array[];
    try {
      probs = await this.app.session.predict(digits);
    } catch (e) {
      this.summary.textContent = `Prediction failed: ${errorText(e)}`;
      return;
    }
    clear(this.grid);
    let wrong = 0;
    digits.forEach((d, k) => {
      const p = argmax(probs[k]);
      const ok = p === labels[k];
      if (!ok) wrong++;
      const c = h('canvas', { width: 28, height: 28, 'aria-hidden': 'true' });
      drawDigit(c, d);
      this.grid.append(
        h(
          'li',
          { class: ok ? 'digit' : 'digit wrong', 'data-pred': p, 'data-label': labels[k] },
          c,
          h('span', {}, ok ? `${p}` : `${p} ✗ (is ${labels[k]})`),
        ),
      );
    });
    this.el.dataset.device = this.app.session.device;
    this.el.dataset.wrong = String(wrong);
    this.summary.textContent = `${this.count - wrong}/${this.count} right · weights: ${this.app.session.source} · on ${this.app.session.device}`;
  }
}
