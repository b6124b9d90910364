import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

type Arr = Float32Array | Int32Array | Uint8Array;

/** The addon's exports (native/addon.cc). Integer parameters travel in one Int32Array. */
/**
 * A convolution's forward with its fused epilogue: bias one value per output channel; activation
 * 0 none, 1 relu, 2 relu6, 3 hardswish; residual (the output's length) added before the activation.
 */
type ConvForward = (
  x: Float32Array,
  w: Float32Array,
  y: Float32Array,
  params: Int32Array,
  bias?: Float32Array | null,
  activation?: number,
  residual?: Float32Array | null,
) => void;

export interface NativeAddon {
  info(): { isa: string; threads: number };
  /** An ArrayBuffer over 64-byte aligned native memory, recycled through a cache when the GC frees it. */
  alloc(bytes: number): ArrayBuffer;
  cachedBytes(): number;
  trimCache(): void;
  setNumThreads(n: number): number;
  setGemmIsa(isa: 'avx512' | 'avx2' | 'neon' | 'portable'): boolean;
  fmaPeak(): number;
  /** Elementwise operator names in the order of their codes (native/ops_generated.h). */
  readonly unaryOps: readonly string[];
  readonly binaryOps: readonly string[];
  unary(op: number, x: Arr, out: Arr): void;
  /** code: [kind (0 unary, 1 binary), op code, a, b] per instruction; operand k < 0 is inputs[-1 - k]. */
  elementwiseProgram(code: Int32Array, inputs: Float32Array[], out: Float32Array): void;
  binary(op: number, a: Arr, b: Arr, out: Arr, params: Int32Array): void;
  where(cond: Uint8Array, a: Arr, b: Arr, out: Arr, params: Int32Array): void;
  /** out = alpha·a + beta·b (float32, one length); absent from an addon built before it. */
  scaledAdd?(a: Float32Array, b: Float32Array, out: Float32Array, alpha: number, beta: number): void;
  /** out = a·sign(b) (float32, one length); absent from an addon built before it. */
  mulSign?(a: Float32Array, b: Float32Array, out: Float32Array): void;
  /** y = x·Φ(x); absent from an addon built before it (likewise the three below). */
  gelu?(x: Float32Array, y: Float32Array): void;
  geluBackward?(x: Float32Array, dy: Float32Array, dx: Float32Array): void;
  /** (x − mean) / sqrt(var + eps) over rows of `cols` elements. */
  standardize?(x: Float32Array, y: Float32Array, rows: number, cols: number, eps: number): void;
  standardizeBackward?(x: Float32Array, dy: Float32Array, dx: Float32Array, rows: number, cols: number, eps: number): void;
  /** y = x̂·w + b (w, b of `cols` values) and its x and w gradients; absent from an addon built before them. */
  standardizeAffine?(x: Float32Array, w: Float32Array, b: Float32Array, y: Float32Array, rows: number, cols: number, eps: number): void;
  standardizeAffineBackward?(
    x: Float32Array,
    w: Float32Array,
    dy: Float32Array,
    dx: Float32Array,
    rows: number,
    cols: number,
    eps: number,
  ): void;
  standardizeWeightGrad?(x: Float32Array, dy: Float32Array, dw: Float32Array, rows: number, cols: number, eps: number): void;
  /** Per-row −log softmax(logits)[label] and its gradient; absent from an addon built before them. */
  softmaxCrossEntropy?(logits: Float32Array, labels: Int32Array, loss: Float32Array, rows: number, cols: number): void;
  softmaxCrossEntropyBackward?(
    logits: Float32Array,
    labels: Int32Array,
    dloss: Float32Array,
    dx: Float32Array,
    rows: number,
    cols: number,
  ): void;
  /** params [batch, seq, heads, dim, causal]; absent from an addon built before it. */
  selfAttention?(qkv: Float32Array, out: Float32Array, params: Int32Array, scale: number): void;
  selfAttentionBackward?(qkv: Float32Array, dy: Float32Array, dqkv: Float32Array, params: Int32Array, scale: number): void;
  cast(x: Arr, out: Arr): void;
  reduce(op: number, x: Arr, out: Arr, params: Int32Array): void;
  argReduce(isMax: number, x: Arr, out: Int32Array, outer: number, len: number, inner: number): void;
  strided(x: Arr, out: Arr, offset: number, params: Int32Array): void;
  concat(xs: Arr[], out: Arr, params: Int32Array): void;
  pad(x: Arr, out: Arr, value: number, params: Int32Array): void;
  /** bias/relu: the fused epilogue (out = relu?(out + bias)), bias one value per column n. */
  matmul(a: Float32Array, b: Float32Array, out: Float32Array, params: Int32Array, bias?: Float32Array | null, relu?: number): void;
  conv2d: ConvForward;
  conv2dBackwardInput(dy: Float32Array, w: Float32Array, dx: Float32Array, params: Int32Array): void;
  conv2dBackwardFilter(x: Float32Array, dy: Float32Array, dw: Float32Array, params: Int32Array): void;
  /** conv2d and its gradients for groups === c (direct kernels, native/depthwise.cc). */
  depthwiseConv2d: ConvForward;
  /** A 1×1 convolution's [o, c] filter packed for pointwiseConv2d (absent from an addon built before it). */
  packPointwise?(w: Float32Array, o: number, c: number): Float32Array;
  /**
   * A 1×1, stride-1, unpadded, ungrouped conv2d from a filter packPointwise made, with conv2d's
   * extended epilogue; false when the filter was packed for another ISA (nothing written).
   */
  pointwiseConv2d?(
    x: Float32Array,
    packed: Float32Array,
    y: Float32Array,
    params: Int32Array,
    bias: Float32Array | null,
    activation: number,
    residual: Float32Array | null,
  ): boolean;
  /** A linear layer's [n, k] weight packed for linearPacked (absent from an addon built before it). */
  packLinear?(w: Float32Array, n: number, k: number): Float32Array;
  /** y [m, n] = x [m, k] · wᵀ (+ bias, relu) from packLinear's weight; false when it was packed for another ISA. */
  linearPacked?(
    x: Float32Array,
    packed: Float32Array,
    y: Float32Array,
    m: number,
    n: number,
    k: number,
    bias: Float32Array | null,
    relu: number,
  ): boolean;
  depthwiseConv2dBackwardInput(dy: Float32Array, w: Float32Array, dx: Float32Array, params: Int32Array): void;
  depthwiseConv2dBackwardFilter(x: Float32Array, dy: Float32Array, dw: Float32Array, params: Int32Array): void;
  pool2d(isMax: number, x: Float32Array, y: Float32Array, params: Int32Array): void;
  pool2dBackward(isMax: number, x: Float32Array, dy: Float32Array, dx: Float32Array, params: Int32Array): void;
  /** dx = the max pool's gradient times sign(x); absent from an addon built before it. */
  maxPool2dSignBackward?(x: Float32Array, dy: Float32Array, dx: Float32Array, params: Int32Array): void;
  gather(x: Arr, index: Int32Array, out: Arr, params: Int32Array): void;
  scatterAdd(x: Arr, index: Int32Array, src: Arr, out: Arr, params: Int32Array): void;
  argsort(descending: number, x: Arr, out: Int32Array, outer: number, len: number, inner: number): void;
  topk(descending: number, x: Arr, out: Int32Array, outer: number, len: number, inner: number, k: number): void;
}

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Where the addon is expected: MGE_CPU_ADDON (e.g. the ASan build), else build/Release. */
export function addonPath(): string {
  const env = typeof process !== 'undefined' ? process.env.MGE_CPU_ADDON : undefined;
  return env ? resolve(env) : join(packageDir, 'build', 'Release', 'mge_cpu.node');
}

let cached: NativeAddon | undefined;
let failure: string | undefined;

/**
 * Loads the addon once. Throws an Error saying why it is unusable (disabled by
 * MGE_CPU_DISABLE=1, never built, or failing to load), which the registry records.
 */
export function loadNative(): NativeAddon {
  if (cached) return cached;
  if (typeof process === 'undefined' || !process.versions?.node) {
    throw new Error('the cpu backend needs Node.js (it is a native addon)');
  }
  if (process.env.MGE_CPU_DISABLE === '1') throw new Error('disabled by MGE_CPU_DISABLE=1');
  if (failure) throw new Error(failure);
  const path = addonPath();
  if (!existsSync(path)) {
    failure =
      `native addon not found at ${path}; build it with ` +
      '`pnpm --filter @mge/kernels-cpu build:native` (needs a C++17 compiler and Node headers)';
    throw new Error(failure);
  }
  try {
    cached = createRequire(import.meta.url)(path) as NativeAddon;
    return cached;
  } catch (e) {
    failure = `native addon at ${path} failed to load: ${e instanceof Error ? e.message : String(e)}`;
    throw new Error(failure);
  }
}
