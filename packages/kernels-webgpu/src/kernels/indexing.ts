import type { KernelSource } from '../runtime.js';
import { elementwiseMain, type GpuDType, PARAMS, storage, wgslType } from '../wgsl.js';
import type { MoveElem } from './layout.js';

const ISNAN = 'fn isnan_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }';

/** WGSL: `rem` (a flat index in the shape at P[shapeAt..]) split into c0..c(rank-1), and x's strides s0.. from P[xAt..]. */
function coords(rank: number, shapeAt: number, xAt: number): string {
  const lines = ['  var rem = i;'];
  for (let d = rank - 1; d >= 0; d--) lines.push(`  let c${d} = rem % pu(${shapeAt + d}u); rem = rem / pu(${shapeAt + d}u);`);
  lines.push(`  let s${rank - 1} = 1u;`);
  for (let d = rank - 2; d >= 0; d--) lines.push(`  let s${d} = s${d + 1} * pu(${xAt + d + 1}u);`);
  return lines.join('\n');
}

/**
 * One thread per index element. Parameters: [n, xShape(rank), indexShape(rank)].
 * Positions outside [0, x.shape[axis]) read as 0.
 */
export function gatherKernel(rank: number, axis: number, elem: MoveElem): KernelSource {
  const off = Array.from({ length: rank }, (_, d) => (d === axis ? `u32(j) * s${d}` : `c${d} * s${d}`)).join(' + ');
  return {
    key: `gather_r${rank}_a${axis}_${elem}`,
    wgsl: () => `${PARAMS}
${storage(1, 'X', elem)}
${storage(2, 'I', 'i32')}
${storage(3, 'Y', elem, true)}
${elementwiseMain(`${coords(rank, 1 + rank, 1)}
  let j = I[i];
  if (j < 0 || u32(j) >= pu(${1 + axis}u)) { Y[i] = ${elem === 'f32' ? '0.0' : '0u'}; return; }
  Y[i] = X[${off}];`)}`,
  };
}

/**
 * One thread per output element: it adds up every source element whose index names it, so
 * repeated positions need no atomics and the sum's order is fixed. Parameters:
 * [n, xShape(rank), indexShape(rank)].
 */
export function scatterAddKernel(rank: number, axis: number, dtype: GpuDType): KernelSource {
  const t = wgslType(dtype);
  const inside = Array.from({ length: rank }, (_, d) => (d === axis ? null : `c${d} < pu(${1 + rank + d}u)`)).filter(Boolean);
  // index's strides, with the axis coordinate left for the loop
  const iStrides = [`  let t${rank - 1} = 1u;`];
  for (let d = rank - 2; d >= 0; d--) iStrides.push(`  let t${d} = t${d + 1} * pu(${1 + rank + d + 1}u);`);
  const base = Array.from({ length: rank }, (_, d) => (d === axis ? null : `c${d} * t${d}`)).filter(Boolean);
  const add = dtype === 'bool' ? 'acc = acc | S[p];' : 'acc = acc + S[p];';
  return {
    key: `scatter_add_r${rank}_a${axis}_${t}`,
    wgsl: () => `${PARAMS}
${storage(1, 'X', t)}
${storage(2, 'I', 'i32')}
${storage(3, 'S', t)}
${storage(4, 'Y', t, true)}
${elementwiseMain(`${coords(rank, 1, 1)}
  var acc = ${t === 'f32' ? '0.0' : t === 'i32' ? '0' : '0u'};
  if (${inside.length ? inside.join(' && ') : 'true'}) {
${iStrides.join('\n')}
    let b = ${base.length ? base.join(' + ') : '0u'};
    for (var k = 0u; k < pu(${1 + rank + axis}u); k++) {
      let p = b + k * t${axis};
      if (I[p] == i32(c${axis})) { ${add} }
    }
  }
  Y[i] = ${dtype === 'bool' ? 'X[i] | acc' : 'X[i] + acc'};`)}`,
  };
}

/**
 * One thread per element counts the elements that sort before it (stable, NaN last) and
 * writes its position there. O(n) per thread: meant for the short rows of topk and sort.
 * Parameters: [n, len, inner, descending].
 */
export function argsortKernel(dtype: GpuDType): KernelSource {
  const t = wgslType(dtype);
  const f = t === 'f32';
  return {
    key: `argsort_${t}`,
    wgsl: () => `${PARAMS}${f ? ISNAN : ''}
${storage(1, 'X', t)}
${storage(2, 'Y', 'i32', true)}
${elementwiseMain(`  let len = pu(1u);
  let inner = pu(2u);
  let desc = pu(3u) != 0u;
  let o = i / (len * inner);
  let k = i % inner;
  let j = (i / inner) % len;
  let base = o * len * inner + k;
  let v = X[i];
  let vn = ${f ? 'isnan_(v)' : 'false'};
  var rank = 0u;
  for (var m = 0u; m < len; m++) {
    let a = X[base + m * inner];
    let an = ${f ? 'isnan_(a)' : 'false'};
    var before = false;
    if (an != vn) { before = vn; } else if (an || a == v) { before = m < j; } else { before = select((a < v), (a > v), desc); }
    if (before) { rank = rank + 1u; }
  }
  Y[base + rank * inner] = i32(j);`)}`,
  };
}
