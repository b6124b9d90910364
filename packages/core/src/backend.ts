import type { DataArray, DType } from './dtype.js';
import type { BinaryOp, UnaryOp } from './elementwise/table.js';

/**
 * The Backend contract. A backend only computes: every argument has already been
 * checked by core, shapes are consistent, and every input buffer is contiguous
 * (row-major). Each method returns a new buffer it owns; core releases it.
 *
 * `Buf` is whatever the backend uses for memory (a typed array, a native handle,
 * a GPUBuffer); core never looks inside it.
 */
export interface TensorRef<Buf = unknown> {
  readonly buf: Buf;
  readonly shape: readonly number[];
  readonly dtype: DType;
}

export type { BinaryOp, ElementwiseOp, UnaryOp } from './elementwise/table.js';
export { BINARY_OPS, COMPARISON_OPS, UNARY_OPS } from './elementwise/table.js';

export type ReduceOp = 'sum' | 'prod' | 'max' | 'min';
export type ArgReduceOp = 'argmax' | 'argmin';
export type PoolOp = 'max' | 'avg';

/**
 * Batched matrix product out[b] = op(a[b]) · op(b[b]).
 * a is [batchA, M, K] (or [batchA, K, M] when transA), b is [batchB, K, N]
 * (or [batchB, N, K] when transB); batchA and batchB are each 1 or `batch`
 * (1 means the same matrix for every batch entry). Output is [batch, M, N].
 */
export interface MatmulParams {
  batch: number;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  batchA: number;
  batchB: number;
}

/**
 * 2-D convolution (cross-correlation, as MegEngine and PyTorch). x is [N, C, H, W],
 * w is [O, C/groups, KH, KW], y is [N, O, OH, OW].
 * OH = floor((H + 2·ph − dh·(KH−1) − 1) / sh) + 1, likewise OW.
 */
export interface Conv2dParams {
  n: number;
  c: number;
  h: number;
  w: number;
  o: number;
  kh: number;
  kw: number;
  oh: number;
  ow: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
  dh: number;
  dw: number;
  groups: number;
}

/**
 * 2-D pooling over x [N, C, H, W] → [N, C, OH, OW]. Padding never wins a max
 * (padded cells are −∞); avg divides by the number of non-padded cells
 * (MegEngine's default "average_count_exclude_padding"). A max pool's gradient
 * goes to the first maximum of the window in row-major order.
 */
export interface Pool2dParams {
  n: number;
  c: number;
  h: number;
  w: number;
  kh: number;
  kw: number;
  oh: number;
  ow: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
}

/**
 * Work fused into the end of a GEMM-shaped kernel (conv2d, matmul) before the result
 * is stored: out = activation(out + bias). `bias` is float32 and contiguous with one
 * value per output channel — conv2d: dim 1 of [N, O, OH, OW] (bias has O elements);
 * matmul: the last dim (bias has n elements). Every backend must honour it; core
 * passes it only when the graph allows (see core's ops/fused.ts).
 */
export interface Epilogue<Buf = unknown> {
  readonly bias?: TensorRef<Buf>;
  readonly activation?: Activation;
  /** matmul: b as `prepackMatmul` prepared it for the same params; the backend may read it instead of b. */
  readonly packed?: Buf;
}
export type Activation = 'relu';

/**
 * The wider epilogue of the optional `conv2dEpilogue`: out = activation(conv + bias + residual),
 * `residual` shaped like the output. What an inference trace (jit's optimizeForInference) makes
 * of conv → BatchNorm → (+ shortcut) → relu / relu6 / hardswish.
 */
/**
 * One operator of a fused elementwise program: a unary or binary row of the elementwise table
 * applied to earlier results (index ≥ 0: the result of instruction `index`) or to the program's
 * inputs (index < 0: input −1 − index). The last instruction's result is the program's output.
 */
export interface ElementwiseInstr {
  readonly kind: 'unary' | 'binary';
  readonly op: string;
  readonly args: readonly number[];
}

export interface ConvEpilogue<Buf = unknown> {
  readonly bias?: TensorRef<Buf>;
  readonly residual?: TensorRef<Buf>;
  readonly activation?: 'relu' | 'relu6' | 'hardswish';
  /** The weight as `prepackConv2d` prepared it for the same params; the backend may read it instead of w. */
  readonly packed?: Buf;
}

/**
 * Multi-head self-attention over a packed projection (core's `selfAttention`): qkv is
 * [batch, seq, 3, heads, headDim] (queries, keys, values), the output [batch, seq, heads, headDim];
 * scores q·k·scale, keys after the query masked out when `causal`, softmax over the keys.
 */
export interface AttentionParams {
  batch: number;
  seq: number;
  heads: number;
  headDim: number;
  causal: boolean;
  scale: number;
}

/** Standardisation over the last axis of x viewed as [rows, cols]: (x − mean) / sqrt(var + eps), biased variance. */
export interface StandardizeParams {
  rows: number;
  cols: number;
  eps: number;
}

/** Rows of logits (rows × cols, row-major) with one int32 label per row (softmaxCrossEntropy). */
export interface SoftmaxRowsParams {
  rows: number;
  cols: number;
}

export interface BackendMemory {
  /** Buffers currently handed out to tensors. */
  liveBuffers: number;
  liveBytes: number;
  /** Bytes kept by the backend for reuse (not owned by any tensor). */
  pooledBytes: number;
}

export interface Backend<Buf = any> {
  readonly name: string;

  // ---- memory -------------------------------------------------------------
  /** A zero-filled buffer of `size` elements. */
  allocate(dtype: DType, size: number): Buf;
  /** A buffer holding a copy of `data`. */
  upload(data: DataArray): Buf;
  /** A copy of the buffer's contents. Resolves once all queued work that writes it is done. */
  read(buf: Buf, dtype: DType, size: number): Promise<DataArray>;
  /** Present only on backends that can read synchronously (js, cpu, wasm; webgpu in Node, where it waits for the GPU). */
  readSync?(buf: Buf, dtype: DType, size: number): DataArray;
  /** The buffer is no longer used by core; the backend may reuse it once pending work is done. */
  release(buf: Buf): void;
  memory(): BackendMemory;
  /**
   * Optional: the most elements of `dtype` one buffer can hold when that is below core's
   * MAX_ELEMENTS (2³¹−1); core refuses larger tensors before asking for memory.
   */
  maxElements?(dtype: DType): number;
  /** Optional: resolves once all queued work has finished (GPU backends). */
  sync?(): Promise<void>;
  /**
   * True when a buffer is an object the garbage collector frees with its memory (typed
   * arrays, native memory with a GC finalizer). Core then calls `release` only for
   * tensors that are disposed, and leaves unreachable ones to the collector: a buffer held
   * for a FinalizationRegistry callback could only be freed by a full (mark-compact) GC,
   * never by the young-generation collections that free short-lived buffers at once.
   * Otherwise (GPU buffers) core calls `release` for every buffer, from a
   * FinalizationRegistry when its tensors are unreachable.
   */
  readonly buffersCollected?: boolean;

  /**
   * Optional: a replay (jit.trace) releases and takes back up to `bytes` of buffers every step; a
   * backend that pools released buffers keeps at least that much, so a replayed step allocates nothing.
   */
  reserve?(bytes: number): void;

  /**
   * Optional: a replay (jit.trace) calls `beginReplay` before its first kernel and `endReplay`
   * after its last (also when a kernel throws). A GPU backend may encode every kernel in between
   * into one command buffer and submit it at the end. Absent: kernels are dispatched as they come.
   */
  beginReplay?(): void;
  endReplay?(): void;

  /**
   * Optional, with `planOutput`: a buffer for a replay's buffer plan (jit.trace), held by the plan
   * for as long as it lives and never released to the backend; `length` elements of `dtype`.
   */
  planBuffer?(dtype: DType, length: number): Buf;
  /**
   * Optional: the next method call that makes an output of `buf`'s dtype and length returns `buf`
   * (a planned buffer of `planBuffer`, or a view of one) instead of taking one from the backend's
   * memory; null cancels. A replay sets it before each step, so a planned step allocates nothing.
   */
  planOutput?(buf: Buf | null): void;
  /**
   * Optional, with `planBuffer`: a view of the first `length` elements of a planned buffer, so
   * values smaller than a planned buffer can share it. Without it a planned buffer is shared only by
   * values of its own length and dtype.
   */
  planView?(buf: Buf, length: number): Buf;

  /**
   * Optional: false for a primitive (an elementwise operator's name or a method name) this
   * backend has no kernel for. Core then uses the operator's default composed from other
   * primitives where it has one (see core's elementwise table), and otherwise throws an
   * error naming the operator and the backend. Absent: the backend implements everything.
   */
  hasKernel?(op: string): boolean;

  // ---- primitives ---------------------------------------------------------
  /**
   * Elementwise; output has x's shape. The row of `op` in core's elementwise table says which
   * dtypes arrive: float32 for `float` and `rounding` rows, float32 or int32 for `signed`
   * rows, bool for `logical` rows.
   */
  unary(op: UnaryOp, x: TensorRef<Buf>): Buf;
  /**
   * Elementwise with NumPy broadcasting. a.shape and b.shape have the same rank as
   * outShape, each dim equal to outShape's or 1. a and b share a dtype; the output dtype is
   * bool for COMPARISON_OPS and that dtype otherwise (logicalAnd/Or get bool inputs, and
   * core never sends bool to an arithmetic row).
   */
  binary(op: BinaryOp, a: TensorRef<Buf>, b: TensorRef<Buf>, outShape: readonly number[]): Buf;
  /** out = cond ? a : b with broadcasting as in `binary`; cond is bool, a and b share a dtype. */
  where(cond: TensorRef<Buf>, a: TensorRef<Buf>, b: TensorRef<Buf>, outShape: readonly number[]): Buf;
  cast(x: TensorRef<Buf>, dtype: DType): Buf;
  /**
   * Reduces `axes` (sorted, unique, non-empty) of x. The output is contiguous with the
   * reduced axes kept as size 1. Empty reductions give the identity (sum 0, prod 1,
   * max −∞, min +∞). Output dtype = input dtype (core never passes bool).
   */
  reduce(op: ReduceOp, x: TensorRef<Buf>, axes: readonly number[]): Buf;
  /** Index (int32) of the first max/min along `axis`; output keeps that axis as size 1. */
  argReduce(op: ArgReduceOp, x: TensorRef<Buf>, axis: number): Buf;
  /**
   * Materialises a strided view: out[i0..ik] = x.flat[offset + Σ ij·strides[j]], with
   * outShape.length === strides.length. Strides may be 0 (broadcast) or negative (flip).
   * Every transpose, expand, slice and flip is this one kernel.
   */
  strided(x: TensorRef<Buf>, outShape: readonly number[], strides: readonly number[], offset: number): Buf;
  /** Joins inputs (same dtype, same rank, equal except along axis) along axis. */
  concat(xs: readonly TensorRef<Buf>[], axis: number, outShape: readonly number[]): Buf;
  /** Constant padding: pads[i] = [before, after] for every axis (non-negative). */
  pad(x: TensorRef<Buf>, pads: readonly (readonly [number, number])[], value: number): Buf;
  /** float32 only. */
  matmul(a: TensorRef<Buf>, b: TensorRef<Buf>, p: MatmulParams, epilogue?: Epilogue<Buf>): Buf;
  /** float32 only. */
  conv2d(x: TensorRef<Buf>, w: TensorRef<Buf>, p: Conv2dParams, epilogue?: Epilogue<Buf>): Buf;
  /**
   * Optional, float32: conv2d with the wider fused epilogue. Only traced programs call it (jit
   * fuses those steps only where the backend has it); elsewhere they stay separate kernels.
   */
  conv2dEpilogue?(x: TensorRef<Buf>, w: TensorRef<Buf>, p: Conv2dParams, epilogue: ConvEpilogue<Buf>): Buf;
  /**
   * Optional: w prepared once for repeated conv2dEpilogue calls with params p (a layout the
   * backend's kernel reads directly, passed back as `ConvEpilogue.packed`), or null when the
   * backend has no such path for p. Traced inference programs call it for their constant weights.
   */
  prepackConv2d?(w: TensorRef<Buf>, p: Conv2dParams): Buf | null;
  /** Optional: as prepackConv2d, for matmul's b with params p (passed back as `Epilogue.packed`). */
  prepackMatmul?(b: TensorRef<Buf>, p: MatmulParams): Buf | null;
  /**
   * Optional: a chain of float32 elementwise operators in one kernel (`ElementwiseInstr`), over
   * inputs of `size` elements or of one (broadcast). Only traced programs call it (jit fuses
   * elementwise chains into it where the backend has it); elsewhere they stay separate kernels.
   */
  elementwiseProgram?(program: readonly ElementwiseInstr[], inputs: readonly TensorRef<Buf>[], size: number): Buf;
  /** dy [N,O,OH,OW], w → dx [N,C,H,W]. */
  conv2dBackwardInput(dy: TensorRef<Buf>, w: TensorRef<Buf>, p: Conv2dParams): Buf;
  /** x, dy → dw [O, C/groups, KH, KW]. */
  conv2dBackwardFilter(x: TensorRef<Buf>, dy: TensorRef<Buf>, p: Conv2dParams): Buf;
  pool2d(op: PoolOp, x: TensorRef<Buf>, p: Pool2dParams): Buf;
  /** Gradient of pool2d: dy [N,C,OH,OW] → dx [N,C,H,W]; max needs x to find each window's maximum. */
  pool2dBackward(op: PoolOp, x: TensorRef<Buf>, dy: TensorRef<Buf>, p: Pool2dParams): Buf;

  // ---- optional primitives: core composes them from the ones above when absent -------
  /**
   * out[i…] = x[i… with coordinate `axis` replaced by index[i…]]; out has index's shape and
   * x's dtype. index is int32 of x's rank, no longer than x on every other axis; its values
   * are meant to lie in [0, x.shape[axis]) — a kernel must not read outside x when they do not.
   */
  gather?(x: TensorRef<Buf>, index: TensorRef<Buf>, axis: number): Buf;
  /** A copy of x with src[i…] added at x[i… with coordinate `axis` = index[i…]]; src has index's shape. */
  scatterAdd?(x: TensorRef<Buf>, index: TensorRef<Buf>, src: TensorRef<Buf>, axis: number): Buf;
  /** int32 positions that sort x along `axis`, stable (ties keep their order); output has x's shape. */
  argsort?(x: TensorRef<Buf>, axis: number, descending: boolean): Buf;
  /**
   * The first k (1 ≤ k ≤ x.shape[axis]) of argsort's positions along `axis` — stable, NaN
   * last — found without sorting the whole axis; output is x's shape with `axis` of length k.
   */
  topk?(x: TensorRef<Buf>, k: number, axis: number, descending: boolean): Buf;
  /**
   * alpha·a + beta·b, a and b float32 of one shape: each product rounded to float32, then the
   * sum (no fused multiply-add), so that it equals the binary kernels mul, mul, add.
   */
  scaledAdd?(a: TensorRef<Buf>, b: TensorRef<Buf>, alpha: number, beta: number): Buf;
  /** a·sign(b), a and b float32 of one shape, equal to the kernels sign and mul (relu's gradient). */
  mulSign?(a: TensorRef<Buf>, b: TensorRef<Buf>): Buf;
  /**
   * The max pool's gradient times sign(x), equal to mulSign(pool2dBackward('max', x, dy, p), x):
   * over a relu output x, relu's gradient folded into the pool's (one pass over x instead of two).
   */
  maxPool2dSignBackward?(x: TensorRef<Buf>, dy: TensorRef<Buf>, p: Pool2dParams): Buf;
  /** Exact GELU x·Φ(x), float32. A backend has both gelu methods or neither. */
  gelu?(x: TensorRef<Buf>): Buf;
  /** Its gradient dy·(Φ(x) + x·φ(x)). */
  geluBackward?(x: TensorRef<Buf>, dy: TensorRef<Buf>): Buf;
  /** Layer norm's standardisation (`StandardizeParams`), float32. A backend has both or neither. */
  standardize?(x: TensorRef<Buf>, p: StandardizeParams): Buf;
  /** Its gradient from x and dy, (dy − mean(dy) − y·mean(dy·y)) / sqrt(var + eps), the moments recomputed. */
  standardizeBackward?(x: TensorRef<Buf>, dy: TensorRef<Buf>, p: StandardizeParams): Buf;
  /**
   * Layer norm with its affine step, x̂·weight + bias (x̂ = the standardisation, weight and bias of
   * `cols` values), float32. A backend has all three standardizeAffine methods or none.
   */
  standardizeAffine?(x: TensorRef<Buf>, weight: TensorRef<Buf>, bias: TensorRef<Buf>, p: StandardizeParams): Buf;
  /** Its gradient for x: standardizeBackward of dy·weight, the moments recomputed. */
  standardizeAffineBackward?(x: TensorRef<Buf>, weight: TensorRef<Buf>, dy: TensorRef<Buf>, p: StandardizeParams): Buf;
  /** Its gradient for weight: Σ over the rows of dy·x̂ (`cols` values), the moments recomputed. */
  standardizeWeightGrad?(x: TensorRef<Buf>, dy: TensorRef<Buf>, p: StandardizeParams): Buf;
  /**
   * Per row, −log softmax(logits)[label] (`SoftmaxRowsParams`; float32 logits, int32 labels, a
   * label outside [0, cols) gives NaN). A backend has both or neither.
   */
  softmaxCrossEntropy?(logits: TensorRef<Buf>, labels: TensorRef<Buf>, p: SoftmaxRowsParams): Buf;
  /** Its gradient (softmax − onehot(label))·dloss per row, the softmax recomputed. */
  softmaxCrossEntropyBackward?(logits: TensorRef<Buf>, labels: TensorRef<Buf>, dloss: TensorRef<Buf>, p: SoftmaxRowsParams): Buf;
  /** Self-attention forward (`AttentionParams`): qkv [B, T, 3·H·E] → [B, T, H·E]. A backend has both or neither. */
  selfAttention?(qkv: TensorRef<Buf>, p: AttentionParams): Buf;
  /** Its gradient: qkv and dy [B, T, H·E] → dqkv [B, T, 3·H·E] (the scores recomputed, none kept). */
  selfAttentionBackward?(qkv: TensorRef<Buf>, dy: TensorRef<Buf>, p: AttentionParams): Buf;
}

/**
 * Extra facts a backend may state about itself. A software GPU adapter
 * (lavapipe, SwiftShader) sets `autoSelectable: false` so that the registry
 * never picks it by default; it is still used when asked for by name.
 */
export interface BackendTraits {
  readonly autoSelectable?: boolean;
  /** A line for `mge devices`, e.g. the adapter name or the SIMD level. */
  readonly description?: string;
}
