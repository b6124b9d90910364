import { describe } from './errors.js';

/**
 * The IDX format of the MNIST files: a big-endian u32 magic (0x0000, a type code, the number of
 * dimensions), one big-endian u32 per dimension, then the values. MNIST uses type 0x08 (unsigned byte):
 * magic 2049 for label files (1 dimension) and 2051 for image files (3 dimensions).
 */
export const IDX_LABELS_MAGIC = 0x00000801;
export const IDX_IMAGES_MAGIC = 0x00000803;

export interface IdxImages {
  count: number;
  rows: number;
  cols: number;
  /** count × rows × cols bytes, row-major. */
  data: Uint8Array;
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

function readHeader(bytes: Uint8Array, file: string, magic: number, what: string): number[] {
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(`${file}: IDX ${what} must be a Uint8Array, got ${describe(bytes)}`);
  }
  const ndims = magic & 0xff;
  const headerBytes = 4 + 4 * ndims;
  const truncatedHeader = () =>
    new RangeError(`${file}: truncated IDX ${what} file: expected a ${headerBytes}-byte header, got ${bytes.length} bytes`);
  if (bytes.length < 4) throw truncatedHeader();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const got = view.getUint32(0, false);
  if (got !== magic) {
    throw new Error(
      `${file}: wrong magic number for an IDX ${what} file: expected ${magic} (${hex(magic)}: unsigned bytes, ${ndims} dimension${ndims > 1 ? 's' : ''}), got ${got} (${hex(got)})`,
    );
  }
  if (bytes.length < headerBytes) throw truncatedHeader();
  const dims: number[] = [];
  for (let d = 0; d < ndims; d++) dims.push(view.getUint32(4 + 4 * d, false));
  const expected = headerBytes + dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== expected) {
    throw new RangeError(
      `${file}: ${bytes.length < expected ? 'truncated' : 'trailing bytes in'} IDX ${what} file: header says ${dims.join('×')} so expected ${expected} bytes, got ${bytes.length}`,
    );
  }
  return dims;
}

/** Parses an (uncompressed) IDX image file. The result views `bytes` without copying. */
export function parseIdxImages(bytes: Uint8Array, file = 'IDX images'): IdxImages {
  const [count, rows, cols] = readHeader(bytes, file, IDX_IMAGES_MAGIC, 'images');
  if (rows === 0 || cols === 0) {
    throw new RangeError(`${file}: IDX images must have positive rows and cols, got ${rows}×${cols}`);
  }
  return { count, rows, cols, data: bytes.subarray(16) };
}

/**
 * Parses an (uncompressed) IDX label file; every label must be below `numClasses`.
 * The result views `bytes` without copying.
 */
export function parseIdxLabels(bytes: Uint8Array, file = 'IDX labels', numClasses = 10): Uint8Array {
  readHeader(bytes, file, IDX_LABELS_MAGIC, 'labels');
  const labels = bytes.subarray(8);
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= numClasses) {
      throw new RangeError(`${file}: label ${i} must be in [0, ${numClasses - 1}], got ${labels[i]}`);
    }
  }
  return labels;
}

/** Writes an IDX image file (for tests, tools and exporting datasets). */
export function encodeIdxImages(images: Uint8Array, count: number, rows: number, cols: number): Uint8Array {
  if (images.length !== count * rows * cols) {
    throw new RangeError(`encodeIdxImages: ${count} images of ${rows}×${cols} need ${count * rows * cols} bytes, got ${images.length}`);
  }
  const out = new Uint8Array(16 + images.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, IDX_IMAGES_MAGIC, false);
  view.setUint32(4, count, false);
  view.setUint32(8, rows, false);
  view.setUint32(12, cols, false);
  out.set(images, 16);
  return out;
}

/** Writes an IDX label file. */
export function encodeIdxLabels(labels: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + labels.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, IDX_LABELS_MAGIC, false);
  view.setUint32(4, labels.length, false);
  out.set(labels, 8);
  return out;
}
