/**
 * LeNet training on the bundled digits, one step at a time (the worker drives it;
 * tests drive it directly in Node). Batches come from @mge/data's DataLoader.
 */
import { deserialize, GradManager, getDefaultDevice, random, serializeAsync, setDefaultDevice, type Tensor } from '@mge/core';
import { DataLoader, type ImageDataset, mnistTransform } from '@mge/data';
import * as F from '@mge/functional';
import { LeNet } from '@mge/models-zoo';
import { makeOptimizer, OPTIMIZER_KINDS, type Optim, type OptimizerKind } from './optim.js';

export interface TrainConfig {
  lr: number;
  batchSize: number;
  optimizer: OptimizerKind;
  seed: number;
}

export const DEFAULT_CONFIG: TrainConfig = { lr: 0.01, batchSize: 32, optimizer: 'sgd', seed: 1 };

export interface StepResult {
  step: number;
  epoch: number;
  loss: number;
  accuracy: number;
  images: number;
  ms: number;
}

/** Checks a partial config; returns the messages of every bad field. */
export function checkConfig(c: Partial<TrainConfig>): string[] {
  const errors: string[] = [];
  if (c.lr !== undefined && !(typeof c.lr === 'number' && Number.isFinite(c.lr) && c.lr > 0 && c.lr <= 10))
    errors.push(`learning rate must be in (0, 10], got ${c.lr}`);
  if (c.batchSize !== undefined && !(Number.isInteger(c.batchSize) && c.batchSize >= 1 && c.batchSize <= 512))
    errors.push(`batch size must be an integer in 1..512, got ${c.batchSize}`);
  if (c.optimizer !== undefined && !OPTIMIZER_KINDS.includes(c.optimizer))
    errors.push(`optimizer must be one of ${OPTIMIZER_KINDS.join(', ')}, got ${c.optimizer}`);
  if (c.seed !== undefined && !(Number.isInteger(c.seed) && c.seed >= 0)) errors.push(`seed must be a non-negative integer, got ${c.seed}`);
  return errors;
}

export class Trainer {
  model!: LeNet;
  config: TrainConfig;
  private optim!: Optim;
  private loader!: DataLoader;
  private batches!: Iterator<[Tensor, Tensor]>;
  private stepCount = 0;
  private epoch = 0;

  /** Trains on core's default device (see moveTo). */
  constructor(
    private readonly dataset: ImageDataset,
    config: Partial<TrainConfig> = {},
  ) {
    const bad = checkConfig(config);
    if (bad.length) throw new RangeError(`Trainer: ${bad.join('; ')}`);
    this.config = { ...DEFAULT_CONFIG, ...config };
    this.reset();
  }

  get steps(): number {
    return this.stepCount;
  }

  /** A fresh LeNet (seeded), optimizer and data order. */
  reset(): void {
    random.seed(this.config.seed);
    this.model = new LeNet();
    this.stepCount = 0;
    this.epoch = 0;
    this.optim = makeOptimizer(this.config.optimizer, this.model.parameters(), this.config.lr);
    this.newLoader();
  }

  private newLoader(): void {
    this.loader = new DataLoader(this.dataset, {
      batchSize: this.config.batchSize,
      shuffle: true,
      seed: this.config.seed,
      dropLast: true,
      transform: mnistTransform(),
      prefetch: false,
    });
    this.batches = this.loader[Symbol.iterator]();
  }

  /** Applies new settings: lr at once, optimizer kind with fresh state, batch size from the next batch. */
  configure(c: Partial<TrainConfig>): void {
    const bad = checkConfig(c);
    if (bad.length) throw new RangeError(`Trainer.configure: ${bad.join('; ')}`);
    const prev = this.config;
    this.config = { ...prev, ...c };
    if (this.config.optimizer !== prev.optimizer)
      this.optim = makeOptimizer(this.config.optimizer, this.model.parameters(), this.config.lr);
    this.optim.lr = this.config.lr;
    if (this.config.batchSize !== prev.batchSize) this.newLoader();
  }

  private nextBatch(): [Tensor, Tensor] {
    let r = this.batches.next();
    if (r.done) {
      this.epoch++;
      this.batches = this.loader[Symbol.iterator]();
      r = this.batches.next();
    }
    return r.value;
  }

  /** One optimisation step; resolves when the loss has been read back. */
  async step(): Promise<StepResult> {
    const t0 = performance.now();
    const [images, labels] = this.nextBatch();
    this.model.train();
    const gm = new GradManager().attach(this.model.parameters());
    gm.record();
    const logits = this.model(images);
    const loss = F.crossEntropy(logits, labels);
    gm.backward(loss);
    this.optim.step();
    this.optim.clearGrad();
    const acc = F.topkAccuracy(logits.detach(), labels, 1);
    const [l, a] = await Promise.all([loss.itemAsync(), acc.itemAsync()]);
    this.stepCount++;
    return { step: this.stepCount, epoch: this.epoch, loss: l, accuracy: a, images: images.shape[0], ms: performance.now() - t0 };
  }

  /** The weights as safetensors bytes. */
  async weights(): Promise<Uint8Array> {
    return serializeAsync(this.model.stateDict(), { metadata: { model: 'lenet', steps: String(this.stepCount) } });
  }

  get device(): string {
    return getDefaultDevice();
  }

  /**
   * Makes `device` the default and moves training there, keeping the weights (the
   * optimizer state starts afresh).
   */
  async moveTo(device: string): Promise<void> {
    if (device === getDefaultDevice()) return;
    const bytes = await this.weights();
    setDefaultDevice(device);
    const fresh = new LeNet();
    fresh.loadStateDict(deserialize(bytes, { device }));
    this.model = fresh;
    this.optim = makeOptimizer(this.config.optimizer, this.model.parameters(), this.config.lr);
    this.newLoader();
  }
}
