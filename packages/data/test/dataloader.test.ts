import { describe, expect, it } from 'vitest';
import { ArrayImageDataset, DataLoader, mnistTransform, SequentialSampler } from '../src/index.js';
import { MNIST } from '../src/node.js';

const test = new MNIST({ train: false }); // 2,000 digits
const BORDER = -0.1307 / 0.3081;

/** A tiny dataset whose image i is filled with the value i and whose label is i % 10. */
function tiny(n: number): ArrayImageDataset {
  const images = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) images.fill(i, i * 4, i * 4 + 4);
  return new ArrayImageDataset(
    images,
    Uint8Array.from({ length: n }, (_, i) => i % 10),
    [1, 2, 2],
  );
}

describe('DataLoader', () => {
  it('yields float32 (N,1,32,32) images and int32 (N,) labels after mnistTransform (sync iteration)', () => {
    const loader = new DataLoader(test, { batchSize: 64, transform: mnistTransform() });
    expect(loader.length).toBe(32); // ceil(2000 / 64)
    let batches = 0;
    let seen = 0;
    let last: number[] = [];
    for (const [images, labels] of loader) {
      expect(images.dtype).toBe('float32');
      expect(labels.dtype).toBe('int32');
      expect(images.shape[1]).toBe(1);
      expect(images.shape.slice(2)).toEqual([32, 32]);
      expect(labels.shape).toEqual([images.shape[0]]);
      if (batches === 0) {
        expect(images.shape).toEqual([64, 1, 32, 32]);
        const x = images.dataSync();
        const y = labels.dataSync();
        expect(Array.from(y.subarray(0, 10))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        // Border pixel: padding; interior pixel (row 10, col 10 of digit 0) matches the raw byte.
        expect(x[0]).toBeCloseTo(BORDER, 5);
        const raw = test.get(0)[0][10 * 28 + 10];
        expect(x[(10 + 2) * 32 + (10 + 2)]).toBeCloseTo((raw / 255 - 0.1307) / 0.3081, 5);
      }
      last = Array.from(labels.dataSync());
      seen += images.shape[0];
      batches++;
    }
    expect(batches).toBe(32);
    expect(seen).toBe(2000);
    expect(last.length).toBe(2000 - 31 * 64);
    expect(last).toEqual(Array.from(test.labels.subarray(31 * 64)));
  });

  it('dropLast drops the incomplete batch', () => {
    const loader = new DataLoader(test, { batchSize: 64, dropLast: true });
    expect(loader.length).toBe(31);
    expect([...loader.rawBatches()].map((b) => b.shape[0])).toEqual(new Array(31).fill(64));
    expect(new DataLoader(tiny(10), { batchSize: 5, dropLast: true }).length).toBe(2);
  });

  it('without a transform yields raw pixel values as float32 in their original shape', () => {
    const [raw] = [...new DataLoader(tiny(3), { batchSize: 3 }).rawBatches()];
    expect(raw.shape).toEqual([3, 1, 2, 2]);
    expect(Array.from(raw.images)).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
    expect(Array.from(raw.labels)).toEqual([0, 1, 2]);
  });

  it('async iteration with prefetch gives the same batches as sync iteration', async () => {
    const a = new DataLoader(tiny(23), { batchSize: 5, shuffle: true, seed: 9 });
    const b = new DataLoader(tiny(23), { batchSize: 5, shuffle: true, seed: 9 });
    const fromAsync: number[][] = [];
    for await (const [images, labels] of a) {
      fromAsync.push(Array.from(await labels.data()));
      expect((await images.data()).length).toBe(labels.shape[0] * 4);
    }
    const fromSync = [...b].map(([, labels]) => Array.from(labels.dataSync()));
    expect(fromAsync).toEqual(fromSync);
    expect(fromAsync.map((l) => l.length)).toEqual([5, 5, 5, 5, 3]);
  });

  it('prefetches: batch k+1 is built while batch k is being consumed', async () => {
    const built: number[] = [];
    const ds = tiny(6);
    const spy = {
      imageShape: ds.imageShape,
      length: ds.length,
      get: (i: number) => {
        built.push(i);
        return ds.get(i);
      },
    };
    const loader = new DataLoader(spy, { batchSize: 2 });
    const it = loader[Symbol.asyncIterator]();
    await it.next(); // batch 0 built and yielded; batch 1 scheduled
    expect(built).toEqual([0, 1]);
    await new Promise((r) => setImmediate(r)); // the consumer awaits something: prefetch runs
    expect(built).toEqual([0, 1, 2, 3]);
    await it.next();
    await it.return?.();
  });

  it('shuffle with a seed is deterministic per epoch; epochs differ; every sample once', () => {
    const epochs = (seed: number) => {
      const loader = new DataLoader(tiny(40), { batchSize: 8, shuffle: true, seed });
      return [0, 1].map(() => [...loader.rawBatches()].flatMap((b) => Array.from(b.images.filter((_, i) => i % 4 === 0))));
    };
    const [e1, e2] = epochs(123);
    const [f1, f2] = epochs(123);
    expect(e1).toEqual(f1);
    expect(e2).toEqual(f2);
    expect(e1).not.toEqual(e2);
    expect([...e1].sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(epochs(124)[0]).not.toEqual(e1);
  });

  it('accepts a custom sampler', () => {
    const order = { length: 4, order: () => Int32Array.of(3, 2, 1, 0) };
    const [b] = [...new DataLoader(tiny(4), { batchSize: 4, sampler: order }).rawBatches()];
    expect(Array.from(b.labels)).toEqual([3, 2, 1, 0]);
    expect(new DataLoader(tiny(4), { sampler: new SequentialSampler(4) }).length).toBe(4);
  });

  it('surfaces a failure inside a prefetched batch when that batch is awaited', async () => {
    const ds = tiny(4);
    const bad = {
      imageShape: ds.imageShape,
      length: 4,
      get: (i: number) => (i === 3 ? ([ds.get(0)[0], -1] as [Uint8Array, number]) : ds.get(i)),
    };
    const loader = new DataLoader(bad, { batchSize: 2 });
    const labels: number[][] = [];
    await expect(
      (async () => {
        for await (const [, l] of loader) labels.push(Array.from(l.dataSync()));
      })(),
    ).rejects.toThrow('DataLoader: label of sample 3 must be a non-negative integer, got -1');
    expect(labels).toEqual([[0, 1]]);
  });

  it('validates options, naming the class, the option, expected vs got', () => {
    const ds = tiny(4);
    expect(() => new DataLoader(ds, { batchSize: 0 })).toThrow('DataLoader: batchSize must be a positive integer, got 0');
    expect(() => new DataLoader(ds, { batchSize: 2.5 })).toThrow('DataLoader: batchSize must be a positive integer, got 2.5');
    expect(() => new DataLoader(ds, { shuffle: 1 as unknown as boolean })).toThrow('DataLoader: shuffle must be a boolean, got 1');
    expect(() => new DataLoader(ds, { dropLast: 'no' as unknown as boolean })).toThrow('DataLoader: dropLast must be a boolean, got "no"');
    expect(() => new DataLoader(ds, { shuffle: true, seed: -3 })).toThrow('DataLoader: seed must be an integer in [0, 2^32 - 1], got -3');
    expect(() => new DataLoader(ds, { transform: 5 as unknown as () => never })).toThrow(
      'DataLoader: transform must be a function (Image => Image), got 5',
    );
    expect(() => new DataLoader(ds, { batch_size: 4 } as never)).toThrow(
      /DataLoader: unknown option "batch_size"; expected one of batchSize/,
    );
    expect(() => new DataLoader(ds, { sampler: new SequentialSampler(4), shuffle: true })).toThrow(
      'DataLoader: sampler excludes shuffle and seed',
    );
    expect(() => new DataLoader(ds, { sampler: new SequentialSampler(5) })).toThrow(
      'DataLoader: sampler.length must equal dataset.length 4, got 5',
    );
    expect(() => new DataLoader([] as never)).toThrow(
      'DataLoader: dataset must have length, get(i) and imageShape, got an array of length 0',
    );
  });

  it('rejects images whose shapes differ within a batch', () => {
    const ds = tiny(2);
    const odd = { imageShape: ds.imageShape, length: 2, get: (i: number) => ds.get(i) };
    let calls = 0;
    const loader = new DataLoader(odd, {
      batchSize: 2,
      transform: (img) => (calls++ === 0 ? img : { ...img, data: new Float32Array(2), width: 1 }),
    });
    expect(() => [...loader.rawBatches()]).toThrow(
      'DataLoader: every image of a batch must have shape 1×2×2 after the transform, sample 1 has 1×2×1',
    );
  });
});
