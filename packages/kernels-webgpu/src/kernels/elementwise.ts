import { BINARY, BINARY_ROWS, type BinaryOp, UNARY, UNARY_ROWS, type UnaryOp } from '@mge/core';
import type { KernelSource } from '../runtime.js';
import { elementwiseMain, type GpuDType, offsetsFromIndex, PARAMS, storage, wgslType } from '../wgsl.js';

/**
 * Helpers the element formulas call: the bit tests here, then every row's own helpers from
 * core's operator table (each once; unused ones cost nothing once compiled).
 * Bit tests because WGSL lets compilers assume floats are finite, so x != x may fold to false.
 */
export const MATH = [
  /* wgsl */ `
fn isnan_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn isinf_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }`,
  ...new Set([...UNARY_ROWS, ...BINARY_ROWS].flatMap((r) => (r.wgslFns ? [r.wgslFns] : []))),
].join('');

/** The webgpu backend runs the rows that have a WGSL expression. */
export function hasElementwiseKernel(op: string): boolean {
  const row = op in UNARY ? UNARY[op as UnaryOp] : op in BINARY ? BINARY[op as BinaryOp] : undefined;
  return row === undefined || row.wgsl !== undefined;
}

function noKernel(op: string): never {
  throw new TypeError(`WebGpuBackend: no WGSL for '${op}' in core's operator table`);
}

/** The row's WGSL expression of `v` for element type `t`. */
export function unaryExpr(op: UnaryOp, t: string): string {
  const row = UNARY[op];
  return (t === 'f32' ? row.wgsl : (row.wgslInt ?? row.wgsl)) ?? noKernel(op);
}

export function unaryKernel(op: UnaryOp, dtype: GpuDType): KernelSource {
  const t = wgslType(dtype);
  return {
    key: `unary_${op}_${t}`,
    wgsl: () => `${PARAMS}${MATH}
${storage(1, 'X', t)}
${storage(2, 'Y', t, true)}
${elementwiseMain(`  let v = X[i];\n  Y[i] = ${unaryExpr(op, t)};`)}`,
  };
}

/** The row's WGSL expression of `x` and `y` for element type `t` (comparisons as u32 0/1). */
export function binaryExpr(op: BinaryOp, t: string): string {
  const row = BINARY[op];
  const e = (t === 'f32' ? row.wgsl : (row.wgslInt ?? row.wgsl)) ?? noKernel(op);
  return row.dtype === 'compare' || row.dtype === 'logical' ? `select(0u, 1u, ${e})` : e;
}

/** Parameters: [n, shape(rank), stridesA(rank), stridesB(rank)]. */
export function binaryKernel(op: BinaryOp, dtype: GpuDType, outBool: boolean, rank: number): KernelSource {
  const t = wgslType(dtype);
  const to = outBool ? 'u32' : t;
  // Arithmetic on bools stores 0/1 (true + true is true).
  const expr = dtype === 'bool' && !outBool ? `select(0u, 1u, (${binaryExpr(op, t)}) != 0u)` : binaryExpr(op, t);
  return {
    key: `binary_${op}_${t}_r${rank}`,
    wgsl: () => `${PARAMS}${MATH}
${storage(1, 'A', t)}
${storage(2, 'B', t)}
${storage(3, 'Y', to, true)}
${elementwiseMain(`${offsetsFromIndex(rank, 1, [1 + rank, 1 + 2 * rank])}
  let x = A[off0];
  let y = B[off1];
  Y[i] = ${expr};`)}`,
  };
}

/** Parameters: [n, shape(rank), stridesCond, stridesA, stridesB]. */
export function whereKernel(dtype: GpuDType, rank: number): KernelSource {
  const t = wgslType(dtype);
  return {
    key: `where_${t}_r${rank}`,
    wgsl: () => `${PARAMS}
${storage(1, 'C', 'u32')}
${storage(2, 'A', t)}
${storage(3, 'B', t)}
${storage(4, 'Y', t, true)}
${elementwiseMain(`${offsetsFromIndex(rank, 1, [1 + rank, 1 + 2 * rank, 1 + 3 * rank])}
  Y[i] = select(B[off2], A[off1], C[off0] != 0u);`)}`,
  };
}

function castExpr(from: GpuDType, to: GpuDType): string {
  if (from === to) return 'v';
  // NaN is true, as `x != 0` in JavaScript.
  if (to === 'bool') return from === 'float32' ? `select(0u, 1u, v != 0.0 || isnan_(v))` : `select(0u, 1u, v != 0)`;
  if (to === 'float32') return `f32(v)`;
  // to int32
  if (from === 'bool') return `i32(v)`;
  // Truncation toward zero, saturating at the int32 range, NaN → 0: every backend's rule
  // (core's testing/cases/cast.ts), spelled out rather than left to the driver's i32().
  return `select(select(select(i32(v), 2147483647i, v >= 2147483647.0), -2147483647i - 1i, v <= -2147483648.0), 0i, isnan_(v))`;
}

export function castKernel(from: GpuDType, to: GpuDType): KernelSource {
  return {
    key: `cast_${from}_${to}`,
    wgsl: () => `${PARAMS}${MATH}
${storage(1, 'X', wgslType(from))}
${storage(2, 'Y', wgslType(to), true)}
${elementwiseMain(`  let v = X[i];\n  Y[i] = ${castExpr(from, to)};`)}`,
  };
}

/** Parameters: [n, bits]. Writes the same 32-bit pattern everywhere (zeros for allocate). */
export const fillKernel: KernelSource = {
  key: 'fill_u32',
  wgsl: () => `${PARAMS}
${storage(1, 'Y', 'u32', true)}
${elementwiseMain(`  Y[i] = pu(1u);`)}`,
};
