/** Messages between the page and the training worker. */
import type { StepResult, TrainConfig } from './trainer.js';

export type ToWorker =
  // `wasm`: the page's compiled kernel module, so the worker neither fetches nor compiles it again.
  | { kind: 'init'; mnist: Uint8Array; device: string; config: Partial<TrainConfig>; wasm: WebAssembly.Module | null }
  | { kind: 'start' }
  | { kind: 'pause' }
  /** `run` numbers the runs: steps of an earlier run that are still in flight are dropped. */
  | { kind: 'reset'; run: number }
  | { kind: 'configure'; config: Partial<TrainConfig> }
  | { kind: 'device'; device: string }
  | { kind: 'weights' }
  | { kind: 'bench'; devices: string[]; batchSize: number; steps: number; wasm: WebAssembly.Module | null };

export interface BenchResult {
  device: string;
  imagesPerSecond: number | null;
  msPerStep: number | null;
  error: string | null;
}

export type FromWorker =
  | { kind: 'ready'; device: string; devices: string[]; trainSize: number }
  | { kind: 'step'; result: StepResult; device: string; run: number }
  | { kind: 'state'; running: boolean; steps: number; device: string }
  | { kind: 'weights'; bytes: Uint8Array; steps: number }
  | { kind: 'bench'; result: BenchResult }
  | { kind: 'benchDone' }
  | { kind: 'error'; message: string };
