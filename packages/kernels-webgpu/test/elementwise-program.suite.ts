// The fused elementwise program (the optional Backend `elementwiseProgram`, kernels/program.ts)
// against the backend's own kernels one by one: every float32 row of core's elementwise table in
// a short chain with full and single-value inputs, more inputs than a kernel can bind, and the
// answers to bad programs. Few, small cases: software WebGPU compiles each program's pipeline.
// Results are read asynchronously, as a page must.
import { BINARY, type ElementwiseInstr, type TensorRef, UNARY } from '@mge/core';
import { expect, it } from 'vitest';
import type { WebGpuBackend } from '../src/backend.js';
import type { GpuBuffer } from '../src/buffer-pool.js';

const FLOAT_ROWS = (rows: Record<string, { dtype: string }>) =>
  Object.entries(rows)
    .filter(([, r]) => r.dtype === 'float' || r.dtype === 'arith' || r.dtype === 'signed' || r.dtype === 'rounding')
    .map(([name]) => name);

const SIZE = 300; // not a multiple of the 256-thread workgroup

function values(seed: number, n: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s / 2147483648 - 0.5) * 6;
  });
}

/** The cases, on Dawn in Node (elementwise-program.test.ts) and in Chromium (browser/). */
export function elementwiseProgramSuite(g: WebGpuBackend): void {
  const ref = (a: Float32Array): TensorRef<GpuBuffer> => ({ buf: g.upload(a), shape: [a.length], dtype: 'float32' });
  const read = async (b: GpuBuffer, n: number) => (await g.read(b, 'float32', n)) as Float32Array;

  /** The program run as one kernel per instruction, with the same inputs. */
  function unfused(program: readonly ElementwiseInstr[], inputs: TensorRef<GpuBuffer>[], size: number): Promise<Float32Array> {
    const results: TensorRef<GpuBuffer>[] = [];
    const operand = (k: number) => (k >= 0 ? results[k] : inputs[-1 - k]);
    for (const ins of program) {
      const buf =
        ins.kind === 'unary'
          ? g.unary(ins.op as never, operand(ins.args[0]))
          : g.binary(ins.op as never, operand(ins.args[0]), operand(ins.args[1]), [size]);
      results.push({ buf, shape: [size], dtype: 'float32' });
    }
    return read(results[results.length - 1].buf, size);
  }

  function expectSame(got: Float32Array, want: Float32Array, what: string) {
    expect(got.length).toBe(want.length);
    for (let i = 0; i < want.length; i++) {
      const [a, b] = [got[i], want[i]];
      const same = (Number.isNaN(a) && Number.isNaN(b)) || a === b || Math.abs(a - b) <= 1e-6 + 1e-6 * Math.abs(b);
      if (!same) throw new Error(`${what}: element ${i} is ${a}, unfused ${b}`);
    }
  }

  it('every float32 table operator in a chain with a single-value input equals the kernels one by one', async () => {
    const unaries = FLOAT_ROWS(UNARY as never);
    const binaries = FLOAT_ROWS(BINARY as never);
    expect(unaries).toEqual(expect.arrayContaining(['exp', 'relu', 'sigmoid', 'erf', 'softplus', 'round']));
    expect(binaries).toEqual(['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum']);
    const x = ref(values(1, SIZE));
    const y = ref(values(2, SIZE).map(Math.abs));
    const c = ref(Float32Array.of(0.75));
    for (const op of unaries) {
      const program: ElementwiseInstr[] = [
        { kind: 'binary', op: 'mul', args: [-1, -2] },
        { kind: 'unary', op, args: [0] },
        { kind: 'binary', op: 'add', args: [1, -1] },
      ];
      const inputs = [x, c];
      expectSame(await read(g.elementwiseProgram(program, inputs, SIZE), SIZE), await unfused(program, inputs, SIZE), op);
    }
    for (const op of binaries) {
      const program: ElementwiseInstr[] = [
        { kind: 'binary', op, args: [-1, -2] },
        { kind: 'binary', op, args: [-3, 0] },
        { kind: 'binary', op, args: [1, -1] },
      ];
      const inputs = [x, y, c];
      expectSame(await read(g.elementwiseProgram(program, inputs, SIZE), SIZE), await unfused(program, inputs, SIZE), op);
    }
  });

  it('an SGD momentum update as one program; more inputs than bindings run unfused with the same values', async () => {
    // v' = m·v + g + wd·w ; w' = w − lr·v'
    const [w, gr, v] = [ref(values(3, SIZE)), ref(values(4, SIZE)), ref(values(5, SIZE))];
    const [m, wd, lr] = [ref(Float32Array.of(0.9)), ref(Float32Array.of(1e-4)), ref(Float32Array.of(0.01))];
    const program: ElementwiseInstr[] = [
      { kind: 'binary', op: 'mul', args: [-1, -2] },
      { kind: 'binary', op: 'add', args: [0, -3] },
      { kind: 'binary', op: 'mul', args: [-4, -5] },
      { kind: 'binary', op: 'add', args: [1, 2] },
      { kind: 'binary', op: 'mul', args: [-6, 3] },
      { kind: 'binary', op: 'sub', args: [-5, 4] },
    ];
    const inputs = [v, m, gr, wd, w, lr];
    const want = await unfused(program, inputs, SIZE);
    expectSame(await read(g.elementwiseProgram(program, inputs, SIZE), SIZE), want, 'sgd');
    // nine inputs: one more than the default 8 storage bindings per stage allow with the output
    const many = Array.from({ length: 9 }, (_, k) => ref(values(10 + k, SIZE)));
    const sum: ElementwiseInstr[] = [{ kind: 'binary', op: 'add', args: [-1, -2] }];
    for (let k = 3; k <= 9; k++) sum.push({ kind: 'binary', op: 'add', args: [sum.length - 1, -k] });
    expectSame(await read(g.elementwiseProgram(sum, many, SIZE), SIZE), await unfused(sum, many, SIZE), 'nine inputs');
    // one element: a single-value input is the full input
    const one = [ref(Float32Array.of(2)), ref(Float32Array.of(-3))];
    expect(Array.from(await read(g.elementwiseProgram([{ kind: 'binary', op: 'mul', args: [-1, -2] }], one, 1), 1))).toEqual([-6]);
  });

  it('names what it rejects', () => {
    const x = ref(values(7, 8));
    expect(() => g.elementwiseProgram([{ kind: 'unary', op: 'nope', args: [-1] }], [x], 8)).toThrow(
      /webgpu\.elementwiseProgram: instruction 0 has no unary operator 'nope'/,
    );
    expect(() => g.elementwiseProgram([{ kind: 'binary', op: 'add', args: [-1, 0] }], [x], 8)).toThrow(
      /instruction 0 \('add'\): operand 0 is neither an earlier result/,
    );
    expect(() => g.elementwiseProgram([{ kind: 'binary', op: 'eq', args: [-1, -1] }], [x], 8)).toThrow(
      /'eq' \(compare\) is not a float32 operator/,
    );
    expect(() => g.elementwiseProgram([{ kind: 'unary', op: 'exp', args: [-1] }], [x], 5)).toThrow(
      /inputs\[0\] must be float32 of 5 elements or of 1, got float32 of 8/,
    );
    expect(() => g.elementwiseProgram([], [x], 8)).toThrow(/'program' must hold at least one instruction/);
  });
}
