import type { BinaryOp, UnaryOp } from '@mge/core';
import type { KernelSource } from '../runtime.js';
import { elementwiseMain, type GpuDType, offsetsFromIndex, PARAMS, storage, wgslType } from '../wgsl.js';

/** Helpers some element formulas call; unused ones cost nothing once compiled. */
const MATH = /* wgsl */ `
fn erf_(x: f32) -> f32 {
  // Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7), odd extension.
  let a = abs(x);
  let t = 1.0 / (1.0 + 0.3275911 * a);
  let y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * exp(-a * a);
  return select(y, -y, x < 0.0);
}
fn tanh_(x: f32) -> f32 {
  // Some drivers compute tanh from exp(2x) and overflow to NaN past |x| ≈ 44.
  return select(tanh(x), sign(x), abs(x) > 15.0);
}
// Bit tests: WGSL lets compilers assume floats are finite, so x != x may fold to false.
fn sigmoid_(x: f32) -> f32 {
  // exp of a negative argument only, so nothing overflows.
  let e = exp(-abs(x));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), x >= 0.0);
}
// WGSL only promises sin/cos to 2^-11 absolute (SwiftShader is that coarse), so reduce
// by π/2 in three parts (Cody–Waite) and evaluate Taylor polynomials on [-π/4, π/4]
// (truncation < 3e-8). Accurate while |x| is well below 2^16.
fn sinPoly(r: f32) -> f32 {
  let r2 = r * r;
  return r + r * r2 * (-0.16666667 + r2 * (0.008333334 + r2 * (-0.0001984127 + r2 * 2.7557319e-6)));
}
fn cosPoly(r: f32) -> f32 {
  let r2 = r * r;
  return 1.0 - 0.5 * r2 + r2 * r2 * (0.041666668 + r2 * (-0.0013888889 + r2 * 2.4801587e-5));
}
/** sin(x + q·π/2) for q = 0 (sin) or 1 (cos). */
fn sinq(x: f32, q: i32) -> f32 {
  if (isnan_(x) || isinf_(x)) { return asf(0x7fc00000u); }
  let k = round(x * 0.63661975);
  let r = ((x - k * 1.5703125) - k * 4.8375129699707031e-4) - k * 7.5497899548918821e-8;
  let quadrant = (i32(k) + q) & 3;
  switch (quadrant) {
    case 0: { return sinPoly(r); }
    case 1: { return cosPoly(r); }
    case 2: { return -sinPoly(r); }
    default: { return -cosPoly(r); }
  }
}
fn isnan_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn isinf_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }
fn pow_f(a: f32, b: f32) -> f32 {
  // WGSL's pow is undefined for a <= 0; follow Math.pow instead.
  if (b == 0.0) { return 1.0; }
  if (isnan_(a) || isnan_(b)) { return asf(0x7fc00000u); }
  let bInt = floor(b) == b;
  let odd = bInt && abs(b) < 16777216.0 && (i32(abs(b)) & 1) == 1;
  let negA = (bitcast<u32>(a) & 0x80000000u) != 0u;
  if (a == 0.0 || isinf_(a)) {
    // |a|^b is 0 or inf; an odd integer exponent keeps a's sign (also for -0).
    let m = select(0.0, asf(0x7f800000u), (a == 0.0) == (b < 0.0));
    return select(m, -m, negA && odd);
  }
  let m = exp2(b * log2(abs(a)));
  if (!negA) { return m; }
  if (!bInt) { return asf(0x7fc00000u); }
  return select(m, -m, odd);
}
fn pow_i(a: i32, b: i32) -> i32 {
  if (b < 0) {
    if (a == 1) { return 1; }
    if (a == -1) { return select(1, -1, (b & 1) != 0); }
    return 0;
  }
  var r = 1;
  var base = a;
  var e = u32(b);
  loop {
    if (e == 0u) { break; }
    if ((e & 1u) == 1u) { r = r * base; }
    base = base * base;
    e = e >> 1u;
  }
  return r;
}
`;

const NAN = 'asf(0x7fc00000u)';

export function unaryExpr(op: UnaryOp, t: string): string {
  switch (op) {
    case 'neg': return `-v`;
    case 'abs': return `abs(v)`;
    case 'sign': return t === 'f32' ? `select(sign(v), v, isnan_(v))` : `sign(v)`;
    case 'exp': return `exp(v)`;
    case 'log': return `select(log(v), select(${NAN}, -asf(0x7f800000u), v == 0.0), v <= 0.0 || isnan_(v))`;
    case 'sqrt': return `select(sqrt(v), ${NAN}, v < 0.0)`;
    case 'sigmoid': return `sigmoid_(v)`;
    case 'tanh': return `tanh_(v)`;
    case 'relu': return `select(v, 0.0, v < 0.0)`;
    case 'floor': return `floor(v)`;
    case 'ceil': return `ceil(v)`;
    // WGSL's round is half-to-even, as NumPy's and MegEngine's.
    case 'round': return `round(v)`;
    case 'sin': return `sinq(v, 0)`;
    case 'cos': return `sinq(v, 1)`;
    case 'erf': return `erf_(v)`;
    case 'logicalNot': return `select(0u, 1u, v == 0u)`;
  }
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

function binaryExpr(op: BinaryOp, t: string): string {
  const b = (c: string) => `select(0u, 1u, ${c})`;
  switch (op) {
    case 'add': return `x + y`;
    case 'sub': return `x - y`;
    case 'mul': return `x * y`;
    case 'div': return `x / y`;
    case 'pow': return t === 'f32' ? `pow_f(x, y)` : `pow_i(x, y)`;
    // Math.max/min semantics: NaN wins.
    case 'maximum': return t === 'f32' ? `select(max(x, y), ${NAN}, isnan_(x) || isnan_(y))` : `max(x, y)`;
    case 'minimum': return t === 'f32' ? `select(min(x, y), ${NAN}, isnan_(x) || isnan_(y))` : `min(x, y)`;
    case 'eq': return b('x == y');
    case 'ne': return b('x != y');
    case 'lt': return b('x < y');
    case 'le': return b('x <= y');
    case 'gt': return b('x > y');
    case 'ge': return b('x >= y');
    case 'logicalAnd': return b('x != 0u && y != 0u');
    case 'logicalOr': return b('x != 0u || y != 0u');
  }
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
