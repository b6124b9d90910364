/** Benchmark: the same LeNet training step on each available device, images/s side by side. */
import { availableDevices } from '@mge/core';
import type { BenchResult, FromWorker } from '../lib/protocol.js';
import { h } from './dom.js';
import { startWorker } from './train-tab.js';

export class BenchTab {
  private readonly body = h('tbody', {});
  private readonly run = h('button', { type: 'button', id: 'bench-run' }, 'Run benchmark');
  private readonly status = h(
    'p',
    { role: 'status', id: 'bench-status' },
    'Runs in its own worker; pause training first for a fair number.',
  );

  /** `wasmModule`: the page's compiled kernels, handed to the bench worker. */
  constructor(
    readonly root: HTMLElement,
    private readonly wasmModule: WebAssembly.Module | null = null,
  ) {
    const batch = h('input', { id: 'bench-batch', type: 'number', min: 1, max: 256, step: 1, value: 16 });
    const steps = h('input', { id: 'bench-steps', type: 'number', min: 1, max: 50, step: 1, value: 3 });
    this.run.addEventListener('click', () => this.start(Number(batch.value), Number(steps.value)));
    root.append(
      h(
        'div',
        { class: 'toolbar' },
        h('label', { for: 'bench-batch' }, 'batch'),
        batch,
        h('label', { for: 'bench-steps' }, 'timed steps'),
        steps,
        this.run,
      ),
      this.status,
      h(
        'table',
        { class: 'bench', id: 'bench-table' },
        h('thead', {}, h('tr', {}, ...['device', 'images/s', 'ms/step', ''].map((c) => h('th', { scope: 'col' }, c)))),
        this.body,
      ),
    );
  }

  private start(batchSize: number, steps: number): void {
    if (!(Number.isInteger(batchSize) && batchSize >= 1 && Number.isInteger(steps) && steps >= 1)) {
      this.status.textContent = `batch and steps must be positive integers, got ${batchSize} and ${steps}`;
      return;
    }
    const devices = availableDevices();
    this.run.disabled = true;
    this.body.replaceChildren();
    this.status.textContent = `Measuring ${devices.join(', ')} (1 warm-up step + ${steps} timed steps of ${batchSize} images each)…`;
    const results: BenchResult[] = [];
    const worker = startWorker();
    worker.onmessage = (e: MessageEvent<FromWorker>) => {
      const m = e.data;
      if (m.kind === 'bench') {
        results.push(m.result);
        this.show(results);
      } else if (m.kind === 'benchDone' || m.kind === 'error') {
        worker.terminate();
        this.run.disabled = false;
        this.status.textContent = m.kind === 'error' ? m.message : 'Done. Numbers are for this browser on this machine.';
      }
    };
    worker.postMessage({ kind: 'bench', devices, batchSize, steps, wasm: this.wasmModule });
  }

  private show(results: BenchResult[]): void {
    const best = Math.max(1, ...results.map((r) => r.imagesPerSecond ?? 0));
    this.body.replaceChildren(
      ...results.map((r) =>
        h(
          'tr',
          { 'data-device': r.device },
          h('th', { scope: 'row' }, r.device),
          h('td', { class: 'num' }, r.imagesPerSecond === null ? '—' : r.imagesPerSecond.toFixed(1)),
          h('td', { class: 'num' }, r.msPerStep === null ? '—' : r.msPerStep.toFixed(0)),
          h(
            'td',
            { class: 'barcell' },
            r.error
              ? h('span', { class: 'error' }, r.error)
              : h('span', { class: 'fill', style: `width:${(((r.imagesPerSecond ?? 0) / best) * 100).toFixed(1)}%` }),
          ),
        ),
      ),
    );
  }
}
