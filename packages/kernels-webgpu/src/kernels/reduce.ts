import type { ArgReduceOp, ReduceOp } from '@mge/core';
import type { KernelSource } from '../runtime.js';
import { elementwiseMain, type GpuDType, PARAMS, storage, WG, wgslType } from '../wgsl.js';

const ISNAN = 'fn isnan_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }';

function identity(op: ReduceOp, t: string): string {
  const f = t === 'f32';
  switch (op) {
    case 'sum':
      return f ? '0.0' : '0';
    case 'prod':
      return f ? '1.0' : '1';
    case 'max':
      return f ? 'asf(0xff800000u)' : 'i32(-2147483647 - 1)';
    case 'min':
      return f ? 'asf(0x7f800000u)' : '2147483647';
  }
}

/** Combines two partial results; max/min let NaN win, as Math.max does. */
function combine(op: ReduceOp, t: string): string {
  const nan = (v: string) => (t === 'f32' ? ` || isnan_(${v})` : '');
  switch (op) {
    case 'sum':
      return 'a + b';
    case 'prod':
      return 'a * b';
    case 'max':
      return `select(a, b, b > a${nan('b')})`;
    case 'min':
      return `select(a, b, b < a${nan('b')})`;
  }
}

/**
 * After coalescing, x's dims split into kept dims (walked by the output index) and
 * reduced dims (walked by the reduction index). Parameters:
 * [outCount, redCount, splits, chunk, keptShape(nk), keptStrides(nk), redShape(nr), redStrides(nr)].
 * `workgroup` mode gives each output `splits` workgroups, each reducing `chunk`
 * elements with a shared-memory tree into Y[output·splits + split]; `serial` gives each
 * output one thread (splits must be 1), which wins when there are many short reductions.
 */
export function reduceKernel(op: ReduceOp, dtype: GpuDType, nk: number, nr: number, mode: 'workgroup' | 'serial'): KernelSource {
  const t = wgslType(dtype);
  const walk = (idx: string, n: number, shapeAt: number, out: string) => {
    const lines = [`var ${out}: i32 = 0;`, `{ var rem = ${idx};`];
    for (let d = n - 1; d >= 0; d--) {
      lines.push(`  { let dim = pu(${shapeAt + d}u); ${out} = ${out} + i32(rem % dim) * pi(${shapeAt + n + d}u); rem = rem / dim; }`);
    }
    lines.push('}');
    return lines.join('\n  ');
  };
  const redAt = 4 + 2 * nk;
  const head = `${PARAMS}${t === 'f32' ? ISNAN : ''}
${storage(1, 'X', t)}
${storage(2, 'Y', t, true)}
fn comb(a: ${t}, b: ${t}) -> ${t} { return ${combine(op, t)}; }
fn redOffset(r: u32) -> i32 {
  ${walk('r', nr, redAt, 'off')}
  return off;
}`;
  if (mode === 'serial') {
    return {
      key: `reduce_${op}_${t}_k${nk}_r${nr}_serial`,
      wgsl: () => `${head}
${elementwiseMain(`  ${walk('i', nk, 4, 'base')}
  var acc: ${t} = ${identity(op, t)};
  for (var r = 0u; r < pu(1u); r++) { acc = comb(acc, X[base + redOffset(r)]); }
  Y[i] = acc;`)}`,
    };
  }
  return {
    key: `reduce_${op}_${t}_k${nk}_r${nr}_wg`,
    wgsl: () => `${head}
var<workgroup> part: array<${t}, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let w = wid.x + wid.y * nwg.x;
  let o = w / pu(2u);
  if (o >= pu(0u)) { return; }
  ${walk('o', nk, 4, 'base')}
  let rBegin = (w % pu(2u)) * pu(3u);
  let rEnd = min(pu(1u), rBegin + pu(3u));
  var acc: ${t} = ${identity(op, t)};
  for (var r = rBegin + lid; r < rEnd; r += ${WG}u) { acc = comb(acc, X[base + redOffset(r)]); }
  part[lid] = acc;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { part[lid] = comb(part[lid], part[lid + s]); }
    workgroupBarrier();
  }
  if (lid == 0u) { Y[w] = part[0]; }
}`,
  };
}

/** Parameters: [outCount, axisLen, inner]. One thread per output scans the axis; a NaN is the answer once seen. */
export function argReduceKernel(op: ArgReduceOp, dtype: GpuDType): KernelSource {
  const t = wgslType(dtype);
  const better = op === 'argmax' ? 'v > best' : 'v < best';
  const nanCheck = t === 'f32';
  return {
    key: `${op}_${t}`,
    wgsl: () => `${PARAMS}${nanCheck ? ISNAN : ''}
${storage(1, 'X', t)}
${storage(2, 'Y', 'i32', true)}
${elementwiseMain(`  let len = pu(1u);
  let inner = pu(2u);
  let outer = i / inner;
  let base = outer * len * inner + (i - outer * inner);
  var best = X[base];
  var at = 0;
  for (var j = 1u; j < len; j++) {
    ${nanCheck ? 'if (isnan_(best)) { break; }' : ''}
    let v = X[base + j * inner];
    if (${better}${nanCheck ? ' || isnan_(v)' : ''}) { best = v; at = i32(j); }
  }
  Y[i] = at;`)}`,
  };
}
