/** Bytes of parameters per dispatch: 128 u32 (shapes, strides, sizes) — 512 also meets the 256-byte offset alignment. */
export const PARAM_SLOT_BYTES = 512;
export const PARAM_WORDS = PARAM_SLOT_BYTES / 4;
/** Threads per workgroup of every elementwise-style kernel. */
export const WG = 256;

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

/**
 * Declares binding `index` as a storage array. Inputs too are read_write: operands are blocks of
 * shared arena chunks, and WebGPU refuses a buffer bound both read-only and writable in one
 * dispatch (disjoint writable ranges are allowed). `write` marks outputs for the reader.
 */
export function storage(index: number, name: string, type: string, _write = false): string {
  return `@group(0) @binding(${index}) var<storage, read_write> ${name}: array<${type}>;`;
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

/**
 * The f16 storage mode: rewrites a kernel so that its float32 storage bindings hold f16
 * while all arithmetic stays f32. Every `array<f32>` / `array<vec4<f32>>` storage binding
 * becomes `array<f16>` / `array<vec4<f16>>`, every read `X[i]` becomes `f32(X[i])` and every
 * store `X[i] = v;` becomes `X[i] = f16(v);`. Doing it on the generated source, in one place,
 * keeps one shader per kernel instead of a second hand-written f16 copy of each.
 */
export function toF16Storage(code: string): string {
  const decl = /(var<storage,\s*(?:read|read_write)>\s+(\w+)\s*:\s*array<)(vec4<f32>|f32)>/g;
  const names = new Map<string, 'f32' | 'vec4<f32>'>();
  const out = code.replace(decl, (_m, head: string, name: string, type: 'f32' | 'vec4<f32>') => {
    names.set(name, type);
    return `${head}${type === 'f32' ? 'f16' : 'vec4<f16>'}>`;
  });
  if (names.size === 0) return code;
  const pattern = `\\b(${[...names.keys()].join('|')})\\[`;
  const rewrite = (src: string): string => {
    const ident = new RegExp(pattern, 'g');
    let result = '';
    let at = 0;
    for (let m = ident.exec(src); m !== null; m = ident.exec(src)) {
      const name = m[1];
      const open = m.index + name.length;
      const close = matching(src, open, '[', ']');
      const wide = names.get(name) === 'f32' ? 'f32' : 'vec4<f32>';
      const narrow = wide === 'f32' ? 'f16' : 'vec4<f16>';
      const access = `${name}[${rewrite(src.slice(open + 1, close))}]`;
      const after = /^\s*=(?!=)/.exec(src.slice(close + 1));
      result += src.slice(at, m.index);
      if (after) {
        // A store: convert everything up to the statement's ';' (at bracket depth 0).
        const rhsStart = close + 1 + after[0].length;
        const end = statementEnd(src, rhsStart);
        result += `${access} = ${narrow}(${rewrite(src.slice(rhsStart, end).trim())})`;
        at = end;
      } else {
        result += `${wide}(${access})`;
        at = close + 1;
      }
      ident.lastIndex = at;
    }
    return result + src.slice(at);
  };
  return `enable f16;\n${rewrite(out)}`;
}

function matching(s: string, open: number, o: string, c: string): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    if (s[i] === o) depth++;
    else if (s[i] === c && --depth === 0) return i;
  }
  throw new Error(`toF16Storage: unbalanced '${o}' at ${open}`);
}

function statementEnd(s: string, from: number): number {
  let depth = 0;
  for (let i = from; i < s.length; i++) {
    const ch = s[i];
    if (ch === '(' || ch === '[') depth++;
    else if (ch === ')' || ch === ']') depth--;
    else if (ch === ';' && depth === 0) return i;
  }
  throw new Error(`toF16Storage: no ';' after the store at ${from}`);
}
