import type { KernelSource } from '../runtime.js';
import { elementwiseMain, PARAMS, storage } from '../wgsl.js';
import { unaryExpr } from './elementwise.js';

/**
 * Workgroup layout of a GEMM: wx × wy threads, each computing 4 rows × 4 columns, so
 * a workgroup covers a (4·wy) × (4·wx) tile of C and steps through K by `tk`.
 * Workgroups stay at 64–128 threads: on CPU adapters (SwiftShader, lavapipe) a workgroup's
 * threads run as fibers that switch at every barrier, and 256-thread groups measured up to
 * 2× slower in the bench's LeNet convolutions; 64 is also the usual size on real GPUs.
 * The thin (16×64) and tall (64×16) tiles keep small-M / small-N products (few channels) from wasting
 * most of a square tile.
 */
export interface GemmShape {
  wx: number;
  wy: number;
  tk: number;
}
export const GEMM_SQUARE: GemmShape = { wx: 8, wy: 8, tk: 32 };
export const GEMM_THIN: GemmShape = { wx: 16, wy: 4, tk: 16 };
export const GEMM_TALL: GemmShape = { wx: 4, wy: 16, tk: 16 };
export const GEMM_TINY: GemmShape = { wx: 4, wy: 4, tk: 16 };

/**
 * Candidate layouts with a cost factor: smaller tiles reuse each staged value fewer times
 * and run fewer threads per workgroup, so they must save enough padding to be worth it.
 */
const GEMM_CANDIDATES: readonly [GemmShape, number][] = [
  [GEMM_SQUARE, 1],
  [GEMM_THIN, 1],
  [GEMM_TALL, 1],
  [GEMM_TINY, 2],
];

/**
 * The layout for an M×N product: the one that computes the fewest padded outputs
 * (weighted by its cost factor). A LeNet filter gradient (6×25 outputs, K = 50k) would
 * otherwise run a 16×64 tile at 15 % occupancy; ties go to the larger tile.
 */
export function gemmShapeFor(m: number, n: number): GemmShape {
  let best = GEMM_SQUARE;
  let bestCost = Infinity;
  for (const [g, factor] of GEMM_CANDIDATES) {
    const tm = 4 * g.wy;
    const tn = 4 * g.wx;
    const cost = Math.ceil(m / tm) * tm * Math.ceil(n / tn) * tn * factor;
    if (cost < bestCost) {
      best = g;
      bestCost = cost;
    }
  }
  return best;
}

/**
 * Common parameter words of every GEMM-shaped kernel. The op's own words follow from GEMM_OP_PARAMS.
 * [M, N, K, splits, splitStride, tilesPerSplit]: with split-K, workgroup z = batch·splits + s
 * covers k-tiles [s·tilesPerSplit, (s+1)·tilesPerSplit) and writes its partial sum
 * s·splitStride elements further on; a reduction then adds the partials.
 */
export const GEMM_OP_PARAMS = 6;

/**
 * Which parts of core's fused epilogue (out = act(out + bias[channel])) a kernel applies.
 * Each combination is its own pipeline, so a plain GEMM carries no epilogue code at all.
 */
export interface EpilogueParts {
  bias: boolean;
  relu: boolean;
}
export const NO_EPILOGUE: EpilogueParts = { bias: false, relu: false };

const hasEpilogue = (e: EpilogueParts) => e.bias || e.relu;
const epilogueKey = (e: EpilogueParts) => (hasEpilogue(e) ? `_e${e.bias ? 'b' : ''}${e.relu ? 'r' : ''}` : '');

/**
 * `fn epilogue(x, ch) -> f32`, the one definition both the GEMM's store and the split-K
 * sum use (binding `Bias` must exist when `e.bias`). ReLU is the unary kernel's expression,
 * so fused and unfused results agree bit for bit (NaN passes through, like Math.max).
 */
function epilogueWgsl(e: EpilogueParts): string {
  return `fn epilogue(x: f32, ch: u32) -> f32 {
  var v = x;${e.bias ? '\n  v = v + Bias[ch];' : ''}${e.relu ? `\n  v = ${unaryExpr('relu', 'f32')};` : ''}
  return v;
}`;
}

/** Bindings from `at` on, after the inputs: the bias (when fused) before the output, as dispatch passes them. */
function outputBindings(at: number, out: string, e: EpilogueParts): string {
  return e.bias ? `${storage(at, 'Bias', 'f32')}\n${storage(at + 1, out, 'f32', true)}` : storage(at, out, 'f32', true);
}

/**
 * Adds the split-K partials P[s·n + i] (s < splits) in order and applies the epilogue,
 * which cannot run on a partial sum. Parameters: [n, splits, channels, inner]; the
 * output channel of flat index i is (i / inner) % channels (matmul: inner 1, channels N;
 * conv2d: inner OH·OW, channels O).
 */
export function splitKSumKernel(e: EpilogueParts): KernelSource {
  return {
    key: `gemm_splitk_sum${epilogueKey(e)}`,
    wgsl: () => `${PARAMS}
${storage(1, 'Part', 'f32')}
${outputBindings(2, 'Y', e)}
${epilogueWgsl(e)}
${elementwiseMain(`  var s = 0.0;
  for (var j = 0u; j < pu(1u); j++) { s = s + Part[j * pu(0u) + i]; }
  Y[i] = epilogue(s, (i / pu(3u)) % pu(2u));`)}`,
  };
}

/**
 * How an op reads its operands. `loadA`/`loadB` read one value from an `array<f32>`
 * binding. The optional vec4 loaders read four neighbours at once from the same binding
 * declared as `array<vec4<f32>>` (index = element offset / 4): `along` names the GEMM
 * dimension the four run along — A: 'k' (four k of one row) or 'row'; B: 'k' or 'col'.
 */
export interface GemmOps {
  /** The bindings (names from gemmKernel's `bindings`) that loadA and loadB read. */
  a: string;
  b: string;
  /** Shared helpers, struct BCol, fn bCol, fn storeC and (for an epilogue) fn channel. */
  defs: string;
  loadA: string;
  loadB: string;
  loadA4?: { along: 'k' | 'row'; fn: string };
  loadB4?: { along: 'k' | 'col'; fn: string };
}

/** Which pipeline of a GEMM op: the fused epilogue parts and whether A/B are staged with vec4 loads. */
export interface GemmVariant {
  epi: EpilogueParts;
  vecA: boolean;
  vecB: boolean;
}
export const PLAIN_GEMM: GemmVariant = { epi: NO_EPILOGUE, vecA: false, vecB: false };

/**
 * One tiled GEMM serves matmul and the three convolutions (implicit GEMM): each op
 * only supplies how to read A[z][row][k] and B[z][k][col] from its tensors and where
 * C[z][row][col] goes. Each step stages a TM×tk slice of A and a tk×TN slice of B in
 * workgroup memory as vec4s, then every thread accumulates its 4×4 block with vec4 FMAs.
 *
 * `ops` (GemmOps) defines fn loadA(z: u32, row: u32, k: u32) -> f32, struct BCol,
 * fn bCol(z: u32, col: u32) -> BCol, fn loadB(z: u32, k: u32, c: BCol) -> f32,
 * fn storeC(z: u32, sp: u32, row: u32, col: u32, v: f32), and, for a fused epilogue,
 * fn channel(z: u32, row: u32, col: u32) -> u32 (the output channel whose bias C[z][row][col]
 * gets). The epilogue runs in the store step only when the dispatch has no split-K (the
 * caller then uses splitKSumKernel for it).
 * Every thread stages the same B column (or group of 4 columns) at every k-step (threads is a
 * multiple of the tile width), so bCol runs once per thread and holds the column's
 * decomposition (batch image, output pixel …): loadB is left with only the k-dependent index
 * work, which matters where integer division is slow (CPU adapters). Loads are only called in bounds.
 *
 * vec4 variants (v.vecA / v.vecB) need the caller to guarantee that the `along` dimension is a
 * multiple of 4 (so with tile origins and tk multiples of 4, each group of four is wholly in or
 * out of bounds and 16-byte aligned; buffers always start at offset 0). They issue a quarter
 * of the global loads and index computations.
 */
export function gemmKernel(
  key: string,
  bindings: readonly [string, string, string],
  ops: GemmOps,
  g: GemmShape,
  v: GemmVariant = PLAIN_GEMM,
): KernelSource {
  const threads = g.wx * g.wy;
  const tm = 4 * g.wy;
  const tn = 4 * g.wx;
  const perA = (tm * g.tk) / threads;
  const perB = (g.tk * tn) / threads;
  if (!Number.isInteger(perA / 4) || !Number.isInteger(perB / 4) || threads % tn !== 0) {
    throw new Error(`gemm ${key}: tile ${tm}×${tn}×${g.tk} does not split over ${threads} threads`);
  }
  const a4 = v.vecA ? ops.loadA4 : undefined;
  const b4 = v.vecB ? ops.loadB4 : undefined;
  if ((v.vecA && !a4) || (v.vecB && !b4)) throw new Error(`gemm ${key}: the op has no vec4 loader for ${v.vecA && !a4 ? 'A' : 'B'}`);
  if (!bindings.slice(0, 2).includes(ops.a) || !bindings.slice(0, 2).includes(ops.b) || ops.a === ops.b) {
    throw new Error(`gemm ${key}: loadA/loadB must read the two input bindings ${bindings.slice(0, 2).join(', ')}, got ${ops.a}, ${ops.b}`);
  }
  // The operand staged with vec4 loads is bound as array<vec4<f32>>.
  const bind = (i: number) => {
    const name = bindings[i - 1];
    const vec = (name === ops.a && a4 !== undefined) || (name === ops.b && b4 !== undefined);
    return storage(i, name, vec ? 'vec4<f32>' : 'f32');
  };
  const vecKey = `${a4 ? `_va${a4.along}` : ''}${b4 ? `_vb${b4.along}` : ''}`;

  // Staging of A into As[k][row/4][row%4] (consecutive threads take consecutive k, or consecutive row groups).
  let stageA: string;
  if (!a4) {
    stageA = `for (var j = 0u; j < ${perA}u; j++) {
      let e = t + j * ${threads}u;
      let ra = e / ${g.tk}u;
      let ka = e % ${g.tk}u;
      var va = 0.0;
      if (row0 + ra < M && k0 + ka < kEnd) { va = loadA(z, row0 + ra, k0 + ka); }
      As[ka * ${tm / 4}u + ra / 4u][ra % 4u] = va;
    }`;
  } else if (a4.along === 'k') {
    stageA = `for (var j = 0u; j < ${perA / 4}u; j++) {
      let e = t + j * ${threads}u;
      let ra = e / ${g.tk / 4}u;
      let ka = (e % ${g.tk / 4}u) * 4u;
      var va = vec4<f32>();
      if (row0 + ra < M && k0 + ka < kEnd) { va = loadA4(z, row0 + ra, k0 + ka); }
      for (var q = 0u; q < 4u; q++) { As[(ka + q) * ${tm / 4}u + ra / 4u][ra % 4u] = va[q]; }
    }`;
  } else {
    stageA = `for (var j = 0u; j < ${perA / 4}u; j++) {
      let e = t + j * ${threads}u;
      let ra = (e % ${tm / 4}u) * 4u;
      let ka = e / ${tm / 4}u;
      var va = vec4<f32>();
      if (row0 + ra < M && k0 + ka < kEnd) { va = loadA4(z, row0 + ra, k0 + ka); }
      As[ka * ${tm / 4}u + ra / 4u] = va;
    }`;
  }
  // This thread's B column (scalar and vec4-along-k) or group of four columns (vec4 along col).
  const cbDecl =
    b4?.along === 'col'
      ? `let cb = (t % ${tn / 4}u) * 4u;
  let kb0 = t / ${tn / 4}u;`
      : `let cb = t % ${tn}u;
  let kb0 = ${b4 ? `(t / ${tn}u) * 4u` : `t / ${tn}u`};`;
  let stageB: string;
  if (!b4) {
    stageB = `for (var j = 0u; j < ${perB}u; j++) {
      let kb = kb0 + j * ${threads / tn}u;
      var vb = 0.0;
      if (colOk && k0 + kb < kEnd) { vb = loadB(z, k0 + kb, bc); }
      Bs[kb * ${tn / 4}u + cb / 4u][cb % 4u] = vb;
    }`;
  } else if (b4.along === 'k') {
    stageB = `for (var j = 0u; j < ${perB / 4}u; j++) {
      let kb = kb0 + j * ${(threads / tn) * 4}u;
      var vb = vec4<f32>();
      if (colOk && k0 + kb < kEnd) { vb = loadB4(z, k0 + kb, bc); }
      for (var q = 0u; q < 4u; q++) { Bs[(kb + q) * ${tn / 4}u + cb / 4u][cb % 4u] = vb[q]; }
    }`;
  } else {
    stageB = `for (var j = 0u; j < ${perB / 4}u; j++) {
      let kb = kb0 + j * ${threads / (tn / 4)}u;
      var vb = vec4<f32>();
      if (colOk && k0 + kb < kEnd) { vb = loadB4(z, k0 + kb, bc); }
      Bs[kb * ${tn / 4}u + cb / 4u] = vb;
    }`;
  }
  return {
    key: `gemm_${key}_${g.wx}x${g.wy}x${g.tk}${vecKey}${epilogueKey(v.epi)}`,
    wgsl: () => `${PARAMS}
${bind(1)}
${bind(2)}
${outputBindings(3, bindings[2], v.epi)}
${ops.defs}
${a4 ? a4.fn : ops.loadA}
${b4 ? b4.fn : ops.loadB}
${hasEpilogue(v.epi) ? epilogueWgsl(v.epi) : ''}
var<workgroup> As: array<vec4<f32>, ${(g.tk * tm) / 4}>;
var<workgroup> Bs: array<vec4<f32>, ${(g.tk * tn) / 4}>;

@compute @workgroup_size(${g.wx}, ${g.wy})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let M = pu(0u);
  let N = pu(1u);
  let K = pu(2u);
  let splits = pu(3u);
  let z = wid.z / splits;
  let sp = wid.z % splits;
  let kBegin = sp * pu(5u) * ${g.tk}u;
  let kEnd = min(K, kBegin + pu(5u) * ${g.tk}u);
  let row0 = wid.y * ${tm}u;
  let col0 = wid.x * ${tn}u;
  let t = lid.y * ${g.wx}u + lid.x;
  var acc: array<vec4<f32>, 4>;
  ${cbDecl}
  let colOk = col0 + cb < N;
  let bc = bCol(z, select(0u, col0 + cb, colOk));
  for (var k0 = kBegin; k0 < kEnd; k0 += ${g.tk}u) {
    ${stageA}
    ${stageB}
    workgroupBarrier();
    for (var kk = 0u; kk < ${g.tk}u; kk++) {
      let a = As[kk * ${tm / 4}u + lid.y];
      let b = Bs[kk * ${tn / 4}u + lid.x];
      acc[0] = fma(vec4<f32>(a.x), b, acc[0]);
      acc[1] = fma(vec4<f32>(a.y), b, acc[1]);
      acc[2] = fma(vec4<f32>(a.z), b, acc[2]);
      acc[3] = fma(vec4<f32>(a.w), b, acc[3]);
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let row = row0 + lid.y * 4u + i;
    if (row >= M) { break; }
    for (var c = 0u; c < 4u; c++) {
      let col = col0 + lid.x * 4u + c;
      if (col < N) { storeC(z, sp, row, col, ${hasEpilogue(v.epi) ? 'epilogue(acc[i][c], channel(z, row, col))' : 'acc[i][c]'}); }
    }
  }
}`,
  };
}

/**
 * Matmul: op words [strideA, strideB] (0 when that operand is shared by every batch entry).
 * vec4 loads run along the operand's contiguous dimension: A's k (or row when transposed),
 * B's col (or k when transposed); the caller checks that dimension is a multiple of 4.
 */
export function matmulKernel(transA: boolean, transB: boolean, g: GemmShape, v: GemmVariant = PLAIN_GEMM): KernelSource {
  const P = GEMM_OP_PARAMS;
  const aIndex = transA ? `pu(${P}u) * z + k * pu(0u) + row` : `pu(${P}u) * z + row * pu(2u) + k`;
  // B[base + k·stride]: a row of Bᵀ is contiguous, a column of B strides by N.
  const bCol = transB ? `BCol(pu(${P + 1}u) * z + col * pu(2u), 1u)` : `BCol(pu(${P + 1}u) * z + col, pu(1u))`;
  return gemmKernel(
    `matmul_${transA ? 't' : 'n'}${transB ? 't' : 'n'}`,
    ['A', 'B', 'C'],
    {
      a: 'A',
      b: 'B',
      defs: `struct BCol { base: u32, stride: u32 }
fn bCol(z: u32, col: u32) -> BCol { return ${bCol}; }
fn storeC(z: u32, sp: u32, row: u32, col: u32, v: f32) { C[sp * pu(4u) + (z * pu(0u) + row) * pu(1u) + col] = v; }
fn channel(z: u32, row: u32, col: u32) -> u32 { return col; }`,
      loadA: `fn loadA(z: u32, row: u32, k: u32) -> f32 { return A[${aIndex}]; }`,
      loadB: 'fn loadB(z: u32, k: u32, c: BCol) -> f32 { return B[c.base + k * c.stride]; }',
      loadA4: { along: transA ? 'row' : 'k', fn: `fn loadA4(z: u32, row: u32, k: u32) -> vec4<f32> { return A[(${aIndex}) >> 2u]; }` },
      loadB4: {
        along: transB ? 'k' : 'col',
        fn: 'fn loadB4(z: u32, k: u32, c: BCol) -> vec4<f32> { return B[(c.base + k * c.stride) >> 2u]; }',
      },
    },
    g,
    v,
  );
}

/** Where vec4 staging is legal (see gemmKernel): the operand's `along` dimension is a multiple of 4. */
export type VecChoice = Pick<GemmVariant, 'vecA' | 'vecB'>;
const by4 = (d: number) => d % 4 === 0;

export function matmulVec(p: { m: number; n: number; k: number; transA: boolean; transB: boolean }): VecChoice {
  return { vecA: by4(p.transA ? p.m : p.k), vecB: by4(p.transB ? p.k : p.n) };
}

/** The conv GEMMs' B operand is an implicit im2col gather, never contiguous: only A can be vec4. */
export function convVec(
  op: 'forward' | 'backwardInput' | 'backwardFilter',
  p: { c: number; groups: number; kh: number; kw: number; oh: number; ow: number },
): VecChoice {
  const along = op === 'forward' ? (p.c / p.groups) * p.kh * p.kw : op === 'backwardInput' ? p.kh * p.kw : p.oh * p.ow;
  return { vecA: by4(along), vecB: false };
}

/**
 * Convolution geometry words, right after the common GEMM words:
 * [n, c, h, w, o, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw, cg (= c/groups), og (= o/groups)].
 */
const CONV_GEOMETRY = `
fn cN() -> u32 { return pu(${GEMM_OP_PARAMS}u); }
fn cC() -> u32 { return pu(${GEMM_OP_PARAMS + 1}u); }
fn cH() -> i32 { return pi(${GEMM_OP_PARAMS + 2}u); }
fn cW() -> i32 { return pi(${GEMM_OP_PARAMS + 3}u); }
fn cO() -> u32 { return pu(${GEMM_OP_PARAMS + 4}u); }
fn cKH() -> u32 { return pu(${GEMM_OP_PARAMS + 5}u); }
fn cKW() -> u32 { return pu(${GEMM_OP_PARAMS + 6}u); }
fn cOH() -> i32 { return pi(${GEMM_OP_PARAMS + 7}u); }
fn cOW() -> i32 { return pi(${GEMM_OP_PARAMS + 8}u); }
fn cSH() -> i32 { return pi(${GEMM_OP_PARAMS + 9}u); }
fn cSW() -> i32 { return pi(${GEMM_OP_PARAMS + 10}u); }
fn cPH() -> i32 { return pi(${GEMM_OP_PARAMS + 11}u); }
fn cPW() -> i32 { return pi(${GEMM_OP_PARAMS + 12}u); }
fn cDH() -> i32 { return pi(${GEMM_OP_PARAMS + 13}u); }
fn cDW() -> i32 { return pi(${GEMM_OP_PARAMS + 14}u); }
fn cCg() -> u32 { return pu(${GEMM_OP_PARAMS + 15}u); }
fn cOg() -> u32 { return pu(${GEMM_OP_PARAMS + 16}u); }`;

/**
 * y[n, g·og + r, p] = Σ_k w[g·og + r, k] · im2col(x)[k, (n, p)], with k = (ci, ki, kj) and p = (oy, ox).
 * A (the filters) is row-major in k: vec4 loads when C/groups·KH·KW is a multiple of 4.
 */
export const conv2dKernel = (g: GemmShape, v: GemmVariant = PLAIN_GEMM): KernelSource =>
  gemmKernel(
    'conv2d',
    ['X', 'Wt', 'Y'],
    {
      a: 'Wt',
      b: 'X',
      defs: `${CONV_GEOMETRY}
/** Column (n, oy, ox): the image's first channel of this group and the window's top-left corner. */
struct BCol { base: u32, iy: i32, ix: i32 }
fn bCol(g: u32, col: u32) -> BCol {
  let hw = u32(cOH() * cOW());
  let nb = col / hw;
  let p = i32(col - nb * hw);
  let oy = p / cOW();
  return BCol((nb * cC() + g * cCg()) * u32(cH() * cW()), oy * cSH() - cPH(), (p - oy * cOW()) * cSW() - cPW());
}
fn storeC(g: u32, sp: u32, row: u32, col: u32, v: f32) {
  let hw = u32(cOH() * cOW());
  let nb = col / hw;
  Y[sp * pu(4u) + (nb * cO() + g * cOg() + row) * hw + col - nb * hw] = v;
}
fn channel(g: u32, row: u32, col: u32) -> u32 { return g * cOg() + row; }`,
      loadA: 'fn loadA(g: u32, row: u32, k: u32) -> f32 { return Wt[(g * cOg() + row) * pu(2u) + k]; }',
      loadA4: { along: 'k', fn: 'fn loadA4(g: u32, row: u32, k: u32) -> vec4<f32> { return Wt[((g * cOg() + row) * pu(2u) + k) >> 2u]; }' },
      loadB: `fn loadB(g: u32, k: u32, c: BCol) -> f32 {
  let kk = cKH() * cKW();
  let ci = k / kk;
  let kr = k - ci * kk;
  let ki = kr / cKW();
  let iy = c.iy + i32(ki) * cDH();
  let ix = c.ix + i32(kr - ki * cKW()) * cDW();
  if (iy < 0 || iy >= cH() || ix < 0 || ix >= cW()) { return 0.0; }
  return X[c.base + (ci * u32(cH()) + u32(iy)) * u32(cW()) + u32(ix)];
}`,
    },
    g,
    v,
  );

/**
 * dx[n, g·cg + r, y, x] = Σ_(o, ki, kj) w[g·og + o, r, ki, kj] · dy[n, g·og + o, oy, ox]
 * where y + ph − ki·dh = oy·sh (likewise x); terms with no such oy are zero.
 * A's k = (o, ki, kj) is contiguous within one o: vec4 loads when KH·KW is a multiple of 4.
 */
export const conv2dBackwardInputKernel = (g: GemmShape, unitStride: boolean, v: GemmVariant = PLAIN_GEMM): KernelSource => {
  const aIndex = `((g * cOg() + o) * cCg() + row) * kk + k - o * kk`;
  const aHead = `let kk = cKH() * cKW();
  let o = k / kk;`;
  return gemmKernel(
    `conv2d_bwd_input${unitStride ? '_s1' : ''}`,
    ['DY', 'Wt', 'DX'],
    {
      a: 'Wt',
      b: 'DY',
      defs: `${CONV_GEOMETRY}
/** Column (n, y, x): dy's first channel of this group, and y + ph, x + pw. */
struct BCol { base: u32, ty: i32, tx: i32 }
fn bCol(g: u32, col: u32) -> BCol {
  let hw = u32(cH() * cW());
  let nb = col / hw;
  let p = i32(col - nb * hw);
  let y = p / cW();
  return BCol((nb * cO() + g * cOg()) * u32(cOH() * cOW()), y + cPH(), p - y * cW() + cPW());
}
fn storeC(g: u32, sp: u32, row: u32, col: u32, v: f32) {
  let hw = u32(cH() * cW());
  let nb = col / hw;
  DX[sp * pu(4u) + (nb * cC() + g * cCg() + row) * hw + col - nb * hw] = v;
}`,
      loadA: `fn loadA(g: u32, row: u32, k: u32) -> f32 {
  ${aHead}
  return Wt[${aIndex}];
}`,
      loadA4: {
        along: 'k',
        fn: `fn loadA4(g: u32, row: u32, k: u32) -> vec4<f32> {
  ${aHead}
  return Wt[(${aIndex}) >> 2u];
}`,
      },
      loadB: `fn loadB(g: u32, k: u32, c: BCol) -> f32 {
  let kk = cKH() * cKW();
  let o = k / kk;
  let kr = k - o * kk;
  let ki = kr / cKW();
  let ty = c.ty - i32(ki) * cDH();
  let tx = c.tx - i32(kr - ki * cKW()) * cDW();
  ${
    unitStride
      ? `let oy = ty;
  let ox = tx;
  if (oy < 0 || ox < 0 || oy >= cOH() || ox >= cOW()) { return 0.0; }`
      : `if (ty < 0 || tx < 0 || ty % cSH() != 0 || tx % cSW() != 0) { return 0.0; }
  let oy = ty / cSH();
  let ox = tx / cSW();
  if (oy >= cOH() || ox >= cOW()) { return 0.0; }`
  }
  return DY[c.base + (o * u32(cOH()) + u32(oy)) * u32(cOW()) + u32(ox)];
}`,
    },
    g,
    v,
  );
};

/**
 * dw[g·og + r, (ci, ki, kj)] = Σ_(n, oy, ox) dy[n, g·og + r, oy, ox] · x[n, g·cg + ci, oy·sh − ph + ki·dh, …].
 * A's k = (n, oy, ox) is contiguous within one image: vec4 loads when OH·OW is a multiple of 4.
 */
export const conv2dBackwardFilterKernel = (g: GemmShape, v: GemmVariant = PLAIN_GEMM): KernelSource => {
  const aHead = `let hw = u32(cOH() * cOW());
  let nb = k / hw;`;
  const aIndex = '(nb * cO() + g * cOg() + row) * hw + k - nb * hw';
  return gemmKernel(
    'conv2d_bwd_filter',
    ['X', 'DY', 'DW'],
    {
      a: 'DY',
      b: 'X',
      defs: `${CONV_GEOMETRY}
/** Column (ci, ki, kj): x's channel plane and the tap's offset ki·dh − ph, kj·dw − pw. */
struct BCol { base: u32, dy: i32, dx: i32 }
fn bCol(g: u32, col: u32) -> BCol {
  let kk = cKH() * cKW();
  let ci = col / kk;
  let kr = col - ci * kk;
  let ki = kr / cKW();
  return BCol((g * cCg() + ci) * u32(cH() * cW()), i32(ki) * cDH() - cPH(), i32(kr - ki * cKW()) * cDW() - cPW());
}
fn storeC(g: u32, sp: u32, row: u32, col: u32, v: f32) { DW[sp * pu(4u) + (g * cOg() + row) * pu(1u) + col] = v; }`,
      loadA: `fn loadA(g: u32, row: u32, k: u32) -> f32 {
  ${aHead}
  return DY[${aIndex}];
}`,
      loadA4: {
        along: 'k',
        fn: `fn loadA4(g: u32, row: u32, k: u32) -> vec4<f32> {
  ${aHead}
  return DY[(${aIndex}) >> 2u];
}`,
      },
      loadB: `fn loadB(g: u32, k: u32, c: BCol) -> f32 {
  let hw = u32(cOH() * cOW());
  let nb = k / hw;
  let p = i32(k - nb * hw);
  let oy = p / cOW();
  let iy = oy * cSH() + c.dy;
  let ix = (p - oy * cOW()) * cSW() + c.dx;
  if (iy < 0 || iy >= cH() || ix < 0 || ix >= cW()) { return 0.0; }
  return X[nb * cC() * u32(cH() * cW()) + c.base + u32(iy) * u32(cW()) + u32(ix)];
}`,
    },
    g,
    v,
  );
};
