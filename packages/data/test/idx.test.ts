import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeIdxImages, encodeIdxLabels, parseIdxImages, parseIdxLabels } from '../src/index.js';
import { MNIST, readMnistIdx } from '../src/node.js';

const dirs: string[] = [];
function tempDir(files: Record<string, Uint8Array>): string {
  const dir = mkdtempSync(join(tmpdir(), 'mge-data-idx-'));
  dirs.push(dir);
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

// Five real digits from the bundled cache, written out as IDX files.
const bundled = new MNIST({ train: false });
const N = 5;
const images = bundled.images.slice(0, N * 784);
const labels = bundled.labels.slice(0, N);
const imagesIdx = encodeIdxImages(images, N, 28, 28);
const labelsIdx = encodeIdxLabels(labels);

describe('IDX parsing', () => {
  it('round-trips images and labels byte for byte', () => {
    expect(imagesIdx.length).toBe(16 + N * 784);
    expect(Array.from(imagesIdx.subarray(0, 8))).toEqual([0, 0, 8, 3, 0, 0, 0, 5]);
    const parsed = parseIdxImages(imagesIdx, 'imgs');
    expect([parsed.count, parsed.rows, parsed.cols]).toEqual([5, 28, 28]);
    expect(parsed.data).toEqual(images);
    expect(Array.from(parseIdxLabels(labelsIdx, 'lbls'))).toEqual([0, 1, 2, 3, 4]);
  });

  it('names the file and the expected vs actual magic', () => {
    expect(() => parseIdxImages(labelsIdx, 'a-file')).toThrow(
      'a-file: wrong magic number for an IDX images file: expected 2051 (0x00000803: unsigned bytes, 3 dimensions), got 2049 (0x00000801)',
    );
    expect(() => parseIdxLabels(imagesIdx, 'b-file')).toThrow(
      /b-file: wrong magic number for an IDX labels file: expected 2049 .*got 2051/,
    );
  });

  it('rejects truncated files and trailing bytes with expected vs got sizes', () => {
    expect(() => parseIdxImages(imagesIdx.subarray(0, 10), 'f')).toThrow(
      'f: truncated IDX images file: expected a 16-byte header, got 10 bytes',
    );
    expect(() => parseIdxImages(imagesIdx.subarray(0, imagesIdx.length - 1), 'f')).toThrow(
      'f: truncated IDX images file: header says 5×28×28 so expected 3936 bytes, got 3935',
    );
    const extra = new Uint8Array(labelsIdx.length + 2);
    extra.set(labelsIdx);
    expect(() => parseIdxLabels(extra, 'g')).toThrow('g: trailing bytes in IDX labels file: header says 5 so expected 13 bytes, got 15');
  });

  it('rejects labels outside 0..9', () => {
    expect(() => parseIdxLabels(encodeIdxLabels(Uint8Array.of(3, 10)), 'h')).toThrow('h: label 1 must be in [0, 9], got 10');
  });
});

describe('MNIST from an IDX folder', () => {
  it('reads plain and gzipped files, for both splits', () => {
    const dir = tempDir({
      'train-images-idx3-ubyte': imagesIdx,
      'train-labels-idx1-ubyte.gz': gzipSync(labelsIdx),
      't10k-images-idx3-ubyte.gz': gzipSync(encodeIdxImages(images.subarray(0, 2 * 784), 2, 28, 28)),
      't10k-labels-idx1-ubyte': encodeIdxLabels(labels.subarray(0, 2)),
    });
    const train = new MNIST({ train: true, root: dir });
    expect(train.length).toBe(5);
    expect(train.imageShape).toEqual([1, 28, 28]);
    expect(train.get(3)[1]).toBe(3);
    expect(train.get(3)[0]).toEqual(bundled.get(3)[0]);
    const test = new MNIST({ train: false, root: dir });
    expect(test.length).toBe(2);
    expect(test.get(1)[0]).toEqual(bundled.get(1)[0]);
  });

  it('accepts the dotted spelling train-images.idx3-ubyte', () => {
    const dir = tempDir({ 'train-images.idx3-ubyte': imagesIdx, 'train-labels.idx1-ubyte': labelsIdx });
    expect(new MNIST({ root: dir }).length).toBe(5);
  });

  it('rejects a count mismatch between images and labels, naming both files', () => {
    const dir = tempDir({ 'train-images-idx3-ubyte': imagesIdx, 'train-labels-idx1-ubyte': encodeIdxLabels(labels.subarray(0, 4)) });
    expect(() => new MNIST({ root: dir })).toThrow(
      /train-images-idx3-ubyte and .*train-labels-idx1-ubyte must hold as many images as labels: expected 5 labels \(the image count\), got 4/,
    );
  });

  it('rejects a wrong magic and a truncated file inside a gzip, naming the file', () => {
    const swapped = tempDir({ 'train-images-idx3-ubyte.gz': gzipSync(labelsIdx), 'train-labels-idx1-ubyte': labelsIdx });
    expect(() => new MNIST({ root: swapped })).toThrow(/train-images-idx3-ubyte\.gz: wrong magic number .*expected 2051.*got 2049/);
    const cut = tempDir({ 'train-images-idx3-ubyte.gz': gzipSync(imagesIdx.subarray(0, 1000)), 'train-labels-idx1-ubyte': labelsIdx });
    expect(() => new MNIST({ root: cut })).toThrow(
      /train-images-idx3-ubyte\.gz: truncated IDX images file: .*expected 3936 bytes, got 1000/,
    );
  });

  it('rejects corrupt gzip data', () => {
    const gz = gzipSync(imagesIdx);
    const broken = gz.subarray(0, gz.length - 20);
    const dir = tempDir({ 'train-images-idx3-ubyte.gz': broken, 'train-labels-idx1-ubyte': labelsIdx });
    expect(() => new MNIST({ root: dir })).toThrow(/train-images-idx3-ubyte\.gz: corrupt gzip data/);
  });

  it('lists the names it tried when a file is missing', () => {
    const dir = tempDir({ 'train-images-idx3-ubyte': imagesIdx });
    expect(() => readMnistIdx(dir, true)).toThrow(
      `MNIST: no file in ${dir} matches; expected one of train-labels-idx1-ubyte, train-labels-idx1-ubyte.gz, train-labels.idx1-ubyte, train-labels.idx1-ubyte.gz`,
    );
  });
});
