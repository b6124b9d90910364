import { checkIndex, describe } from './errors.js';

/** megengine.data.dataset.Dataset: random access by index. */
export interface Dataset<T> {
  readonly length: number;
  get(index: number): T;
}

/** One image sample: its pixels (channel-major, C×H×W) and its class label. */
export type ImageSample = [image: Uint8Array | Float32Array, label: number];

/** A dataset of equally shaped images; `imageShape` is [channels, height, width]. */
export interface ImageDataset extends Dataset<ImageSample> {
  readonly imageShape: readonly [number, number, number];
}

/**
 * Images and labels held in two flat arrays (the layout of IDX files and of the bundled cache).
 * `get(i)` returns a view of image i, not a copy: transforms must not write into their input.
 */
export class ArrayImageDataset implements ImageDataset {
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
  readonly imageShape: readonly [number, number, number];
  readonly length: number;
  private readonly imageSize: number;

  constructor(images: Uint8Array, labels: Uint8Array, imageShape: readonly [number, number, number]) {
    const name = new.target.name;
    if (!(images instanceof Uint8Array)) {
      throw new TypeError(`${name}: images must be a Uint8Array, got ${describe(images)}`);
    }
    if (!(labels instanceof Uint8Array)) {
      throw new TypeError(`${name}: labels must be a Uint8Array, got ${describe(labels)}`);
    }
    if (!Array.isArray(imageShape) || imageShape.length !== 3 || !imageShape.every((d) => Number.isInteger(d) && d > 0)) {
      throw new TypeError(`${name}: imageShape must be [channels, height, width] of positive integers, got ${JSON.stringify(imageShape)}`);
    }
    const size = imageShape[0] * imageShape[1] * imageShape[2];
    if (images.length !== labels.length * size) {
      throw new RangeError(
        `${name}: ${labels.length} labels need ${labels.length * size} image bytes (${labels.length} × ${imageShape.join('×')}), got ${images.length}`,
      );
    }
    this.images = images;
    this.labels = labels;
    this.imageShape = [imageShape[0], imageShape[1], imageShape[2]];
    this.imageSize = size;
    this.length = labels.length;
  }

  get(index: number): ImageSample {
    checkIndex(this.constructor.name, index, this.length);
    const start = index * this.imageSize;
    return [this.images.subarray(start, start + this.imageSize), this.labels[index]];
  }
}
