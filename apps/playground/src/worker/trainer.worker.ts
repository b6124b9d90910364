/// <reference lib="webworker" />
/**
 * The training worker: owns a Trainer, runs steps while started, and answers the
 * page between steps (each step ends with a macrotask yield so messages get through).
 */
import '@mge/kernels-webgpu';
import { availableDevices, ready, setDefaultDevice } from '@mge/core';
import { parseMnistCache } from '@mge/data';
import { useCompiledKernels } from '@mge/kernels-wasm';
import { benchLenetStep } from '../lib/bench.js';
import type { FromWorker, ToWorker } from '../lib/protocol.js';
import { Trainer } from '../lib/trainer.js';

const scope = self as unknown as DedicatedWorkerGlobalScope;
let trainer: Trainer | null = null;
let running = false;
let loop: Promise<void> | null = null;
let busy: Promise<unknown> = Promise.resolve();
/** The page's run number: bumped as soon as a reset arrives, before the reset itself runs. */
let run = 0;

function post(msg: FromWorker, transfer: Transferable[] = []): void {
  scope.postMessage(msg, transfer);
}

function fail(e: unknown): void {
  running = false;
  post({ kind: 'error', message: e instanceof Error ? e.message : String(e) });
}

const yieldToEvents = () => new Promise<void>((r) => setTimeout(r, 0));

function state(): void {
  if (trainer) post({ kind: 'state', running, steps: trainer.steps, device: trainer.device });
}

async function runLoop(): Promise<void> {
  while (running && trainer) {
    // Messages that change the trainer (device, reset) queue on `busy`; steps wait for them.
    const t = trainer;
    const stepRun = run;
    // The step itself runs on `busy`, so a reset or device move waits for the step in flight.
    const result = await serial(() => (running && stepRun === run ? t.step() : null));
    if (!running) break;
    // A step that began before a reset belongs to the old run: the page must not chart it.
    if (result && stepRun === run) post({ kind: 'step', result, device: t.device, run: stepRun });
    await yieldToEvents();
  }
  loop = null;
}

/** Runs `fn` after any step in flight, so it never sees a half-done step. */
function serial<T>(fn: () => Promise<T> | T): Promise<T> {
  const next = busy.then(fn, fn);
  busy = next.catch(() => undefined);
  return next;
}

async function handle(msg: ToWorker): Promise<void> {
  switch (msg.kind) {
    case 'init': {
      if (msg.wasm) useCompiledKernels(msg.wasm);
      await ready();
      setDefaultDevice(msg.device);
      const { train } = parseMnistCache(msg.mnist, 'bundled MNIST');
      trainer = new Trainer(train, msg.config);
      post({ kind: 'ready', device: trainer.device, devices: availableDevices(), trainSize: train.length });
      return;
    }
    case 'start':
      if (!trainer || running) return;
      running = true;
      state();
      loop = runLoop().catch(fail);
      return;
    case 'pause':
      running = false;
      await loop;
      state();
      return;
    case 'reset':
      run = msg.run;
      await serial(() => trainer?.reset());
      state();
      return;
    case 'configure':
      await serial(() => trainer?.configure(msg.config));
      return;
    case 'device':
      await serial(() => trainer?.moveTo(msg.device));
      state();
      return;
    case 'weights': {
      const t = trainer;
      if (!t) return;
      const bytes = await serial(() => t.weights());
      post({ kind: 'weights', bytes, steps: t.steps }, [bytes.buffer]);
      return;
    }
    case 'bench':
      if (msg.wasm) useCompiledKernels(msg.wasm);
      await ready();
      for (const device of msg.devices) post({ kind: 'bench', result: await benchLenetStep(device, msg.batchSize, msg.steps) });
      post({ kind: 'benchDone' });
      return;
  }
}

scope.onmessage = (e: MessageEvent<ToWorker>) => {
  handle(e.data).catch(fail);
};
