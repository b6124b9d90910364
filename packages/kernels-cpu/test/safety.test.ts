import { describe, expect, it } from 'vitest';
import { loadNative, type NativeAddon } from '../src/native.js';
import { cpu } from './helpers.js';

// Calls straight into the addon with wrong buffers: each must throw a JS error, never crash.
const native: NativeAddon = loadNative();
const f32 = (n: number) => new Float32Array(n);
const i32 = (...v: number[]) => new Int32Array(v);

describe('the addon rejects bad calls with an error', () => {
  it('matmul: short inputs, short output, bad batch, missing params', () => {
    const p = i32(1, 2, 2, 3, 0, 0, 1, 1);
    expect(() => native.matmul(f32(5), f32(6), f32(4), p)).toThrow(/cpu\.matmul: argument 'a' must have 6 elements, got 5/);
    expect(() => native.matmul(f32(6), f32(6), f32(3), p)).toThrow(/'out' must have 4/);
    expect(() => native.matmul(f32(6), f32(6), f32(4), i32(2, 2, 2, 3, 0, 0, 3, 1))).toThrow(/batchA/);
    expect(() => native.matmul(f32(6), f32(6), f32(4), i32(1, 2))).toThrow(/params/);
    expect(() => native.matmul(f32(6), f32(6), f32(4), i32(1, -2, 2, 3, 0, 0, 1, 1))).toThrow(/negative/);
    expect(() => native.matmul(f32(6), new Int32Array(6) as never, f32(4), p)).toThrow(/float32/);
    expect(() => native.matmul(f32(0), f32(0), f32(0), i32(1, 65536, 65536, 65536, 0, 0, 1, 1))).toThrow();
  });
  it('binary and where: lengths, dtypes, shapes that do not broadcast, bad op codes', () => {
    const shapes = i32(2, 2, 3, 1, 3, 2, 3);
    expect(() => native.binary(0, f32(6), f32(3), f32(5), shapes)).toThrow(/'out' must have 6/);
    expect(() => native.binary(0, f32(5), f32(3), f32(6), shapes)).toThrow(/'a' must have 6/);
    expect(() => native.binary(7, f32(6), f32(3), f32(6), shapes)).toThrow(/bool/);
    expect(() => native.binary(99, f32(6), f32(3), f32(6), shapes)).toThrow(/unknown op/);
    expect(() => native.binary(0, f32(6), f32(2), f32(6), i32(2, 2, 3, 1, 2, 2, 3))).toThrow(/broadcast/);
    expect(() => native.binary(0, f32(6), f32(6), f32(6), i32(99))).toThrow(/rank/);
    expect(() => native.where(f32(6) as never, f32(6), f32(6), f32(6), i32(1, 6, 6, 6, 6))).toThrow(/cond/);
  });
  it('strided: views that reach outside x', () => {
    expect(() => native.strided(f32(10), f32(5), 6, i32(1, 5, 1))).toThrow(/reaches elements \[6, 10\]/);
    expect(() => native.strided(f32(10), f32(5), 3, i32(1, 5, -1))).toThrow(/reaches elements \[-1, 3\]/);
    expect(() => native.strided(f32(10), f32(4), 0, i32(2, 2, 2, 100, 1))).toThrow(/reaches/);
  });
  it('reduce, argReduce, concat, pad, cast, unary', () => {
    expect(() => native.reduce(0, f32(5), f32(1), i32(1, 6, 1))).toThrow(/'x' must have 6/);
    expect(() => native.reduce(0, new Uint8Array(6), new Uint8Array(1), i32(1, 6, 1))).toThrow(/float32 or int32/);
    expect(() => native.argReduce(1, f32(6), new Int32Array(3), 2, 3, 1)).toThrow(/'out' must have 2/);
    expect(() => native.concat([f32(4), f32(5)], f32(10), i32(2, 2, 3))).toThrow(/xs\[1\] must have 6/);
    expect(() => native.concat([f32(4), new Int32Array(6)], f32(10), i32(2, 2, 3))).toThrow(/dtype/);
    expect(() => native.pad(f32(6), f32(10), 0, i32(1, 6, 1, 2))).toThrow(/'out' must have 9/);
    expect(() => native.pad(f32(6), f32(10), 0, i32(1, 6, -1, 5))).toThrow(/non-negative/);
    expect(() => native.cast(f32(6), new Int32Array(5))).toThrow(/'out' must have 6/);
    expect(() => native.unary(0, f32(6), f32(5))).toThrow(/'out' must have 6/);
    expect(() => native.unary(0, 'nope' as never, f32(5))).toThrow(/typed array/);
  });
  it('conv2d and pooling: buffers that do not match the parameters', () => {
    // n c h w o kh kw oh ow sh sw ph pw dh dw groups
    const p = i32(1, 2, 5, 5, 3, 3, 3, 3, 3, 1, 1, 0, 0, 1, 1, 1);
    expect(() => native.conv2d(f32(50), f32(53), f32(27), p)).toThrow(/'w' must have 54/);
    expect(() => native.conv2d(f32(49), f32(54), f32(27), p)).toThrow(/'x' must have 50/);
    expect(() => native.conv2dBackwardInput(f32(27), f32(54), f32(49), p)).toThrow(/'dx' must have 50/);
    expect(() => native.conv2dBackwardFilter(f32(50), f32(26), f32(54), p)).toThrow(/'dy' must have 27/);
    expect(() => native.conv2d(f32(50), f32(54), f32(27), i32(1, 2, 5, 5, 3, 3, 3, 3, 3, 0, 1, 0, 0, 1, 1, 1))).toThrow(/stride/);
    expect(() => native.conv2d(f32(50), f32(54), f32(27), i32(1, 2, 5, 5, 3, 3, 3, 3, 3, 1, 1, 0, 0, 1, 1, 2))).toThrow(/groups/);
    const q = i32(1, 1, 4, 4, 2, 2, 2, 2, 2, 2, 0, 0);
    expect(() => native.pool2d(1, f32(15), f32(4), q)).toThrow(/'x' must have 16/);
    expect(() => native.pool2dBackward(1, f32(16), f32(3), f32(16), q)).toThrow(/'dy' must have 4/);
  });
  it('the backend itself reports rank mismatches and double releases', () => {
    const a = cpu.upload(new Float32Array(6));
    expect(() => cpu.binary('add', { buf: a, shape: [6], dtype: 'float32' }, { buf: a, shape: [2, 3], dtype: 'float32' }, [2, 3])).toThrow(
      /rank/,
    );
    cpu.release(a);
    expect(() => cpu.release(a)).toThrow(/released twice/);
  });
});

describe('memory', () => {
  it('reuses released buffers and zero-fills allocate()', () => {
    const before = cpu.memory();
    const a = cpu.upload(new Float32Array([1, 2, 3, 4, 5]));
    expect(cpu.memory().liveBuffers).toBe(before.liveBuffers + 1);
    expect(cpu.memory().liveBytes).toBe(before.liveBytes + 20);
    cpu.release(a);
    expect(cpu.memory().pooledBytes).toBe(before.pooledBytes + 20);
    const b = cpu.allocate('float32', 5);
    expect(b).toBe(a); // the same storage, handed out again
    expect(Array.from(cpu.readSync(b, 'float32', 5))).toEqual([0, 0, 0, 0, 0]);
    expect(cpu.memory().pooledBytes).toBe(before.pooledBytes);
    cpu.release(b);
  });
  it('readSync and read return copies', async () => {
    const a = cpu.upload(new Int32Array([7, 8, 9]));
    const r = cpu.readSync(a, 'int32', 3);
    r[0] = 100;
    expect(Array.from(await cpu.read(a, 'int32', 3))).toEqual([7, 8, 9]);
    cpu.release(a);
  });
});
