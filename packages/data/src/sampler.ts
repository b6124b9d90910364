import type { Dataset } from './dataset.js';
import { checkBoolean, checkNonNegativeInt, checkPositiveInt, checkSeed, describe } from './errors.js';
import { Mulberry32, randomSeed } from './prng.js';

/** Decides the order in which a dataset is read: one call of `order()` is one epoch. */
export interface Sampler {
  readonly length: number;
  order(): Int32Array;
}

function lengthOf(owner: string, source: number | Dataset<unknown>): number {
  if (typeof source === 'number') return checkNonNegativeInt(owner, 'length', source);
  if (source !== null && typeof source === 'object' && typeof source.length === 'number') {
    return checkNonNegativeInt(owner, 'dataset.length', source.length);
  }
  throw new TypeError(`${owner}: expected a dataset or a length, got ${describe(source)}`);
}

/** 0, 1, ..., n-1 every epoch (megengine.data.SequentialSampler without the batching). */
export class SequentialSampler implements Sampler {
  readonly length: number;

  constructor(source: number | Dataset<unknown>) {
    this.length = lengthOf('SequentialSampler', source);
  }

  order(): Int32Array {
    const o = new Int32Array(this.length);
    for (let i = 0; i < o.length; i++) o[i] = i;
    return o;
  }

  *[Symbol.iterator](): Iterator<number> {
    yield* this.order();
  }
}

export interface RandomSamplerOptions {
  /** Unsigned 32-bit seed; the same seed gives the same sequence of epoch orders. Random when absent. */
  seed?: number;
}

/**
 * A fresh uniform permutation every epoch, drawn from the sampler's own mulberry32 stream: two samplers
 * built with the same seed produce the same order in epoch 1, the same (different) order in epoch 2, ...
 */
export class RandomSampler implements Sampler {
  readonly length: number;
  readonly seed: number;
  private readonly rng: Mulberry32;

  constructor(source: number | Dataset<unknown>, options: RandomSamplerOptions = {}) {
    this.length = lengthOf('RandomSampler', source);
    this.seed = options.seed === undefined ? randomSeed() : checkSeed('RandomSampler', options.seed);
    this.rng = new Mulberry32(this.seed);
  }

  order(): Int32Array {
    return this.rng.permutation(this.length);
  }

  *[Symbol.iterator](): Iterator<number> {
    yield* this.order();
  }
}

export interface BatchSamplerOptions {
  batchSize: number;
  /** Drop the last batch when it is smaller than batchSize (default false). */
  dropLast?: boolean;
}

/** Groups a sampler's order into batches of indices. */
export class BatchSampler {
  readonly sampler: Sampler;
  readonly batchSize: number;
  readonly dropLast: boolean;

  constructor(sampler: Sampler, options: BatchSamplerOptions) {
    if (sampler === null || typeof sampler !== 'object' || typeof sampler.order !== 'function') {
      throw new TypeError(`BatchSampler: sampler must have an order() method, got ${describe(sampler)}`);
    }
    this.sampler = sampler;
    this.batchSize = checkPositiveInt('BatchSampler', 'batchSize', options?.batchSize);
    this.dropLast = checkBoolean('BatchSampler', 'dropLast', options.dropLast ?? false);
  }

  /** Number of batches per epoch. */
  get length(): number {
    const n = this.sampler.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The batches of one epoch (draws the sampler's order once). */
  batches(): Int32Array[] {
    const order = this.sampler.order();
    const out: Int32Array[] = [];
    const count = this.length;
    for (let b = 0; b < count; b++) {
      out.push(order.subarray(b * this.batchSize, Math.min((b + 1) * this.batchSize, order.length)));
    }
    return out;
  }

  *[Symbol.iterator](): Iterator<Int32Array> {
    yield* this.batches();
  }
}
