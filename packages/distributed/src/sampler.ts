import { RandomSampler, type Sampler, SequentialSampler } from '@mge/data';
import { getRank, getWorldSize } from './world.js';

export interface DistributedSamplerOptions {
  /** Same order stream on every rank: every rank must pass the same seed (default 0). */
  seed?: number;
  /** A new permutation every epoch (default true); false keeps 0..n-1. */
  shuffle?: boolean;
  /** Drop the tail that does not divide evenly among ranks (default false: pad by wrapping around). */
  dropLast?: boolean;
  /** Defaults to getRank() / getWorldSize(). */
  rank?: number;
  worldSize?: number;
}

/**
 * Shards each epoch across ranks (MegEngine's Sampler with world_size/rank): every rank draws
 * the same epoch order from the same seed, pads it to a multiple of worldSize (or drops the
 * tail), and keeps the indices rank, rank + worldSize, ... So batch k of every rank together is
 * exactly batch k of one process reading the global order with a batch worldSize times larger.
 * `length` is this rank's share; use it with BatchSampler.
 */
export class DistributedSampler implements Sampler {
  readonly length: number;
  readonly datasetLength: number;
  readonly rank: number;
  readonly worldSize: number;
  private readonly base: Sampler;

  constructor(source: number | { length: number }, options: DistributedSamplerOptions = {}) {
    const op = 'DistributedSampler';
    if (options === null || typeof options !== 'object')
      throw new TypeError(`${op}: argument 'options' must be an object, got ${String(options)}`);
    const n = typeof source === 'number' ? source : source?.length;
    if (!Number.isInteger(n) || (n as number) < 0) {
      throw new TypeError(`${op}: expected a dataset or a non-negative integer length, got ${String(n)}`);
    }
    this.datasetLength = n as number;
    this.worldSize = options.worldSize ?? getWorldSize();
    this.rank = options.rank ?? getRank();
    if (!Number.isInteger(this.worldSize) || this.worldSize < 1) {
      throw new RangeError(`${op}: 'worldSize' must be a positive integer, got ${String(this.worldSize)}`);
    }
    if (!Number.isInteger(this.rank) || this.rank < 0 || this.rank >= this.worldSize) {
      throw new RangeError(`${op}: 'rank' must be an integer in [0, ${this.worldSize}), got ${String(this.rank)}`);
    }
    const shuffle = options.shuffle ?? true;
    if (typeof shuffle !== 'boolean') throw new TypeError(`${op}: 'shuffle' must be a boolean, got ${String(shuffle)}`);
    const dropLast = options.dropLast ?? false;
    if (typeof dropLast !== 'boolean') throw new TypeError(`${op}: 'dropLast' must be a boolean, got ${String(dropLast)}`);
    this.base = shuffle ? new RandomSampler(this.datasetLength, { seed: options.seed ?? 0 }) : new SequentialSampler(this.datasetLength);
    this.length = dropLast ? Math.floor(this.datasetLength / this.worldSize) : Math.ceil(this.datasetLength / this.worldSize);
    if (this.datasetLength === 0) this.length = 0;
  }

  /** This rank's indices for the next epoch. */
  order(): Int32Array {
    const global = this.base.order();
    const out = new Int32Array(this.length);
    for (let i = 0; i < this.length; i++) out[i] = global[(i * this.worldSize + this.rank) % global.length];
    return out;
  }

  *[Symbol.iterator](): Iterator<number> {
    yield* this.order();
  }
}
