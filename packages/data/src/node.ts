// Node-only part of @mge/data (import from '@mge/data/node'): reads the bundled cache and IDX files
// from disk. Everything browser-safe is re-exported so that Node users need a single import.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { ArrayImageDataset } from './dataset.js';
import { describe } from './errors.js';
import { parseIdxImages, parseIdxLabels } from './idx.js';
import { type MnistCache, mnistCacheUrl, parseMnistCache } from './mnist-cache.js';

export * from './index.js';

/** Path of the bundled cache file (assets/mnist-10k.bin). */
export const mnistCachePath: string = fileURLToPath(mnistCacheUrl);

let bundled: MnistCache | undefined;

/** Reads and parses the bundled cache once per process; later calls share the same arrays. */
export function loadBundledMnist(): MnistCache {
  if (bundled === undefined) {
    if (!existsSync(mnistCachePath)) {
      throw new Error(`MNIST: bundled cache ${mnistCachePath} is missing; run \`node scripts/make-cache.mjs\` in packages/data`);
    }
    const buffer = readFileSync(mnistCachePath);
    bundled = parseMnistCache(new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength), mnistCachePath);
  }
  return bundled;
}

/** Reads a file and gunzips it when it starts with the gzip magic (whatever its name). */
export function readMaybeGzipped(path: string): Uint8Array {
  const raw = readFileSync(path);
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      const out = gunzipSync(raw);
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    } catch (error) {
      throw new Error(`${path}: corrupt gzip data: ${(error as Error).message}`);
    }
  }
  return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
}

/** Finds the first existing candidate name in `root`, also trying each with `.gz`. */
function findFile(root: string, names: string[]): string {
  const tried: string[] = [];
  for (const name of names) {
    for (const candidate of [name, `${name}.gz`]) {
      const path = join(root, candidate);
      tried.push(candidate);
      if (existsSync(path)) return path;
    }
  }
  throw new Error(`MNIST: no file in ${root} matches; expected one of ${tried.join(', ')}`);
}

export interface MnistIdx {
  images: Uint8Array;
  labels: Uint8Array;
  rows: number;
  cols: number;
  imagesFile: string;
  labelsFile: string;
}

/**
 * Reads the standard MNIST IDX pair of one split from `root`: train-images-idx3-ubyte and
 * train-labels-idx1-ubyte, or t10k-*; gzipped or not; the `train-images.idx3-ubyte` spelling works too.
 */
export function readMnistIdx(root: string, train: boolean): MnistIdx {
  if (typeof root !== 'string' || root.length === 0) {
    throw new TypeError(`MNIST: root must be a directory path, got ${describe(root)}`);
  }
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new Error(`MNIST: root must be a directory holding the IDX files, got ${JSON.stringify(root)} (not a directory)`);
  }
  const prefix = train ? 'train' : 't10k';
  const imagesFile = findFile(root, [`${prefix}-images-idx3-ubyte`, `${prefix}-images.idx3-ubyte`]);
  const labelsFile = findFile(root, [`${prefix}-labels-idx1-ubyte`, `${prefix}-labels.idx1-ubyte`]);
  const images = parseIdxImages(readMaybeGzipped(imagesFile), imagesFile);
  const labels = parseIdxLabels(readMaybeGzipped(labelsFile), labelsFile);
  if (images.count !== labels.length) {
    throw new RangeError(
      `MNIST: ${imagesFile} and ${labelsFile} must hold as many images as labels: expected ${images.count} labels (the image count), got ${labels.length}`,
    );
  }
  return { images: images.data, labels, rows: images.rows, cols: images.cols, imagesFile, labelsFile };
}

export interface MNISTOptions {
  /** Training split (default) or test split. */
  train?: boolean;
  /** Folder with the IDX files (the full 60,000 + 10,000 MNIST). Absent: the bundled 8,000 + 2,000 digits. */
  root?: string;
}

/**
 * megengine.data.dataset.MNIST. `get(i)` returns [image, label]: the image is a Uint8Array of
 * rows × cols bytes (784 for MNIST; 0 = background, 255 = ink), the label a number in 0..9.
 */
export class MNIST extends ArrayImageDataset {
  readonly train: boolean;
  readonly root: string | undefined;

  constructor(options: MNISTOptions = {}) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`MNIST: options must be an object {train?, root?}, got ${describe(options)}`);
    }
    const train = options.train ?? true;
    if (typeof train !== 'boolean') throw new TypeError(`MNIST: train must be a boolean, got ${describe(train)}`);
    if (options.root === undefined) {
      const split = loadBundledMnist()[train ? 'train' : 'test'];
      super(split.images, split.labels, split.imageShape);
    } else {
      const idx = readMnistIdx(options.root, train);
      super(idx.images, idx.labels, [1, idx.rows, idx.cols]);
    }
    this.train = train;
    this.root = options.root;
  }
}
