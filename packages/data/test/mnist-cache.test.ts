import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fnv1a32, parseMnistCache } from '../src/index.js';
import { loadBundledMnist, MNIST, mnistCachePath } from '../src/node.js';

const require = createRequire(import.meta.url);
const digitsDir = join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');

/** Image `which` of class `digit`, straight from the mnist package's JSON, as bytes. */
function jsonDigit(digit: number, which: number): Uint8Array {
  const values: number[] = JSON.parse(readFileSync(join(digitsDir, `${digit}.json`), 'utf8')).data;
  return Uint8Array.from(values.slice(which * 784, (which + 1) * 784), (v) => Math.round(v * 255));
}

function classCounts(labels: Uint8Array): number[] {
  const counts = new Array(10).fill(0);
  for (const l of labels) counts[l]++;
  return counts;
}

describe('bundled MNIST cache', () => {
  it('holds the documented split: 8,000 train and 2,000 test digits, 80/20 per class', () => {
    const train = new MNIST({ train: true });
    const test = new MNIST({ train: false });
    expect(train.length).toBe(8000);
    expect(test.length).toBe(2000);
    expect(train.imageShape).toEqual([1, 28, 28]);
    expect(classCounts(train.labels)).toEqual([801, 902, 793, 826, 784, 690, 811, 856, 755, 782]);
    expect(classCounts(test.labels)).toEqual([200, 225, 198, 206, 196, 173, 203, 214, 189, 196]);
  });

  it('interleaves classes: the first digits are labelled 0..9, twice', () => {
    const train = new MNIST();
    expect(Array.from({ length: 20 }, (_, i) => train.get(i)[1])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const test = new MNIST({ train: false });
    expect(Array.from({ length: 10 }, (_, i) => test.get(i)[1])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('has the exact pixels of the mnist package (train 0 = first zero, train 11 = second one, test 0 = zero #801)', () => {
    const train = new MNIST();
    const test = new MNIST({ train: false });
    const [img0, label0] = train.get(0);
    expect(label0).toBe(0);
    expect(img0).toBeInstanceOf(Uint8Array);
    expect(img0.length).toBe(784);
    expect(Array.from(img0)).toEqual(Array.from(jsonDigit(0, 0)));
    expect(Array.from(train.get(11)[0])).toEqual(Array.from(jsonDigit(1, 1)));
    expect(Array.from(test.get(0)[0])).toEqual(Array.from(jsonDigit(0, 801)));
    // Checksums pin the content independently of the JSON: sum of pixels and FNV-1a of the bytes.
    const sum = (a: ArrayLike<number>) => Array.from(a).reduce((x, y) => x + y, 0);
    expect(sum(img0)).toBe(sum(jsonDigit(0, 0)));
    expect(sum(img0)).toBe(31095);
    expect(img0[0]).toBe(0);
    expect(Math.max(...img0)).toBe(255);
  });

  it('is parsed once per process and shared between splits', () => {
    expect(loadBundledMnist()).toBe(loadBundledMnist());
    expect(new MNIST().images.buffer).toBe(new MNIST({ train: false }).images.buffer);
  });

  it('rejects a wrong magic, a truncated file, trailing bytes and flipped bits', () => {
    const good = new Uint8Array(readFileSync(mnistCachePath));
    expect(parseMnistCache(good).train.length).toBe(8000);
    const badMagic = good.slice();
    badMagic[0] = 0x4e;
    expect(() => parseMnistCache(badMagic, 'x.bin')).toThrow(/x\.bin.*wrong magic: expected "MGEMNIST", got "NGEMNIST"/);
    expect(() => parseMnistCache(good.subarray(0, 20))).toThrow(/truncated: expected at least a 32-byte header, got 20 bytes/);
    expect(() => parseMnistCache(good.subarray(0, good.length - 1))).toThrow(
      /truncated: 8000 \+ 2000 images of 28×28 need 7850032 bytes, got 7850031/,
    );
    const longer = new Uint8Array(good.length + 3);
    longer.set(good);
    expect(() => parseMnistCache(longer)).toThrow(/trailing bytes.*got 7850035/);
    const flipped = good.slice();
    flipped[100_000] ^= 1;
    expect(() => parseMnistCache(flipped)).toThrow(/corrupted: expected FNV-1a/);
    expect(() => parseMnistCache([1, 2, 3] as unknown as Uint8Array)).toThrow(/bytes must be a Uint8Array, got an array of length 3/);
  });

  it('fnv1a32 matches the published test vectors', () => {
    expect(fnv1a32(new Uint8Array(0))).toBe(0x811c9dc5);
    expect(fnv1a32(new TextEncoder().encode('a'))).toBe(0xe40c292c);
    expect(fnv1a32(new TextEncoder().encode('foobar'))).toBe(0xbf9cf968);
  });

  it('get validates the index', () => {
    const train = new MNIST();
    expect(() => train.get(8000)).toThrow(/MNIST\.get: index must be an integer in \[0, 7999\], got 8000/);
    expect(() => train.get(-1)).toThrow(/got -1/);
    expect(() => train.get(1.5)).toThrow(/got 1\.5/);
  });

  it('validates options', () => {
    expect(() => new MNIST({ train: 'yes' as unknown as boolean })).toThrow(/MNIST: train must be a boolean, got "yes"/);
    expect(() => new MNIST({ root: '/definitely/not/here' })).toThrow(/MNIST: root must be a directory.*"\/definitely\/not\/here"/);
  });
});
