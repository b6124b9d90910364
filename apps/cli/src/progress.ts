import { duration, int, pct } from './format.js';
import type { Sink } from './io.js';

export interface RunInfo {
  model: string;
  params: number;
  device: string;
  /** Why higher-priority devices were not used (auto only). */
  skipped: string[];
  optimizer: string;
  lr: number;
  schedule: string;
  momentum: number;
  augment: number;
  batchSize: number;
  trainSize: number;
  testSize: number;
  dataSource: string;
  /** First epoch to run (1-based) and the last. */
  firstEpoch: number;
  epochs: number;
  out: string;
  resumedFrom?: string;
}

export interface StepInfo {
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  /** Running means over the epoch so far. */
  loss: number;
  accuracy: number;
  imagesPerSec: number;
  etaSeconds: number;
}

export interface EpochInfo {
  epoch: number;
  epochs: number;
  trainLoss: number;
  trainAccuracy: number;
  testLoss: number;
  testAccuracy: number;
  seconds: number;
  imagesPerSec: number;
  checkpoint: string;
}

export interface DoneInfo {
  epochsRun: number;
  lastEpoch: number;
  testAccuracy: number | null;
  bestAccuracy: number | null;
  seconds: number;
  imagesPerSec: number;
  checkpoint: string | null;
  device: string;
  interrupted: boolean;
  /** Set when interrupted: the epoch and step at which training stopped. */
  stoppedAt?: { epoch: number; step: number; steps: number };
}

/** Receives the trainer's events; one implementation per output style. */
export interface Reporter {
  start(info: RunInfo): void;
  step(info: StepInfo): void;
  epoch(info: EpochInfo): void;
  done(info: DoneInfo): void;
}

/** Loss, accuracy, speed and ETA of a step, as shown after the bar. */
export function formatStats(s: StepInfo): string {
  return `loss ${s.loss.toFixed(4)}  acc ${pct(s.accuracy, 1).padStart(6)}  ${int(s.imagesPerSec)} img/s  ETA ${duration(s.etaSeconds)}`;
}

/** The progress-bar line, without the carriage return. Pure, for tests. */
export function formatBar(s: StepInfo, width = 24): string {
  const frac = s.steps > 0 ? Math.min(1, s.step / s.steps) : 1;
  const filled = Math.round(frac * width);
  const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
  const steps = String(s.steps);
  return `epoch ${s.epoch}/${s.epochs} ${bar} ${String(s.step).padStart(steps.length)}/${steps}  ${formatStats(s)}`;
}

function header(out: Sink, r: RunInfo): void {
  const lines = [
    `model ${r.model} (${int(r.params)} parameters) on device ${r.device}`,
    ...r.skipped.map((s) => `  skipped ${s}`),
    `data ${r.dataSource}: ${int(r.trainSize)} training / ${int(r.testSize)} held-out images`,
    `${r.optimizer} lr ${r.lr}${r.schedule === 'cosine' ? ' (cosine decay)' : ''}${r.optimizer === 'sgd' ? ` momentum ${r.momentum}` : ''}, batch ${r.batchSize}${r.augment > 0 ? `, random shifts ±${r.augment} px` : ''}, epochs ${r.firstEpoch}..${r.epochs}${r.resumedFrom ? ` (resumed from ${r.resumedFrom})` : ''} → ${r.out}`,
  ];
  out.write(`${lines.join('\n')}\n`);
}

function epochLine(e: EpochInfo): string {
  return (
    `epoch ${e.epoch}/${e.epochs}  train loss ${e.trainLoss.toFixed(4)} acc ${pct(e.trainAccuracy)}` +
    `  held-out loss ${e.testLoss.toFixed(4)} acc ${pct(e.testAccuracy)}  ${duration(e.seconds)} (${int(e.imagesPerSec)} img/s)  saved ${e.checkpoint}`
  );
}

function summary(out: Sink, d: DoneInfo): void {
  if (d.interrupted && d.stoppedAt) {
    out.write(`interrupted at step ${d.stoppedAt.step}/${d.stoppedAt.steps} of epoch ${d.stoppedAt.epoch}; that epoch is not saved\n`);
  }
  const acc = d.testAccuracy === null ? 'not measured' : pct(d.testAccuracy);
  out.write(
    `${d.interrupted ? 'stopped' : 'done'}: ${d.epochsRun} epoch${d.epochsRun === 1 ? '' : 's'} in ${duration(d.seconds)} on ${d.device}` +
      ` (${int(d.imagesPerSec)} img/s), held-out accuracy ${acc}` +
      (d.bestAccuracy !== null && d.bestAccuracy !== d.testAccuracy ? ` (best ${pct(d.bestAccuracy)})` : '') +
      `\n${d.checkpoint ? `checkpoint: ${d.checkpoint} (epoch ${d.lastEpoch})` : 'no checkpoint written'}\n`,
  );
}

/** A live bar redrawn in place (at most ~10 times a second) on a terminal. */
export class TtyReporter implements Reporter {
  private lastDraw = 0;
  private drawn = false;
  constructor(private readonly out: Sink) {}
  start(info: RunInfo): void {
    header(this.out, info);
  }
  step(s: StepInfo): void {
    const now = Date.now();
    if (s.step !== s.steps && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    // the bar takes what the terminal has left after the numbers, up to 24 cells
    const cols = this.out.columns || 80; // 0 when the terminal does not say
    const room = cols - 1 - formatBar(s, 0).length;
    let line = formatBar(s, Math.max(0, Math.min(24, room - 1)));
    if (line.length > cols - 1) line = line.slice(0, cols - 1);
    this.out.write(`\r\x1b[2K${line}`);
    this.drawn = true;
  }
  private clear(): void {
    if (this.drawn) this.out.write('\r\x1b[2K');
    this.drawn = false;
  }
  epoch(e: EpochInfo): void {
    this.clear();
    this.out.write(`${epochLine(e)}\n`);
  }
  done(d: DoneInfo): void {
    this.clear();
    summary(this.out, d);
  }
}

/** Plain lines for logs and pipes: a progress line at every tenth of an epoch. */
export class PlainReporter implements Reporter {
  private nextTenth = 1;
  constructor(private readonly out: Sink) {}
  start(info: RunInfo): void {
    header(this.out, info);
  }
  step(s: StepInfo): void {
    if (s.step === 1) this.nextTenth = 1;
    if (s.step * 10 < this.nextTenth * s.steps || s.step === s.steps) return;
    while (s.step * 10 >= this.nextTenth * s.steps) this.nextTenth++;
    this.out.write(`epoch ${s.epoch}/${s.epochs} step ${s.step}/${s.steps}  ${formatStats(s)}\n`);
  }
  epoch(e: EpochInfo): void {
    this.out.write(`${epochLine(e)}\n`);
  }
  done(d: DoneInfo): void {
    summary(this.out, d);
  }
}

/** One JSON object per line: {"event":"start"|"step"|"epoch"|"done", ...}. Steps at most every 0.5 s. */
export class JsonReporter implements Reporter {
  private lastStep = 0;
  constructor(private readonly out: Sink) {}
  private emit(event: string, data: object): void {
    this.out.write(`${JSON.stringify({ event, ...data })}\n`);
  }
  start(info: RunInfo): void {
    this.emit('start', info);
  }
  step(s: StepInfo): void {
    const now = Date.now();
    if (s.step !== s.steps && now - this.lastStep < 500) return;
    this.lastStep = now;
    this.emit('step', s);
  }
  epoch(e: EpochInfo): void {
    this.emit('epoch', e);
  }
  done(d: DoneInfo): void {
    this.emit('done', d);
  }
}

export function createReporter(out: Sink, json: boolean): Reporter {
  if (json) return new JsonReporter(out);
  return out.isTTY ? new TtyReporter(out) : new PlainReporter(out);
}
