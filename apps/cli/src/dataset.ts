import { ArrayImageDataset, compose, MNIST, MNIST_MEAN, MNIST_STD, normalize, pad, type Transform, toTensor } from '@mge/data/node';
import { CliError } from './errors.js';

export interface DataOptions {
  /** Folder with MNIST IDX files; absent: the bundled 8,000 + 2,000 digits. */
  dataDir?: string;
  /** Keep only the first n images of the split. */
  limit?: number;
}

/** One split of MNIST, bundled or from IDX files, optionally cut to its first `limit` images. */
export function loadDigits(command: string, train: boolean, options: DataOptions = {}): ArrayImageDataset {
  let ds: MNIST;
  try {
    ds = new MNIST({ train, root: options.dataDir });
  } catch (e) {
    throw new CliError(`mge ${command}: ${(e as Error).message}`);
  }
  const [c, h, w] = ds.imageShape;
  if (c !== 1 || h !== 28 || w !== 28) {
    throw new CliError(
      `mge ${command}: expected 28×28 grey digits, got ${c}×${h}×${w} images from ${options.dataDir ?? 'the bundled MNIST'}`,
    );
  }
  const n = options.limit === undefined ? ds.length : Math.min(options.limit, ds.length);
  if (n === ds.length) return ds;
  const size = c * h * w;
  return new ArrayImageDataset(ds.images.subarray(0, n * size), ds.labels.subarray(0, n), ds.imageShape);
}

/**
 * Bytes 0..255 of a square digit → the model's input: padded from `imageSide` to
 * `inputSide` (28 → 32 for LeNet), scaled to [0, 1], normalized with MNIST's statistics.
 */
export function digitTransform(inputSide: number, imageSide = 28): Transform {
  if (inputSide < imageSide || (inputSide - imageSide) % 2 !== 0) {
    throw new CliError(`a ${imageSide}×${imageSide} image cannot be fitted to the model's ${inputSide}×${inputSide} input`);
  }
  const steps: Transform[] = [];
  if (inputSide > imageSide) steps.push(pad((inputSide - imageSide) / 2));
  steps.push(toTensor(), normalize(MNIST_MEAN, MNIST_STD));
  return compose(steps);
}
