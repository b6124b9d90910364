/** State dict: keys in MegEngine order, shapes, value histograms; download and load .safetensors. */
import { drawBars } from '../lib/chart.js';
import { histogram } from '../lib/histogram.js';
import type { App } from './app.js';
import { clear, errorText, h } from './dom.js';
import { PredictionStrip } from './predictions.js';

export class StateTab {
  private readonly table = h('tbody', {});
  private readonly message = h('p', { class: 'message', id: 'state-message', role: 'alert', 'aria-live': 'assertive' });

  constructor(
    readonly root: HTMLElement,
    private readonly app: App,
  ) {
    const file = h('input', {
      type: 'file',
      id: 'load-weights',
      accept: '.safetensors,application/octet-stream',
      class: 'visually-hidden',
    });
    file.addEventListener('change', () => {
      const f = file.files?.[0];
      if (f) void this.loadFile(f);
      file.value = '';
    });
    const strip = new PredictionStrip(app, 8, 'state-predictions');
    root.append(
      h(
        'div',
        { class: 'toolbar' },
        h('button', { type: 'button', id: 'download-weights', onclick: () => void this.download() }, 'Download .safetensors'),
        h(
          'label',
          {
            class: 'button',
            for: 'load-weights',
            tabindex: 0,
            role: 'button',
            onkeydown: (e: Event) => {
              const k = (e as KeyboardEvent).key;
              if (k === 'Enter' || k === ' ') {
                e.preventDefault();
                file.click();
              }
            },
          },
          'Load .safetensors…',
        ),
        file,
        h('button', { type: 'button', onclick: () => void this.restore() }, 'Bundled weights'),
      ),
      this.message,
      h('h3', {}, 'Predictions with these weights'),
      strip.el,
      h('h3', {}, 'LeNet.stateDict()'),
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'state', id: 'state-table' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ...['key', 'shape', 'dtype', 'values', 'histogram', 'min', 'max', 'mean', 'std'].map((c) => h('th', { scope: 'col' }, c)),
            ),
          ),
          this.table,
        ),
      ),
    );
    app.onModelChange(() => this.render());
  }

  async render(): Promise<void> {
    const rows: HTMLElement[] = [];
    for (const [key, t] of this.app.session.model.stateDict()) {
      const values = (await t.data()) as Float32Array;
      const hist = histogram(values, 24);
      const c = h('canvas', { width: 96, height: 24, 'aria-label': `histogram of ${key}`, role: 'img' });
      drawBars(c, hist.counts, '#4a7bd0');
      const f = (v: number) => v.toFixed(3);
      rows.push(
        h(
          'tr',
          { 'data-key': key },
          h('td', { class: 'key' }, key),
          h('td', {}, `[${t.shape.join(', ')}]`),
          h('td', {}, t.dtype),
          h('td', { class: 'num' }, values.length.toLocaleString('en-US')),
          h('td', {}, c),
          h('td', { class: 'num' }, f(hist.min)),
          h('td', { class: 'num' }, f(hist.max)),
          h('td', { class: 'num' }, f(hist.mean)),
          h('td', { class: 'num' }, f(hist.std)),
        ),
      );
    }
    clear(this.table);
    this.table.append(...rows);
  }

  private say(text: string, isError: boolean): void {
    this.message.textContent = text;
    this.message.classList.toggle('error', isError);
  }

  async loadFile(f: File): Promise<void> {
    try {
      const bytes = new Uint8Array(await f.arrayBuffer());
      const ckpt = this.app.session.load(bytes, f.name);
      const meta = Object.entries(ckpt.metadata)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ');
      this.say(`Loaded ${ckpt.size} tensors from ${f.name}${meta ? ` (${meta})` : ''}.`, false);
      await this.app.modelChanged();
    } catch (e) {
      this.say(errorText(e), true);
    }
  }

  private async restore(): Promise<void> {
    this.app.session.load(this.app.bundledWeights, 'bundled lenet-mnist.safetensors');
    this.say('Restored the bundled weights.', false);
    await this.app.modelChanged();
  }

  private async download(): Promise<void> {
    try {
      const bytes = await this.app.session.save();
      const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
      const a = h('a', { href: url, download: 'lenet.safetensors' });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
      this.say(`Saved lenet.safetensors (${bytes.length.toLocaleString('en-US')} bytes).`, false);
    } catch (e) {
      this.say(errorText(e), true);
    }
  }
}
