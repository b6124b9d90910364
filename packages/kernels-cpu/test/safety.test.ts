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
  it('selfAttention, gelu, standardize(Affine) and softmaxCrossEntropy: lengths, shapes, scale, eps, seq bound', () => {
    const sa = native.selfAttention!;
    const sab = native.selfAttentionBackward!;
    const p = i32(2, 3, 2, 4, 1); // batch 2, seq 3, 2 heads of 4: qkv 144, out 48
    expect(() => sa(f32(143), f32(48), p, 0.5)).toThrow(/cpu\.selfAttention: argument 'qkv' must have 144 elements, got 143/);
    expect(() => sa(f32(144), f32(47), p, 0.5)).toThrow(/'out' must have 48/);
    expect(() => sa(f32(144), f32(48), i32(2, 3, 2), 0.5)).toThrow(/params/);
    expect(() => sa(f32(144), f32(48), i32(2, -3, 2, 4, 1), 0.5)).toThrow(/non-negative/);
    expect(() => sa(f32(144), f32(48), p, Number.NaN)).toThrow(/'scale' must be finite/);
    expect(() => sa(f32(0), f32(0), i32(0, 9000, 1, 1, 1), 1)).toThrow(/seq must be at most 8192/);
    expect(() => sab(f32(144), f32(48), f32(143), p, 0.5)).toThrow(/'dqkv' must have 144/);
    expect(() => sab(f32(144), f32(47), f32(144), p, 0.5)).toThrow(/'dy' must have 48/);
    expect(() => native.gelu!(f32(5), f32(4))).toThrow(/cpu\.gelu: argument 'y' must have 5/);
    expect(() => native.geluBackward!(f32(5), f32(5), f32(4))).toThrow(/'dx' must have 5/);
    expect(() => native.standardize!(f32(6), f32(6), 4, 2, 1e-5)).toThrow(/rows·cols \(4·2\) must equal the length of x, 6/);
    expect(() => native.standardize!(f32(6), f32(6), 3, 2, 0)).toThrow(/'eps' must be a positive finite number/);
    expect(() => native.standardizeBackward!(f32(6), f32(5), f32(6), 3, 2, 1e-5)).toThrow(/'dy' must have 6/);
    const sa2 = native.standardizeAffine!;
    expect(() => sa2(f32(6), f32(2), f32(2), f32(6), 4, 2, 1e-5)).toThrow(/cpu\.standardizeAffine: rows·cols \(4·2\)/);
    expect(() => sa2(f32(6), f32(3), f32(2), f32(6), 3, 2, 1e-5)).toThrow(/'weight' must have 2/);
    expect(() => sa2(f32(6), f32(2), f32(1), f32(6), 3, 2, 1e-5)).toThrow(/'bias' must have 2/);
    expect(() => sa2(f32(6), f32(2), f32(2), f32(5), 3, 2, 1e-5)).toThrow(/'y' must have 6/);
    expect(() => sa2(f32(6), i32(1, 1) as never, f32(2), f32(6), 3, 2, 1e-5)).toThrow(/weight/);
    expect(() => native.standardizeAffineBackward!(f32(6), f32(2), f32(5), f32(6), 3, 2, 1e-5)).toThrow(/'dy' must have 6/);
    expect(() => native.standardizeAffineBackward!(f32(6), f32(4), f32(6), f32(6), 3, 2, 1e-5)).toThrow(/'weight' must have 2/);
    expect(() => native.standardizeWeightGrad!(f32(6), f32(6), f32(3), 3, 2, 1e-5)).toThrow(/'dw' must have 2/);
    expect(() => native.standardizeWeightGrad!(f32(6), f32(6), f32(2), 3, 2, Number.NaN)).toThrow(/'eps'/);
    const ce = native.softmaxCrossEntropy!;
    expect(() => ce(f32(6), i32(0, 1), f32(2), 3, 2)).toThrow(/cpu\.softmaxCrossEntropy: argument 'labels' must have 3/);
    expect(() => ce(f32(6), i32(0, 1, 1), f32(2), 3, 2)).toThrow(/'loss' must have 3/);
    expect(() => ce(f32(6), f32(3) as never, f32(3), 3, 2)).toThrow(/labels/);
    expect(() => ce(f32(6), i32(0, 1, 1), f32(3), 2, 2)).toThrow(/rows·cols \(2·2\) must equal the length of logits, 6/);
    expect(() => ce(f32(0), i32(), f32(0), 0, 0)).toThrow(/cols positive/);
    expect(() => native.softmaxCrossEntropyBackward!(f32(6), i32(0, 1, 1), f32(3), f32(5), 3, 2)).toThrow(/'dx' must have 6/);
    // labels outside the classes give NaN, never a read outside the row
    const loss = f32(3);
    ce(f32(6), i32(0, 2, -1), loss, 3, 2);
    expect(Number.isNaN(loss[1]) && Number.isNaN(loss[2]) && Number.isFinite(loss[0])).toBe(true);
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
    expect(() => native.maxPool2dSignBackward?.(f32(16), f32(4), f32(15), q)).toThrow(
      /cpu\.maxPool2dSignBackward: argument 'dx' must have 16/,
    );
    expect(() => native.maxPool2dSignBackward?.(new Int32Array(16) as never, f32(4), f32(16), q)).toThrow(/'x' must be float32/);
  });
  it('the fused epilogue: bias of the wrong length, dtype or memory, bad relu flags', () => {
    const mp = i32(1, 2, 3, 4, 0, 0, 1, 1); // out [2, 3]: bias needs 3 values
    const out = f32(6);
    expect(() => native.matmul(f32(8), f32(12), out, mp, f32(2))).toThrow(/cpu\.matmul: argument 'bias' must have 3 elements, got 2/);
    expect(() => native.matmul(f32(8), f32(12), out, mp, new Int32Array(3) as never)).toThrow(/'bias' must be float32/);
    expect(() => native.matmul(f32(8), f32(12), out, mp, 'bias' as never)).toThrow(/'bias' must be a typed array/);
    expect(() => native.matmul(f32(8), f32(12), out, mp, out.subarray(1, 4))).toThrow(/must not share memory/);
    expect(() => native.matmul(f32(8), f32(12), out, mp, f32(3), 2)).toThrow(/'relu' must be 0 or 1, got 2/);
    expect(() => native.matmul(f32(8), f32(12), out, mp, null, 'yes' as never)).toThrow(/'relu' must be a number/);
    // n c h w o kh kw oh ow sh sw ph pw dh dw groups: y [1, 3, 3, 3], bias needs 3 values
    const cp = i32(1, 2, 5, 5, 3, 3, 3, 3, 3, 1, 1, 0, 0, 1, 1, 1);
    expect(() => native.conv2d(f32(50), f32(54), f32(27), cp, f32(27))).toThrow(
      /cpu\.conv2d: argument 'bias' must have 3 elements, got 27/,
    );
    expect(() => native.conv2d(f32(50), f32(54), f32(27), cp, new Uint8Array(3) as never)).toThrow(/'bias' must be float32/);
    // Valid calls still work: no bias, bias + relu.
    const y = f32(27);
    native.conv2d(f32(50).fill(1), f32(54).fill(1), y, cp, new Float32Array([-20, 0, 1]), 1);
    expect(Array.from(y.subarray(0, 2))).toEqual([0, 0]); // 18 − 20 < 0 → 0
    expect(y[9]).toBe(18);
    expect(y[26]).toBe(19);
  });
  it('the addon refuses an epilogue bias it would read past or misread (core checks the rest)', () => {
    const ref = (buf: Float32Array | Int32Array, shape: number[], dtype: 'float32' | 'int32' = 'float32') => ({ buf, shape, dtype });
    const a = ref(new Float32Array(6), [2, 3]);
    const p = { batch: 1, m: 2, n: 2, k: 3, transA: false, transB: false, batchA: 1, batchB: 1 };
    expect(() => cpu.matmul(a, a, p, { bias: ref(new Float32Array(1), [1]) })).toThrow(
      /cpu\.matmul: argument 'bias' must have 2 elements, got 1/,
    );
    expect(() => cpu.matmul(a, a, p, { bias: ref(new Int32Array(2), [2], 'int32') })).toThrow(
      /argument 'bias' must be float32 \(Float32Array\), got int32/,
    );
    const cp = { n: 1, c: 1, h: 2, w: 3, o: 2, kh: 1, kw: 1, oh: 2, ow: 3, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1, groups: 1 };
    expect(() => cpu.conv2d(a, ref(new Float32Array(2), [2, 1, 1, 1]), cp, { bias: ref(new Float32Array(1), [1]) })).toThrow(
      /cpu\.conv2d: argument 'bias' must have 2 elements, got 1/,
    );
    a.buf.set([1, -2, 3, -4, 5, -6]);
    const bias = ref(new Float32Array([0.5, 0.5]), [1, 2, 1, 1]);
    const out = cpu.conv2d(a, ref(new Float32Array([1, -1]), [2, 1, 1, 1]), cp, { bias, activation: 'relu' });
    expect(Array.from(cpu.readSync(out, 'float32', 12))).toEqual([1.5, 0, 3.5, 0, 5.5, 0, 0, 2.5, 0, 4.5, 0, 6.5]);
    cpu.release(out);
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
