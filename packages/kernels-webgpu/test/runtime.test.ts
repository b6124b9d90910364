import { describe, expect, it } from 'vitest';
import { Arena } from '../src/arena.js';
import { createWebGpuBackend } from '../src/backend.js';
import { BufferPool, sizeClass } from '../src/buffer-pool.js';
import { DISPATCHES_PER_BATCH } from '../src/runtime.js';
import { gpuForTests } from './setup.js';

const { backend: gpu } = await gpuForTests();

describe('size classes', () => {
  it('round up to quarter steps of powers of two', () => {
    expect([1, 16, 17, 64, 65, 1024, 1025, 1280, 1281, 2047].map(sizeClass)).toEqual([16, 16, 32, 64, 80, 1024, 1280, 1280, 1536, 2048]);
  });
});

// Which chunk a kernel's operand lies in is part of its bind group's cache key: blocks of a size
// class spread over many chunks made new bind groups for thousands of steps (LeNet b64, ~0.2 a step).
describe('arena and pool keep size classes in few chunks', () => {
  const fakeChunk = (bytes: number) => ({ size: bytes, destroy: () => undefined }) as unknown as GPUBuffer;

  it('small blocks share chunks of their own, whatever large blocks are carved between them', () => {
    const arena = new Arena(fakeChunk, 256, 2 ** 30);
    const small: number[] = [];
    const large: number[] = [];
    for (let i = 0; i < 40; i++) {
      small.push(arena.carve(sizeClass(256 + 64 * i)).chunk, arena.carve(16).chunk);
      large.push(arena.carve(sizeClass(300_000)).chunk);
    }
    expect(new Set(small).size).toBe(1);
    expect(new Set(large).has(small[0])).toBe(false);
    expect(new Set(large).size).toBeGreaterThan(1); // 12 MB of large blocks: 4, 8 MiB chunks
  });

  it('hands out the free block of the lowest chunk, uploads included (among blocks no unsubmitted batch uses)', () => {
    const arena = new Arena(fakeChunk, 256, 2 ** 30);
    const pool = new BufferPool((bytes) => arena.carve(bytes));
    const bytes = 1_310_720; // over a quarter of the first large chunk: each block gets a chunk of its own
    const bufs = [0, 1, 2].map(() => pool.acquire(bytes, 0, false));
    expect(bufs.map((b) => b.chunk)).toEqual([0, 1, 2]);
    bufs[0].lastBatch = 5; // read by a batch not yet submitted
    for (const b of [bufs[2], bufs[0], bufs[1]]) pool.release(b);
    expect(pool.acquire(bytes, 4, true).chunk).toBe(1);
    expect(pool.acquire(bytes, 4, false).chunk).toBe(0);
    expect(pool.acquire(bytes, 4, true).chunk).toBe(2);
  });
});

describe.skipIf(!gpu)('webgpu runtime', () => {
  const f32 = (xs: number[]) => ({ buf: gpu!.upload(new Float32Array(xs)), shape: [xs.length], dtype: 'float32' as const });

  it('batches dispatches: many ops, few submits, correct result', async () => {
    const before = { ...gpu!.runtime.stats };
    let x = f32([1, 2, 3]);
    const one = f32([1, 1, 1]);
    const n = 2 * DISPATCHES_PER_BATCH + 10;
    for (let i = 0; i < n; i++) {
      const y = gpu!.binary('add', x, one, [3]);
      gpu!.release(x.buf);
      x = { ...x, buf: y };
    }
    expect(Array.from((await gpu!.read(x.buf, 'float32', 3)) as Float32Array)).toEqual([1 + n, 2 + n, 3 + n]);
    const s = gpu!.runtime.stats;
    expect(s.dispatches - before.dispatches).toBe(n);
    // Two full batches plus the one flushed by read().
    expect(s.submits - before.submits).toBe(3);
    gpu!.release(x.buf);
    gpu!.release(one.buf);
  });

  it('one pipeline serves every size of a rank', async () => {
    const before = gpu!.runtime.stats.pipelines;
    for (const n of [5, 300, 1025, 70_000]) {
      const a = f32(Array.from({ length: n }, (_, i) => i));
      const y = gpu!.unary('neg', a);
      const out = (await gpu!.read(y, 'float32', n)) as Float32Array;
      expect(out[n - 1]).toBe(-(n - 1));
      gpu!.release(a.buf);
      gpu!.release(y);
    }
    expect(gpu!.runtime.stats.pipelines - before).toBeLessThanOrEqual(1);
  });

  it('reuses released buffers: a loop with no leaks keeps memory flat and creates no buffers', async () => {
    const w = f32(Array.from({ length: 4096 }, () => 0.5));
    const step = async () => {
      const x = f32(Array.from({ length: 4096 }, (_, i) => i));
      const y = gpu!.binary('mul', x, w, [4096]);
      const s = gpu!.reduce('sum', { buf: y, shape: [4096], dtype: 'float32' }, [0]);
      const v = (await gpu!.read(s, 'float32', 1))[0];
      for (const b of [x.buf, y, s]) gpu!.release(b);
      return v;
    };
    expect(await step()).toBeCloseTo((4095 * 4096) / 4, 0);
    const created = gpu!.runtime.stats.buffersCreated;
    const mem = gpu!.memory();
    for (let i = 0; i < 20; i++) await step();
    expect(gpu!.runtime.stats.buffersCreated).toBe(created);
    expect(gpu!.memory()).toEqual(mem);
    gpu!.release(w.buf);
  });

  it('an upload into a recycled buffer does not overtake queued reads of it', async () => {
    // x is read by a queued (unsubmitted) op, then released; the next upload of the same
    // size must not land in x's buffer before that op ran.
    const x = f32([1, 2, 3, 4]);
    const y = gpu!.unary('neg', x);
    gpu!.release(x.buf);
    const z = f32([10, 20, 30, 40]);
    expect(Array.from((await gpu!.read(y, 'float32', 4)) as Float32Array)).toEqual([-1, -2, -3, -4]);
    expect(Array.from((await gpu!.read(z.buf, 'float32', 4)) as Float32Array)).toEqual([10, 20, 30, 40]);
    gpu!.release(y);
    gpu!.release(z.buf);
  });

  it('allocate() zero-fills a recycled buffer', async () => {
    const a = f32([7, 7, 7, 7, 7]);
    gpu!.release(a.buf);
    const z = gpu!.allocate('float32', 5);
    expect(Array.from((await gpu!.read(z, 'float32', 5)) as Float32Array)).toEqual([0, 0, 0, 0, 0]);
    gpu!.release(z);
  });

  it('stores bool as u32 and reads it back as Uint8Array 0/1', async () => {
    const b = gpu!.upload(new Uint8Array([1, 0, 1, 1, 0]));
    const n = gpu!.unary('logicalNot', { buf: b, shape: [5], dtype: 'bool' });
    const out = await gpu!.read(n, 'bool', 5);
    expect(out).toBeInstanceOf(Uint8Array);
    expect(Array.from(out)).toEqual([0, 1, 0, 0, 1]);
    gpu!.release(b);
    gpu!.release(n);
  });

  it('refuses a buffer larger than the adapter allows, naming both sizes', () => {
    const max = gpu!.runtime.maxBufferBytes;
    expect(() => gpu!.allocate('float32', Math.ceil(max / 4) + 1024)).toThrow(
      /cannot allocate \d+ bytes: the adapter's largest storage buffer is \d+ bytes/,
    );
  });

  it('rejects a buffer from another backend with an error naming the op and argument', () => {
    const foreign = { buf: new Float32Array(3), shape: [3], dtype: 'float32' as const };
    expect(() => gpu!.unary('exp', foreign as never)).toThrow(/webgpu\.exp: argument 'x' must hold a webgpu buffer/);
  });

  it('turns device loss into a clear error', async () => {
    const b = await createWebGpuBackend();
    const x = b.upload(new Float32Array([1, 2]));
    b.runtime.device.destroy();
    await b.runtime.device.lost;
    expect(() => b.unary('neg', { buf: x, shape: [2], dtype: 'float32' })).toThrow(/the GPU device was lost \(destroyed/);
    await expect(b.read(x, 'float32', 2)).rejects.toThrow(/device was lost/);
    expect(() => b.readSync!(x, 'float32', 2)).toThrow(/device was lost/);
  });
});
