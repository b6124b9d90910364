// The fused elementwise program (the optional Backend `elementwiseProgram`,
// native/elementwise_program.cc) against the js backend running the same operators one by one:
// every float32 row of core's elementwise table, full and broadcast inputs, sizes below and above
// the threaded split and not a multiple of the tile; and the addon's answers to bad programs.
import { BINARY, type ElementwiseInstr, UNARY } from '@mge/core';
import { describe, expect, it } from 'vitest';
import { loadNative } from '../src/native.js';
import { cpu, expectClose, js, randomArray, rng } from './helpers.js';

const FLOAT_ROWS = (rows: Record<string, { dtype: string }>) =>
  Object.entries(rows)
    .filter(([, r]) => r.dtype === 'float' || r.dtype === 'arith' || r.dtype === 'signed' || r.dtype === 'rounding')
    .map(([name]) => name);
const UNARIES = FLOAT_ROWS(UNARY as never);
const BINARIES = FLOAT_ROWS(BINARY as never);

/** The program's value on js, one kernel per instruction. */
function reference(program: readonly ElementwiseInstr[], inputs: Float32Array[], size: number): Float32Array {
  const shape = [size];
  const ref = (buf: unknown, n: number) => ({ buf, shape: n === 1 && size !== 1 ? [1] : shape, dtype: 'float32' as const });
  const results: unknown[] = [];
  const operand = (k: number) => (k >= 0 ? ref(results[k], size) : ref(js.upload(inputs[-1 - k]), inputs[-1 - k].length));
  for (const ins of program) {
    results.push(
      ins.kind === 'unary'
        ? js.unary(ins.op as never, operand(ins.args[0]) as never)
        : js.binary(ins.op as never, operand(ins.args[0]) as never, operand(ins.args[1]) as never, shape),
    );
  }
  return results[results.length - 1] as Float32Array;
}

function run(program: readonly ElementwiseInstr[], inputs: Float32Array[], size: number): Float32Array {
  const refs = inputs.map((a) => ({ buf: cpu.upload(a), shape: [a.length], dtype: 'float32' as const }));
  return cpu.readSync(cpu.elementwiseProgram(program, refs, size), 'float32', size) as Float32Array;
}

describe('cpu elementwiseProgram', () => {
  it.each([1, 255, 1000, 70_001])('every float32 table operator in chains over %i elements equals the kernels one by one', (size) => {
    expect(UNARIES).toEqual(expect.arrayContaining(['exp', 'relu', 'sigmoid', 'erf', 'softplus', 'round']));
    expect(BINARIES).toEqual(['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum']);
    const r = rng(900 + size);
    // each operator once, on the previous result and a full or a broadcast input
    for (const op of UNARIES) {
      const x = randomArray('float32', size, 'normal', r) as Float32Array;
      const program: ElementwiseInstr[] = [
        { kind: 'binary', op: 'mul', args: [-1, -2] },
        { kind: 'unary', op, args: [0] },
        { kind: 'binary', op: 'add', args: [1, -1] },
      ];
      const inputs = [x, Float32Array.of(0.75)];
      expectClose(run(program, inputs, size), reference(program, inputs, size), 1e-6, 1e-6, op);
    }
    for (const op of BINARIES) {
      const a = randomArray('float32', size, 'normal', r) as Float32Array;
      const b = randomArray('float32', size, 'positive', r) as Float32Array;
      const program: ElementwiseInstr[] = [
        { kind: 'binary', op, args: [-1, -2] },
        { kind: 'binary', op, args: [-3, 0] },
        { kind: 'binary', op, args: [1, -1] },
      ];
      const inputs = [a, b, Float32Array.of(1.5)];
      expectClose(run(program, inputs, size), reference(program, inputs, size), 1e-6, 1e-6, op);
    }
  });

  it('names what the addon rejects', () => {
    const native = loadNative();
    const x = new Float32Array(8);
    const out = new Float32Array(8);
    expect(() => native.elementwiseProgram(Int32Array.of(2, 0, -1, -1), [x], out)).toThrow(
      /cpu\.elementwiseProgram: instruction 0: kind must be 0 \(unary\) or 1 \(binary\), got 2/,
    );
    expect(() => native.elementwiseProgram(Int32Array.of(0, 0, 0, 0), [x], out)).toThrow(
      /instruction 0: operand 0 is neither an earlier instruction nor one of the 1 inputs/,
    );
    expect(() => native.elementwiseProgram(Int32Array.of(1, 0, -1, -2), [x], out)).toThrow(/operand -2 is neither/);
    expect(() => native.elementwiseProgram(Int32Array.of(1, 7, -1, -1), [x], out)).toThrow(/unknown float32 binary op code 7/);
    expect(() => native.elementwiseProgram(Int32Array.of(0, 0, -1), [x], out)).toThrow(/'code' must hold 1 to 64 instructions/);
    expect(() => native.elementwiseProgram(Int32Array.of(0, 0, -1, -1), [new Float32Array(3)], out)).toThrow(
      /inputs\[0\] must have 8 elements or 1, got 3/,
    );
    expect(() => native.elementwiseProgram(Int32Array.of(0, 0, -1, -1), [new Int32Array(8) as never], out)).toThrow(
      /inputs\[0\] must be a Float32Array/,
    );
    expect(() => native.elementwiseProgram(Int32Array.of(0, 0, -1, -1), [out.subarray(0, 1)], out)).toThrow(/must not share memory/);
    expect(() => cpu.elementwiseProgram([{ kind: 'unary', op: 'nope', args: [-1] }], [], 8)).toThrow(
      /elementwiseProgram: instruction 0 has no unary operator 'nope'/,
    );
  });
});
