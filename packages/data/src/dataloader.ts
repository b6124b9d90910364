import { type Tensor, tensor } from '@mge/core';
import type { ImageDataset } from './dataset.js';
import { checkBoolean, checkPositiveInt, checkSeed, describe } from './errors.js';
import { BatchSampler, RandomSampler, type Sampler, SequentialSampler } from './sampler.js';
import type { Image, Transform } from './transforms.js';

export interface DataLoaderOptions {
  /** Images per batch (default 1, as in MegEngine). */
  batchSize?: number;
  /** A new random order every epoch (default false). Ignored when `sampler` is given. */
  shuffle?: boolean;
  /** Drop the last, smaller batch (default false). */
  dropLast?: boolean;
  /** Seed of the shuffling order (unsigned 32-bit). Same seed, same order in every epoch k. */
  seed?: number;
  /** Per-image transform applied before stacking, e.g. mnistTransform(). Default: none. */
  transform?: Transform;
  /** Custom order; excludes `shuffle` and `seed`. */
  sampler?: Sampler;
  /** Build batch k+1 while batch k is consumed by `for await` (default true). */
  prefetch?: boolean;
  /** Device for the yielded tensors (default: core's default device). */
  device?: string;
}

/** One batch as plain arrays: images (N, C, H, W) float32 and labels (N,) int32. */
export interface RawBatch {
  images: Float32Array;
  labels: Int32Array;
  shape: [n: number, channels: number, height: number, width: number];
}

export type Batch = [images: Tensor, labels: Tensor];

const KNOWN_OPTIONS = new Set(['batchSize', 'shuffle', 'dropLast', 'seed', 'transform', 'sampler', 'prefetch', 'device']);

/** Runs `fn` on a later macrotask: setImmediate in Node, a 0 ms timeout in browsers. */
function defer<T>(fn: () => T): Promise<T> {
  return new Promise((resolve, reject) => {
    const run = () => {
      try {
        resolve(fn());
      } catch (error) {
        reject(error);
      }
    };
    if (typeof setImmediate === 'function') setImmediate(run);
    else setTimeout(run, 0);
  });
}

/**
 * megengine.data.DataLoader: reads an image dataset in batches and yields [images, labels] tensors,
 * images float32 (N, C, H, W) after the transform and labels int32 (N,). Iterate with `for await`
 * (prefetching) or with a plain `for ... of`. Each iteration is one epoch.
 */
export class DataLoader {
  readonly dataset: ImageDataset;
  readonly batchSampler: BatchSampler;
  readonly transform: Transform | undefined;
  readonly prefetch: boolean;
  readonly device: string | undefined;

  constructor(dataset: ImageDataset, options: DataLoaderOptions = {}) {
    if (
      dataset === null ||
      typeof dataset !== 'object' ||
      typeof dataset.get !== 'function' ||
      typeof dataset.length !== 'number' ||
      !Array.isArray(dataset.imageShape)
    ) {
      throw new TypeError(`DataLoader: dataset must have length, get(i) and imageShape, got ${describe(dataset)}`);
    }
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`DataLoader: options must be an object, got ${describe(options)}`);
    }
    for (const key of Object.keys(options)) {
      if (!KNOWN_OPTIONS.has(key)) {
        throw new TypeError(`DataLoader: unknown option ${JSON.stringify(key)}; expected one of ${[...KNOWN_OPTIONS].join(', ')}`);
      }
    }
    const batchSize = checkPositiveInt('DataLoader', 'batchSize', options.batchSize ?? 1);
    const shuffle = checkBoolean('DataLoader', 'shuffle', options.shuffle ?? false);
    const dropLast = checkBoolean('DataLoader', 'dropLast', options.dropLast ?? false);
    this.prefetch = checkBoolean('DataLoader', 'prefetch', options.prefetch ?? true);
    if (options.seed !== undefined) checkSeed('DataLoader', options.seed);
    if (options.transform !== undefined && typeof options.transform !== 'function') {
      throw new TypeError(`DataLoader: transform must be a function (Image => Image), got ${describe(options.transform)}`);
    }
    if (options.device !== undefined && typeof options.device !== 'string') {
      throw new TypeError(`DataLoader: device must be a string, got ${describe(options.device)}`);
    }
    let sampler: Sampler;
    if (options.sampler !== undefined) {
      if (options.shuffle !== undefined || options.seed !== undefined) {
        throw new TypeError('DataLoader: sampler excludes shuffle and seed; expected one or the other, got both');
      }
      if (options.sampler === null || typeof options.sampler.order !== 'function') {
        throw new TypeError(`DataLoader: sampler must have length and order(), got ${describe(options.sampler)}`);
      }
      if (options.sampler.length !== dataset.length) {
        throw new RangeError(`DataLoader: sampler.length must equal dataset.length ${dataset.length}, got ${options.sampler.length}`);
      }
      sampler = options.sampler;
    } else {
      sampler = shuffle ? new RandomSampler(dataset, { seed: options.seed }) : new SequentialSampler(dataset);
    }
    this.dataset = dataset;
    this.batchSampler = new BatchSampler(sampler, { batchSize, dropLast });
    this.transform = options.transform;
    this.device = options.device;
  }

  /** Number of batches per epoch. */
  get length(): number {
    return this.batchSampler.length;
  }

  get batchSize(): number {
    return this.batchSampler.batchSize;
  }

  /** Reads, transforms and stacks the samples at `indices`. */
  collate(indices: ArrayLike<number>): RawBatch {
    const [c0, h0, w0] = this.dataset.imageShape;
    const n = indices.length;
    const labels = new Int32Array(n);
    let images: Float32Array | undefined;
    let shape: [number, number, number] = [0, 0, 0];
    for (let k = 0; k < n; k++) {
      const index = indices[k];
      const sample = this.dataset.get(index);
      if (!Array.isArray(sample) || sample.length !== 2) {
        throw new TypeError(`DataLoader: dataset.get(${index}) must return [image, label], got ${describe(sample)}`);
      }
      const [data, label] = sample;
      if (!Number.isInteger(label) || label < 0 || label > 0x7fffffff) {
        throw new TypeError(`DataLoader: label of sample ${index} must be a non-negative integer, got ${describe(label)}`);
      }
      let image: Image = { data, channels: c0, height: h0, width: w0 };
      if (this.transform) image = this.transform(image);
      const size = image.channels * image.height * image.width;
      if (images === undefined) {
        shape = [image.channels, image.height, image.width];
        images = new Float32Array(n * size);
      } else if (image.channels !== shape[0] || image.height !== shape[1] || image.width !== shape[2]) {
        throw new RangeError(
          `DataLoader: every image of a batch must have shape ${shape.join('×')} after the transform, sample ${index} has ${image.channels}×${image.height}×${image.width}`,
        );
      }
      if (image.data.length !== size) {
        throw new RangeError(
          `DataLoader: sample ${index} has ${image.data.length} values, its shape ${image.channels}×${image.height}×${image.width} needs ${size}`,
        );
      }
      images.set(image.data, k * size);
      labels[k] = label;
    }
    return { images: images ?? new Float32Array(0), labels, shape: [n, ...shape] };
  }

  /** Turns plain arrays into core tensors on this loader's device. */
  toTensors(raw: RawBatch): Batch {
    const device = this.device === undefined ? {} : { device: this.device };
    return [tensor(raw.images, { shape: raw.shape, ...device }), tensor(raw.labels, { dtype: 'int32', shape: [raw.shape[0]], ...device })];
  }

  /** One epoch of batches as plain arrays (no tensors: for workers, tools and tests). */
  *rawBatches(): Generator<RawBatch> {
    for (const indices of this.batchSampler.batches()) yield this.collate(indices);
  }

  *[Symbol.iterator](): Iterator<Batch> {
    for (const raw of this.rawBatches()) yield this.toTensors(raw);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Batch> {
    const batches = this.batchSampler.batches();
    if (!this.prefetch) {
      for (const indices of batches) yield this.toTensors(this.collate(indices));
      return;
    }
    const start = (k: number): Promise<RawBatch> => {
      const p = defer(() => this.collate(batches[k]));
      // A failure surfaces when the batch is awaited; if the consumer stops first, it is not "unhandled".
      p.catch(() => {});
      return p;
    };
    let next = batches.length > 0 ? start(0) : undefined;
    for (let k = 0; k < batches.length; k++) {
      const raw = await (next as Promise<RawBatch>);
      next = k + 1 < batches.length ? start(k + 1) : undefined;
      yield this.toTensors(raw);
    }
  }
}
