import { PARAM_WORDS, WG } from './runtime.js';

export type GpuDType = 'float32' | 'int32' | 'bool';

/** WGSL storage type per dtype; bool lives on the GPU as u32 0/1. */
export function wgslType(dtype: GpuDType): 'f32' | 'i32' | 'u32' {
  return dtype === 'float32' ? 'f32' : dtype === 'int32' ? 'i32' : 'u32';
}

/** The parameter block every kernel binds at 0, and readers for u32/i32/f32 words. */
export const PARAMS = /* wgsl */ `
struct Params { v: array<vec4<u32>, ${PARAM_WORDS / 4}> };
@group(0) @binding(0) var<uniform> P: Params;
fn pu(i: u32) -> u32 { return P.v[i >> 2u][i & 3u]; }
fn pi(i: u32) -> i32 { return bitcast<i32>(pu(i)); }
fn pf(i: u32) -> f32 { return bitcast<f32>(pu(i)); }
// NaN and ±∞ as a constant expression are compile errors in WGSL; a call is evaluated at run time.
fn asf(bits: u32) -> f32 { return bitcast<f32>(bits); }
`;

/** Declares binding `index` as a storage array. */
export function storage(index: number, name: string, type: string, write = false): string {
  return `@group(0) @binding(${index}) var<storage, ${write ? 'read_write' : 'read'}> ${name}: array<${type}>;`;
}

/** Entry point of a one-thread-per-element kernel; `i` is the flat index, word 0 of the parameters the count. */
export function elementwiseMain(body: string): string {
  return /* wgsl */ `
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * ${WG}u;
  if (i >= pu(0u)) { return; }
${body}
}`;
}

/**
 * WGSL that turns the flat index `i` of a tensor of shape P[shapeAt..shapeAt+rank) into
 * offsets `off<k>` through the stride lists at P[stridesAt[k]..). Strides are i32
 * (0 broadcasts, negative flips); `off<k>` starts from `base<k>` (an i32 expression).
 */
export function offsetsFromIndex(rank: number, shapeAt: number, stridesAt: readonly number[], base: readonly string[] = []): string {
  const lines = [`  var rem = i;`];
  for (let k = 0; k < stridesAt.length; k++) lines.push(`  var off${k}: i32 = ${base[k] ?? '0'};`);
  for (let d = rank - 1; d >= 0; d--) {
    lines.push(`  { let dim = pu(${shapeAt + d}u); let c = i32(rem % dim); rem = rem / dim;`);
    for (let k = 0; k < stridesAt.length; k++) lines.push(`    off${k} = off${k} + c * pi(${stridesAt[k] + d}u);`);
    lines.push('  }');
  }
  return lines.join('\n');
}
