/** Train LeNet in a Web Worker with live loss/accuracy charts. */
import { drawChart, smooth } from '../lib/chart.js';
import type { FromWorker, ToWorker } from '../lib/protocol.js';
import { checkConfig, DEFAULT_CONFIG, type StepResult, type TrainConfig } from '../lib/trainer.js';
import type { App } from './app.js';
import { errorText, h } from './dom.js';

export function startWorker(): Worker {
  return new Worker(new URL('../worker/trainer.worker.ts', import.meta.url), { type: 'module', name: 'mge-trainer' });
}

export class TrainTab {
  private readonly worker: Worker;
  private running = false;
  /** Numbers the runs (bumped by Reset); the worker tags each step with the run it belongs to. */
  private run = 0;
  /** The device the worker is moving training to, until its state says it is there. */
  private moving: string | null = null;
  private readonly history: StepResult[] = [];
  private readonly lossCanvas = h('canvas', { class: 'chart', id: 'loss-chart', role: 'img', 'aria-label': 'Loss per step' });
  private readonly accCanvas = h('canvas', { class: 'chart', id: 'acc-chart', role: 'img', 'aria-label': 'Accuracy per step' });
  private readonly toggle = h('button', { type: 'button', id: 'train-toggle', disabled: true }, 'Start');
  private readonly stats = h('dl', { class: 'stats', id: 'train-stats' });
  private readonly message = h('p', { class: 'message', id: 'train-message', role: 'alert' });
  private readonly status = h('p', { id: 'train-status', role: 'status' }, 'Loading the bundled digits…');
  private recent: { t: number; images: number }[] = [];
  private drawPending = false;

  constructor(
    readonly root: HTMLElement,
    private readonly app: App,
    device: string,
  ) {
    const lr = h('input', { id: 'lr', type: 'number', step: 'any', min: 0.0001, max: 10, value: DEFAULT_CONFIG.lr });
    const batch = h('input', { id: 'batch', type: 'number', step: 1, min: 1, max: 512, value: DEFAULT_CONFIG.batchSize });
    const opt = h(
      'select',
      { id: 'optimizer' },
      h('option', { value: 'sgd' }, 'SGD (momentum 0.9)'),
      h('option', { value: 'adam' }, 'Adam'),
    );
    const configure = () => {
      const c: Partial<TrainConfig> = {
        lr: Number(lr.value),
        batchSize: Number(batch.value),
        optimizer: opt.value as TrainConfig['optimizer'],
      };
      const bad = checkConfig(c);
      this.say(bad.join('; '), true);
      if (!bad.length) this.send({ kind: 'configure', config: c });
    };
    for (const el of [lr, batch, opt]) el.addEventListener('change', configure);
    opt.addEventListener('change', () => {
      // Adam wants a much smaller step than SGD
      lr.value = opt.value === 'adam' ? '0.001' : String(DEFAULT_CONFIG.lr);
      configure();
    });
    this.toggle.addEventListener('click', () => this.send({ kind: this.running ? 'pause' : 'start' }));
    const reset = h('button', { type: 'button', id: 'train-reset' }, 'Reset');
    reset.addEventListener('click', () => {
      this.history.length = 0;
      this.recent = [];
      this.run++;
      this.send({ kind: 'reset', run: this.run });
      this.draw();
    });
    const use = h('button', { type: 'button', id: 'use-weights' }, 'Use these weights in Try it');
    use.addEventListener('click', () => this.send({ kind: 'weights' }));

    root.append(
      h(
        'div',
        { class: 'toolbar' },
        this.toggle,
        reset,
        h('label', { for: 'lr' }, 'learning rate'),
        lr,
        h('label', { for: 'batch' }, 'batch'),
        batch,
        h('label', { for: 'optimizer' }, 'optimizer'),
        opt,
        use,
      ),
      this.status,
      this.message,
      this.stats,
      h('div', { class: 'charts' }, this.lossCanvas, this.accCanvas),
    );

    this.worker = startWorker();
    this.worker.onmessage = (e: MessageEvent<FromWorker>) => void this.receive(e.data);
    this.worker.onerror = (e) => {
      this.say(`The training worker failed: ${e.message}`, true);
    };
    // A copy of the page's bytes: the worker never fetches the 7.85 MB cache a second time.
    const mnist = app.mnistBytes.slice();
    this.send({ kind: 'init', mnist, device, config: {}, wasm: app.wasmModule }, [mnist.buffer]);
    app.onDeviceChange((d) => {
      // The worker finishes its step in flight, then moves the model: say so until it reports the new device.
      this.moving = d;
      this.root.dataset.moving = d;
      this.status.textContent = `Moving training to ${d}…${d === 'webgpu' ? ' (the first time, WebGPU compiles its shaders: up to half a minute on a software GPU)' : ''}`;
      this.send({ kind: 'device', device: d });
    });
    new ResizeObserver(() => this.draw()).observe(this.lossCanvas);
  }

  /** A message under the toolbar: red only when it reports a problem. */
  private say(text: string, isError: boolean): void {
    this.message.textContent = text;
    this.message.classList.toggle('error', isError);
  }

  private send(msg: ToWorker, transfer: Transferable[] = []): void {
    this.worker.postMessage(msg, transfer);
  }

  private async receive(msg: FromWorker): Promise<void> {
    switch (msg.kind) {
      case 'ready':
        this.toggle.disabled = false;
        this.status.textContent = `Ready: ${msg.trainSize.toLocaleString('en-US')} training digits, training on ${msg.device}.`;
        this.root.dataset.device = msg.device;
        return;
      case 'state':
        if (this.moving === msg.device) {
          this.moving = null;
          delete this.root.dataset.moving;
          if (msg.running) this.status.textContent = `Training on ${msg.device}…`;
        }
        this.running = msg.running;
        this.toggle.textContent = msg.running ? 'Pause' : msg.steps > 0 ? 'Resume' : 'Start';
        this.toggle.setAttribute('aria-pressed', String(msg.running));
        this.root.dataset.device = msg.device;
        if (!msg.running && !this.moving)
          this.status.textContent = `${msg.steps > 0 ? 'Paused' : 'Ready'} at step ${msg.steps}, on ${msg.device}.`;
        if (msg.steps === 0) {
          this.history.length = 0;
          this.draw();
        }
        return;
      case 'step': {
        if (msg.run !== this.run) return; // posted before the worker saw the latest reset
        this.history.push(msg.result);
        const now = performance.now();
        this.recent.push({ t: now, images: msg.result.images });
        this.recent = this.recent.filter((r) => now - r.t < 3000);
        this.showStats(msg.result, msg.device);
        this.publish();
        if (!this.drawPending) {
          this.drawPending = true;
          requestAnimationFrame(() => {
            this.drawPending = false;
            this.draw();
          });
        }
        return;
      }
      case 'weights':
        try {
          this.app.session.load(msg.bytes, `trained in the browser (${msg.steps} steps)`);
          await this.app.modelChanged();
          this.say(`The page's LeNet now uses the weights after ${msg.steps} steps.`, false);
        } catch (e) {
          this.say(errorText(e), true);
        }
        return;
      case 'error':
        this.say(msg.message, true);
        return;
      default:
        return;
    }
  }

  /** Images per second over the last three seconds (the first step includes warm-up). */
  private rate(): number {
    if (this.recent.length < 2) return 0;
    const span = (this.recent[this.recent.length - 1].t - this.recent[0].t) / 1000;
    const images = this.recent.slice(1).reduce((s, r) => s + r.images, 0);
    return span > 0 ? images / span : 0;
  }

  private showStats(r: StepResult, device: string): void {
    if (!this.moving) this.status.textContent = `Training on ${device}…`;
    const items: [string, string, string][] = [
      ['step', 'stat-step', String(r.step)],
      ['epoch', 'stat-epoch', String(r.epoch)],
      ['loss', 'stat-loss', r.loss.toFixed(4)],
      ['accuracy', 'stat-acc', `${(r.accuracy * 100).toFixed(1)}%`],
      ['images/s', 'stat-rate', this.rate().toFixed(0)],
      ['device', 'stat-device', device],
    ];
    this.stats.replaceChildren(...items.flatMap(([k, id, v]) => [h('dt', {}, k), h('dd', { id }, v)]));
  }

  private draw(): void {
    const loss = this.history.map((r) => r.loss);
    const acc = this.history.map((r) => r.accuracy);
    drawChart(
      this.lossCanvas,
      [
        { values: loss, color: '#b8c7e6', width: 1 },
        { values: smooth(loss, 0.1), color: '#2a5db0', width: 2 },
      ],
      { label: 'loss (cross-entropy)', yMin: 0 },
    );
    drawChart(
      this.accCanvas,
      [
        { values: acc, color: '#c5e3c9', width: 1 },
        { values: smooth(acc, 0.1), color: '#2e7d32', width: 2 },
      ],
      { label: 'batch accuracy', yMin: 0, yMax: 1 },
    );
  }

  /** Mean loss of the first and of the latest five steps, as data attributes (for tests and tools). */
  private publish(): void {
    const mean = (rs: StepResult[]) => rs.reduce((s, r) => s + r.loss, 0) / rs.length;
    this.root.dataset.steps = String(this.history.length);
    this.root.dataset.firstLoss = mean(this.history.slice(0, 5)).toFixed(4);
    this.root.dataset.recentLoss = mean(this.history.slice(-5)).toFixed(4);
  }
}
