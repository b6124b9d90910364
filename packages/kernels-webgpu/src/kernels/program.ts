import { BINARY, type BinaryOp, type ElementwiseInstr, UNARY, type UnaryOp } from '@mge/core';
import type { KernelSource } from '../runtime.js';
import { elementwiseMain, PARAMS, storage } from '../wgsl.js';
import { binaryExpr, MATH, unaryExpr } from './elementwise.js';

/**
 * A fused elementwise program (the optional Backend `elementwiseProgram`, made by jit's fuse pass)
 * as one WGSL kernel: each instruction is its row's WGSL expression from the same place the
 * single-operator kernels take it (elementwise.ts), applied in registers, and only the last
 * result is stored. Inputs are full-size or single values (read at index 0).
 */

/** Rows a program may hold: float32 in, float32 out (what jit's fuse pass admits). */
const FLOAT_ROWS = new Set(['float', 'arith', 'signed', 'rounding']);

/** Checks a program against its inputs; the message names the instruction and what it held. */
export function checkProgram(program: readonly ElementwiseInstr[], inputs: number): void {
  if (!Array.isArray(program) || program.length === 0) {
    throw new TypeError(
      `webgpu.elementwiseProgram: argument 'program' must hold at least one instruction, got ${program?.length ?? typeof program}`,
    );
  }
  program.forEach((ins, j) => {
    const row = ins?.kind === 'unary' ? UNARY[ins.op as UnaryOp] : ins?.kind === 'binary' ? BINARY[ins.op as BinaryOp] : undefined;
    if (!row) {
      throw new TypeError(`webgpu.elementwiseProgram: instruction ${j} has no ${String(ins?.kind)} operator '${String(ins?.op)}'`);
    }
    if (!FLOAT_ROWS.has(row.dtype) || row.wgsl === undefined) {
      throw new TypeError(
        `webgpu.elementwiseProgram: instruction ${j}: '${ins.op}' (${row.dtype}) is not a float32 operator with a WGSL kernel`,
      );
    }
    const arity = ins.kind === 'unary' ? 1 : 2;
    if (!Array.isArray(ins.args) || ins.args.length !== arity) {
      throw new TypeError(`webgpu.elementwiseProgram: instruction ${j} ('${ins.op}') takes ${arity} operand(s), got ${ins.args?.length}`);
    }
    for (const a of ins.args) {
      if (!Number.isInteger(a) || a >= j || -1 - a >= inputs) {
        throw new RangeError(
          `webgpu.elementwiseProgram: instruction ${j} ('${ins.op}'): operand ${a} is neither an earlier result (0…${j - 1}) nor an input (-1…${-inputs})`,
        );
      }
    }
  });
}

/** The cache key of a program over inputs where `scalar[k]` marks a single value. */
export function programKey(program: readonly ElementwiseInstr[], scalar: readonly boolean[]): string {
  const body = program.map((ins) => `${ins.op}(${ins.args.join(',')})`).join(';');
  return `program_${scalar.map((s) => (s ? 's' : 'v')).join('')}_${body}`;
}

/** The kernel of a checked program: parameters [n]; inputs X0…, output Y. */
export function programKernel(key: string, program: readonly ElementwiseInstr[], scalar: readonly boolean[]): KernelSource {
  return {
    key,
    wgsl: () => {
      const operand = (a: number) => (a >= 0 ? `t${a}` : `X${-1 - a}[${scalar[-1 - a] ? '0' : 'i'}]`);
      const lines = program.map((ins, j) => {
        if (ins.kind === 'unary')
          return `  var t${j}: f32;\n  { let v = ${operand(ins.args[0])}; t${j} = ${unaryExpr(ins.op as UnaryOp, 'f32')}; }`;
        const e = binaryExpr(ins.op as BinaryOp, 'f32');
        return `  var t${j}: f32;\n  { let x = ${operand(ins.args[0])}; let y = ${operand(ins.args[1])}; t${j} = ${e}; }`;
      });
      lines.push(`  Y[i] = t${program.length - 1};`);
      const decls = scalar.map((_, k) => storage(k + 1, `X${k}`, 'f32')).join('\n');
      return `${PARAMS}${MATH}
${decls}
${storage(scalar.length + 1, 'Y', 'f32', true)}
${elementwiseMain(lines.join('\n'))}`;
    },
  };
}
