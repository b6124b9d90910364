import type {
  ArgReduceOp,
  Backend,
  BackendMemory,
  BackendTraits,
  BinaryOp,
  Conv2dParams,
  DataArray,
  DType,
  ElementwiseInstr,
  Epilogue,
  MatmulParams,
  Pool2dParams,
  PoolOp,
  ReduceOp,
  TensorRef,
  UnaryOp,
} from '@mge/core';
import { broadcastStrides, COMPARISON_OPS, contiguousStrides, planRows, sizeOf } from '@mge/core';
import { type AdapterFacts, adapterFacts, describeAdapter, isSoftwareAdapter } from './adapter-info.js';
import { GpuBuffer } from './buffer-pool.js';
import { canPump } from './dawn-events.js';
import { getGpu, isNode } from './gpu-provider.js';
import { fromHalf, toHalf } from './half.js';
import { binaryKernel, castKernel, fillKernel, hasElementwiseKernel, unaryKernel, whereKernel } from './kernels/elementwise.js';
import {
  conv2dBackwardFilterKernel,
  conv2dBackwardInputKernel,
  conv2dKernel,
  convVec,
  type EpilogueParts,
  GEMM_OP_PARAMS,
  type GemmShape,
  type GemmVariant,
  gemmShapeFor,
  matmulKernel,
  matmulVec,
  NO_EPILOGUE,
  splitKSumKernel,
  type VecChoice,
} from './kernels/gemm.js';
import { argsortKernel, gatherKernel, scatterAddKernel } from './kernels/indexing.js';
import { concatPieceKernel, type MoveElem, padKernel, stridedKernel } from './kernels/layout.js';
import { pool2dBackwardKernel, pool2dKernel } from './kernels/pool.js';
import { checkProgram, programKernel, programKey } from './kernels/program.js';
import { argReduceKernel, reduceKernel } from './kernels/reduce.js';
import { GpuPlan, isPlanned } from './plan.js';
import { NO_ADAPTER, probeAdapter } from './probe.js';
import { f32Bits, GpuRuntime, type KernelSource, WANTED_DYNAMIC_STORAGE_BINDINGS } from './runtime.js';

type Ref = TensorRef<GpuBuffer>;

/** Elements per workgroup when a long reduction is split over several workgroups. */
const REDUCE_CHUNK = 16384;
/** Split-K kicks in when a GEMM has fewer output tiles than this and a long K. */
const SPLIT_K_MIN_TILES = 16;
/** Each split covers at least this many k-tiles, so the extra reduction stays cheap. */
const SPLIT_K_MIN_KTILES = 8;

/** A validated epilogue: its parts, the bias buffer, and how flat output indices map to channels. */
interface FusedEpilogue {
  parts: EpilogueParts;
  bias?: GpuBuffer;
  /** Output channels (bias length) and elements per channel run: channel(i) = (i / inner) % channels. */
  channels: number;
  inner: number;
}

function epilogueOf(op: string, e: Epilogue<GpuBuffer> | undefined, channels: number, inner: number): FusedEpilogue {
  // Core checked the epilogue (activation, one float32 bias value per output channel).
  const bias = e?.bias ? bufOf(op, e.bias as Ref, 'epilogue.bias') : undefined;
  return { parts: { bias: bias !== undefined, relu: e?.activation === 'relu' }, bias, channels, inner };
}

function emptyArray(dtype: DType): DataArray {
  return dtype === 'float32' ? new Float32Array(0) : dtype === 'int32' ? new Int32Array(0) : new Uint8Array(0);
}

function bufOf(op: string, ref: Ref, arg: string): GpuBuffer {
  const b = ref?.buf as unknown;
  if (!(b instanceof GpuBuffer)) {
    throw new TypeError(
      `webgpu.${op}: argument '${arg}' must hold a webgpu buffer, got ${b === null ? 'null' : typeof b} (is the tensor on another device?)`,
    );
  }
  if (b.released) throw new Error(`webgpu.${op}: argument '${arg}' uses a buffer that was already released`);
  return b;
}

export class WebGpuBackend implements Backend<GpuBuffer>, BackendTraits {
  readonly name = 'webgpu';
  readonly autoSelectable: boolean;
  readonly description: string;
  /** vec4 global loads in the GEMM staging where the layout allows; false forces scalar loads (A/B benchmarks). */
  vec4 = true;

  constructor(
    readonly runtime: GpuRuntime,
    readonly adapter: AdapterFacts,
  ) {
    this.autoSelectable = !isSoftwareAdapter(adapter);
    this.description = `${describeAdapter(adapter)}${runtime.f16 ? ' [f16 storage]' : ''}`;
  }

  // ---- memory ---------------------------------------------------------------

  allocate(_dtype: DType, size: number): GpuBuffer {
    const out = this.runtime.acquire(size, _dtype);
    // Zero bits are zero in every storage type: fill whole 32-bit words (f16 pairs included).
    const words = Math.ceil(out.bytes / 4);
    this.run(fillKernel, [out], [words, 0], words);
    return out;
  }

  upload(data: DataArray): GpuBuffer {
    const dtype: DType = data instanceof Float32Array ? 'float32' : data instanceof Int32Array ? 'int32' : 'bool';
    const out = this.runtime.acquire(data.length, dtype, true);
    // bool is stored as u32 on the GPU: storage buffers have no 8-bit type. In f16 mode the
    // host rounds float32 to half (the GPU would round the same way, ties to even).
    this.runtime.write(
      out,
      data instanceof Uint8Array ? Uint32Array.from(data) : this.f16 && data instanceof Float32Array ? toHalf(data) : data,
    );
    return out;
  }

  async read(buf: GpuBuffer, dtype: DType, size: number): Promise<DataArray> {
    const bytes = this.readBytes(buf, dtype, size);
    return bytes === 0 ? emptyArray(dtype) : this.decode(await this.runtime.read(buf, bytes), dtype, size);
  }

  /**
   * Present in Node only (Dawn's events can be processed on the spot, see dawn-events.ts); a
   * browser cannot wait for the GPU synchronously, so there core points to the async reads.
   */
  readonly readSync?: (buf: GpuBuffer, dtype: DType, size: number) => DataArray = canPump()
    ? (buf, dtype, size) => {
        const bytes = this.readBytes(buf, dtype, size);
        return bytes === 0 ? emptyArray(dtype) : this.decode(this.runtime.readSync(buf, bytes), dtype, size);
      }
    : undefined;

  /** Bytes a read of `size` elements copies: whole 4-byte words (capacities are multiples of 16, so rounding up stays inside). */
  private readBytes(buf: GpuBuffer, dtype: DType, size: number): number {
    if (!(buf instanceof GpuBuffer)) throw new TypeError(`webgpu.read: argument 'buf' must be a webgpu buffer, got ${typeof buf}`);
    if (buf.released) throw new Error('webgpu.read: the buffer was already released');
    const per = this.runtime.bytesPer(dtype);
    if (size * per > buf.capacity) {
      throw new RangeError(`webgpu.read: ${size} elements do not fit the buffer's ${buf.capacity} bytes`);
    }
    return Math.ceil((size * per) / 4) * 4;
  }

  private decode(bytes: ArrayBuffer, dtype: DType, size: number): DataArray {
    if (dtype === 'float32') return this.f16 ? fromHalf(new Uint16Array(bytes), size) : new Float32Array(bytes, 0, size);
    if (dtype === 'int32') return new Int32Array(bytes, 0, size);
    return Uint8Array.from(new Uint32Array(bytes, 0, size));
  }

  release(buf: GpuBuffer): void {
    if (!(buf instanceof GpuBuffer)) throw new TypeError(`webgpu.release: argument 'buf' must be a webgpu buffer, got ${typeof buf}`);
    if (isPlanned(buf)) throw new Error("webgpu.release: argument 'buf' belongs to a replay's buffer plan, which keeps it");
    this.runtime.pool.release(buf);
  }

  /** The adapter's largest storage buffer, in elements of the dtype's GPU storage type. */
  maxElements(dtype: DType): number {
    return Math.floor(this.runtime.maxBufferBytes / this.runtime.bytesPer(dtype));
  }

  memory(): BackendMemory {
    const p = this.runtime.pool;
    return { liveBuffers: p.liveBuffers, liveBytes: p.liveBytes, pooledBytes: p.pooledBytes };
  }

  /** A replay's kernels are encoded into one command buffer, submitted once at endReplay. */
  beginReplay(): void {
    this.runtime.beginReplay();
  }

  endReplay(): void {
    this.runtime.endReplay();
  }

  sync(): Promise<void> {
    return this.runtime.sync();
  }

  /** Frees pooled buffers and the device; the backend is unusable afterwards. */
  destroy(): void {
    this.runtime.destroy();
  }

  /** Whether float32 tensors are stored as f16 on the GPU (see createWebGpuBackend's `f16`). */
  get f16(): boolean {
    return this.runtime.f16;
  }

  /** Movement kernels copy u32 words, except f16-stored float32 tensors (2-byte elements). */
  private moveElem(dtype: DType): MoveElem {
    return this.runtime.f16 && dtype === 'float32' ? 'f32' : 'u32';
  }

  /** Dispatches a one-thread-per-element kernel over `threads` threads. */
  private run(k: KernelSource, bufs: readonly GpuBuffer[], params: readonly number[], threads: number): void {
    this.runtime.dispatch(k, bufs, params, GpuRuntime.grid(threads));
  }

  // ---- elementwise ------------------------------------------------------------

  /** Elementwise operators whose row in core's table has a WGSL expression; every other primitive. */
  hasKernel(op: string): boolean {
    return hasElementwiseKernel(op);
  }

  unary(op: UnaryOp, x: Ref): GpuBuffer {
    const xb = bufOf(op, x, 'x');
    const n = sizeOf(x.shape);
    const out = this.runtime.acquire(n, x.dtype);
    this.run(unaryKernel(op, x.dtype), [xb, out], [n], n);
    return out;
  }

  binary(op: BinaryOp, a: Ref, b: Ref, outShape: readonly number[]): GpuBuffer {
    const ab = bufOf(op, a, 'a');
    const bb = bufOf(op, b, 'b');
    const n = sizeOf(outShape);
    const {
      shape,
      strides: [sa, sb],
    } = planRows(outShape, [broadcastStrides(a.shape, outShape), broadcastStrides(b.shape, outShape)]);
    const out = this.runtime.acquire(n, COMPARISON_OPS.has(op) ? 'bool' : a.dtype);
    const k = binaryKernel(op, a.dtype, COMPARISON_OPS.has(op), shape.length);
    this.run(k, [ab, bb, out], [n, ...shape, ...sa, ...sb], n);
    return out;
  }

  where(cond: Ref, a: Ref, b: Ref, outShape: readonly number[]): GpuBuffer {
    const cb = bufOf('where', cond, 'cond');
    const ab = bufOf('where', a, 'a');
    const bb = bufOf('where', b, 'b');
    const n = sizeOf(outShape);
    const {
      shape,
      strides: [sc, sa, sb],
    } = planRows(outShape, [
      broadcastStrides(cond.shape, outShape),
      broadcastStrides(a.shape, outShape),
      broadcastStrides(b.shape, outShape),
    ]);
    const out = this.runtime.acquire(n, a.dtype);
    this.run(whereKernel(a.dtype, shape.length), [cb, ab, bb, out], [n, ...shape, ...sc, ...sa, ...sb], n);
    return out;
  }

  cast(x: Ref, dtype: DType): GpuBuffer {
    const xb = bufOf('cast', x, 'x');
    const n = sizeOf(x.shape);
    const out = this.runtime.acquire(n, dtype);
    this.run(castKernel(x.dtype, dtype), [xb, out], [n], n);
    return out;
  }

  // ---- reductions -------------------------------------------------------------

  reduce(op: ReduceOp, x: Ref, axes: readonly number[]): GpuBuffer {
    const xb = bufOf(op, x, 'x');
    const strides = contiguousStrides(x.shape);
    const reduced = new Set(axes);
    // Group neighbouring dims that are both kept or both reduced; x is contiguous, so each group is one dim.
    const kept: [number, number][] = [];
    const red: [number, number][] = [];
    let lastKind: 'k' | 'r' | undefined;
    for (let d = 0; d < x.shape.length; d++) {
      if (x.shape[d] === 1) continue;
      const kind = reduced.has(d) ? 'r' : 'k';
      const list = kind === 'r' ? red : kept;
      if (kind === lastKind) {
        const g = list[list.length - 1];
        g[0] *= x.shape[d];
        g[1] = strides[d];
      } else list.push([x.shape[d], strides[d]]);
      lastKind = kind;
    }
    const outCount = sizeOf(kept.map((g) => g[0]));
    const redCount = sizeOf(red.map((g) => g[0]));
    const emptyInput = x.shape.some((d) => d === 0);
    const outSize = sizeOf(x.shape.map((d, i) => (reduced.has(i) ? 1 : d)));
    const out = this.runtime.acquire(outSize, x.dtype);
    if (outSize === 0) return out;
    if (emptyInput) {
      kept.length = 0;
      red.length = 0;
    } else if (outCount !== outSize) {
      throw new Error(`webgpu.${op}: internal error, ${outCount} kept elements for an output of ${outSize}`);
    }
    const geometry = [...kept.map((g) => g[0]), ...kept.map((g) => g[1]), ...red.map((g) => g[0]), ...red.map((g) => g[1])];
    const r = emptyInput ? 0 : redCount;
    const wide = r >= 2048 || (r >= 64 && outSize <= 16384);
    if (!wide) {
      this.run(reduceKernel(op, x.dtype, kept.length, red.length, 'serial'), [xb, out], [outSize, r, 1, r, ...geometry], outSize);
      return out;
    }
    // Few outputs over a long axis: spread each output over several workgroups, then combine the partials.
    const splits = outSize < 64 && r >= 4 * REDUCE_CHUNK ? Math.min(Math.ceil(r / REDUCE_CHUNK), Math.ceil(256 / outSize)) : 1;
    const chunk = Math.ceil(r / splits);
    const k = reduceKernel(op, x.dtype, kept.length, red.length, 'workgroup');
    const target = splits === 1 ? out : this.runtime.acquire(outSize * splits, x.dtype);
    this.runtime.dispatch(k, [xb, target], [outSize, r, splits, chunk, ...geometry], GpuRuntime.grid(outSize * splits, 1));
    if (splits > 1) {
      const mode = splits >= 64 ? 'workgroup' : 'serial';
      const params = [outSize, splits, 1, splits, outSize, splits, splits, 1];
      const k2 = reduceKernel(op, x.dtype, 1, 1, mode);
      if (mode === 'workgroup') this.runtime.dispatch(k2, [target, out], params, GpuRuntime.grid(outSize, 1));
      else this.run(k2, [target, out], params, outSize);
      this.runtime.pool.release(target);
    }
    return out;
  }

  argReduce(op: ArgReduceOp, x: Ref, axis: number): GpuBuffer {
    const xb = bufOf(op, x, 'x');
    const len = x.shape[axis];
    const inner = sizeOf(x.shape.slice(axis + 1));
    const n = sizeOf(x.shape.slice(0, axis)) * inner;
    if (len === 0) return this.allocate('int32', n);
    const out = this.runtime.acquire(n, 'int32');
    this.run(argReduceKernel(op, x.dtype), [xb, out], [n, len, inner], n);
    return out;
  }

  /** Kernels of fused elementwise programs (kernels/program.ts), by program and which inputs are single values. */
  private readonly programs = new WeakMap<readonly ElementwiseInstr[], Map<string, KernelSource>>();

  /**
   * A jit-fused elementwise chain as one dispatch. Past the device's storage bindings per shader
   * stage (inputs + output) the instructions run one kernel each, with the same results.
   */
  elementwiseProgram(program: readonly ElementwiseInstr[], inputs: readonly Ref[], size: number): GpuBuffer {
    if (!Number.isInteger(size) || size < 0) {
      throw new RangeError(`webgpu.elementwiseProgram: argument 'size' must be a non-negative integer, got ${size}`);
    }
    if (!Array.isArray(inputs)) throw new TypeError(`webgpu.elementwiseProgram: argument 'inputs' must be an array, got ${typeof inputs}`);
    const bufs = inputs.map((r, k) => bufOf('elementwiseProgram', r, `inputs[${k}]`));
    const scalar = inputs.map((r, k) => {
      const n = sizeOf(r.shape);
      if (r.dtype !== 'float32' || (n !== size && n !== 1)) {
        throw new TypeError(`webgpu.elementwiseProgram: inputs[${k}] must be float32 of ${size} elements or of 1, got ${r.dtype} of ${n}`);
      }
      return n === 1 && size !== 1;
    });
    let kernels = this.programs.get(program);
    if (!kernels) {
      kernels = new Map();
      this.programs.set(program, kernels);
    }
    const sig = scalar.map((s) => (s ? 's' : 'v')).join('');
    let k = kernels.get(sig);
    if (!k) {
      checkProgram(program, inputs.length);
      k = programKernel(programKey(program, scalar), program, scalar);
      kernels.set(sig, k);
    }
    if (inputs.length + 1 > (this.runtime.device.limits.maxStorageBuffersPerShaderStage ?? 8)) {
      return this.programUnfused(program, inputs, scalar, size);
    }
    const out = this.runtime.acquire(size, 'float32');
    this.run(k, [...bufs, out], [size], size);
    return out;
  }

  private programUnfused(
    program: readonly ElementwiseInstr[],
    inputs: readonly Ref[],
    scalar: readonly boolean[],
    size: number,
  ): GpuBuffer {
    const results: GpuBuffer[] = [];
    const ref = (a: number): Ref =>
      a >= 0
        ? { buf: results[a], shape: [size], dtype: 'float32' }
        : { buf: inputs[-1 - a].buf, shape: [scalar[-1 - a] ? 1 : size], dtype: 'float32' };
    program.forEach((ins, j) => {
      results[j] =
        ins.kind === 'unary'
          ? this.unary(ins.op as UnaryOp, ref(ins.args[0]))
          : this.binary(ins.op as BinaryOp, ref(ins.args[0]), ref(ins.args[1]), [size]);
    });
    for (let j = 0; j < results.length - 1; j++) this.runtime.pool.release(results[j]);
    return results[results.length - 1];
  }

  // ---- movement -----------------------------------------------------------------

  strided(x: Ref, outShape: readonly number[], strides: readonly number[], offset: number): GpuBuffer {
    const xb = bufOf('strided', x, 'x');
    const n = sizeOf(outShape);
    const {
      shape,
      strides: [st],
    } = planRows(outShape, [strides]);
    const out = this.runtime.acquire(n, x.dtype);
    this.run(stridedKernel(shape.length, this.moveElem(x.dtype)), [xb, out], [n, offset, ...shape, ...st], n);
    return out;
  }

  concat(xs: readonly Ref[], axis: number, outShape: readonly number[]): GpuBuffer {
    const dtype = xs[0]?.dtype ?? 'float32';
    const out = this.runtime.acquire(sizeOf(outShape), dtype);
    const piece = concatPieceKernel(this.moveElem(dtype));
    const inner = sizeOf(outShape.slice(axis + 1));
    const rowOut = outShape[axis] * inner;
    let at = 0;
    xs.forEach((x, i) => {
      const xb = bufOf('concat', x, `xs[${i}]`);
      const n = sizeOf(x.shape);
      const rowIn = x.shape[axis] * inner;
      if (n > 0) this.run(piece, [xb, out], [n, rowIn, rowOut, at * inner], n);
      at += x.shape[axis];
    });
    return out;
  }

  pad(x: Ref, pads: readonly (readonly [number, number])[], value: number): GpuBuffer {
    const xb = bufOf('pad', x, 'x');
    const outShape = x.shape.map((d, i) => d + pads[i][0] + pads[i][1]);
    const n = sizeOf(outShape);
    const bits = x.dtype === 'float32' ? f32Bits(value) : x.dtype === 'int32' ? value | 0 : value !== 0 ? 1 : 0;
    const out = this.runtime.acquire(n, x.dtype);
    const rank = x.shape.length;
    this.run(padKernel(rank, this.moveElem(x.dtype)), [xb, out], [n, bits, ...outShape, ...x.shape, ...pads.map((p) => p[0])], n);
    return out;
  }

  // ---- GEMM family --------------------------------------------------------------

  /**
   * Runs a GEMM-shaped kernel over `batch` independent M×N×K products writing `outSize`
   * elements. With few output tiles and a long K it splits K across workgroups and adds
   * the partial results in a second pass, which then applies the epilogue (bias, relu);
   * otherwise the GEMM's store step applies it.
   */
  private gemm(
    kernel: (g: GemmShape, v: GemmVariant) => KernelSource,
    vec: VecChoice,
    inputs: [GpuBuffer, GpuBuffer],
    outSize: number,
    m: number,
    n: number,
    kk: number,
    batch: number,
    opParams: number[],
    epi?: FusedEpilogue,
  ): GpuBuffer {
    const out = this.runtime.acquire(outSize, 'float32');
    if (outSize === 0) return out;
    const shape = gemmShapeFor(m, n);
    const tm = 4 * shape.wy;
    const tn = 4 * shape.wx;
    const tiles = Math.ceil(m / tm) * Math.ceil(n / tn) * batch;
    const kTiles = Math.ceil(kk / shape.tk);
    let splits = 1;
    if (tiles < SPLIT_K_MIN_TILES && kTiles >= 2 * SPLIT_K_MIN_KTILES) {
      splits = Math.min(Math.ceil((2 * SPLIT_K_MIN_TILES) / tiles), Math.floor(kTiles / SPLIT_K_MIN_KTILES));
      splits = Math.min(splits, Math.floor(65535 / batch));
    }
    const perSplit = Math.max(1, Math.ceil(kTiles / splits));
    splits = Math.max(1, Math.ceil(kTiles / perSplit));
    const groups = [Math.ceil(n / tn), Math.ceil(m / tm), batch * splits];
    const common = [m, n, kk, splits, outSize, perSplit];
    if (common.length !== GEMM_OP_PARAMS) throw new Error('webgpu: internal error, GEMM parameter layout changed');
    const parts = epi?.parts ?? NO_EPILOGUE;
    if (!this.vec4) vec = { vecA: false, vecB: false };
    const bias = epi?.bias ? [epi.bias] : [];
    if (splits === 1) {
      this.runtime.dispatch(kernel(shape, { ...vec, epi: parts }), [...inputs, ...bias, out], [...common, ...opParams], groups);
      return out;
    }
    const partial = this.runtime.acquire(outSize * splits, 'float32');
    this.runtime.dispatch(kernel(shape, { ...vec, epi: NO_EPILOGUE }), [...inputs, partial], [...common, ...opParams], groups);
    this.run(splitKSumKernel(parts), [partial, ...bias, out], [outSize, splits, epi?.channels ?? 1, epi?.inner ?? 1], outSize);
    this.runtime.pool.release(partial);
    return out;
  }

  matmul(a: Ref, b: Ref, p: MatmulParams, epilogue?: Epilogue<GpuBuffer>): GpuBuffer {
    const ab = bufOf('matmul', a, 'a');
    const bb = bufOf('matmul', b, 'b');
    const epi = epilogueOf('matmul', epilogue, p.n, 1);
    const strideA = p.batchA === 1 ? 0 : p.m * p.k;
    const strideB = p.batchB === 1 ? 0 : p.k * p.n;
    return this.gemm(
      (g, v) => matmulKernel(p.transA, p.transB, g, v),
      matmulVec(p),
      [ab, bb],
      p.batch * p.m * p.n,
      p.m,
      p.n,
      p.k,
      p.batch,
      [strideA, strideB],
      epi,
    );
  }

  private static geometry(p: Conv2dParams): number[] {
    return [p.n, p.c, p.h, p.w, p.o, p.kh, p.kw, p.oh, p.ow, p.sh, p.sw, p.ph, p.pw, p.dh, p.dw, p.c / p.groups, p.o / p.groups];
  }

  conv2d(x: Ref, w: Ref, p: Conv2dParams, epilogue?: Epilogue<GpuBuffer>): GpuBuffer {
    const xb = bufOf('conv2d', x, 'x');
    const wb = bufOf('conv2d', w, 'w');
    const epi = epilogueOf('conv2d', epilogue, p.o, p.oh * p.ow);
    const cg = p.c / p.groups;
    const og = p.o / p.groups;
    return this.gemm(
      conv2dKernel,
      convVec('forward', p),
      [xb, wb],
      p.n * p.o * p.oh * p.ow,
      og,
      p.n * p.oh * p.ow,
      cg * p.kh * p.kw,
      p.groups,
      WebGpuBackend.geometry(p),
      epi,
    );
  }

  conv2dBackwardInput(dy: Ref, w: Ref, p: Conv2dParams): GpuBuffer {
    const dyb = bufOf('conv2dBackwardInput', dy, 'dy');
    const wb = bufOf('conv2dBackwardInput', w, 'w');
    const cg = p.c / p.groups;
    const og = p.o / p.groups;
    const unit = p.sh === 1 && p.sw === 1;
    return this.gemm(
      (g, v) => conv2dBackwardInputKernel(g, unit, v),
      convVec('backwardInput', p),
      [dyb, wb],
      p.n * p.c * p.h * p.w,
      cg,
      p.n * p.h * p.w,
      og * p.kh * p.kw,
      p.groups,
      WebGpuBackend.geometry(p),
    );
  }

  conv2dBackwardFilter(x: Ref, dy: Ref, p: Conv2dParams): GpuBuffer {
    const xb = bufOf('conv2dBackwardFilter', x, 'x');
    const dyb = bufOf('conv2dBackwardFilter', dy, 'dy');
    const cg = p.c / p.groups;
    const og = p.o / p.groups;
    return this.gemm(
      conv2dBackwardFilterKernel,
      convVec('backwardFilter', p),
      [xb, dyb],
      p.o * cg * p.kh * p.kw,
      og,
      cg * p.kh * p.kw,
      p.n * p.oh * p.ow,
      p.groups,
      WebGpuBackend.geometry(p),
    );
  }

  // ---- pooling ------------------------------------------------------------------

  private static poolParams(count: number, p: Pool2dParams): number[] {
    return [count, p.h, p.w, p.kh, p.kw, p.oh, p.ow, p.sh, p.sw, p.ph, p.pw];
  }

  pool2d(op: PoolOp, x: Ref, p: Pool2dParams): GpuBuffer {
    const xb = bufOf('pool2d', x, 'x');
    const n = p.n * p.c * p.oh * p.ow;
    const out = this.runtime.acquire(n, 'float32');
    this.run(pool2dKernel(op), [xb, out], WebGpuBackend.poolParams(n, p), n);
    return out;
  }

  pool2dBackward(op: PoolOp, x: Ref, dy: Ref, p: Pool2dParams): GpuBuffer {
    const xb = bufOf('pool2dBackward', x, 'x');
    const dyb = bufOf('pool2dBackward', dy, 'dy');
    const n = p.n * p.c * p.h * p.w;
    const out = this.runtime.acquire(n, 'float32');
    this.run(pool2dBackwardKernel(op), op === 'max' ? [xb, dyb, out] : [dyb, out], WebGpuBackend.poolParams(n, p), n);
    return out;
  }

  // ---- indexing -----------------------------------------------------------------

  gather(x: Ref, index: Ref, axis: number): GpuBuffer {
    const xb = bufOf('gather', x, 'x');
    const ib = bufOf('gather', index, 'index');
    const n = sizeOf(index.shape);
    if (n === 0 || sizeOf(x.shape) === 0) return this.allocate(x.dtype, n);
    const out = this.runtime.acquire(n, x.dtype);
    this.run(gatherKernel(x.shape.length, axis, this.moveElem(x.dtype)), [xb, ib, out], [n, ...x.shape, ...index.shape], n);
    return out;
  }

  scatterAdd(x: Ref, index: Ref, src: Ref, axis: number): GpuBuffer {
    const xb = bufOf('scatterAdd', x, 'x');
    const ib = bufOf('scatterAdd', index, 'index');
    const sb = bufOf('scatterAdd', src, 'src');
    const n = sizeOf(x.shape);
    const out = this.runtime.acquire(n, x.dtype);
    if (n > 0) this.run(scatterAddKernel(x.shape.length, axis, x.dtype), [xb, ib, sb, out], [n, ...x.shape, ...index.shape], n);
    return out;
  }

  argsort(x: Ref, axis: number, descending: boolean): GpuBuffer {
    const xb = bufOf('argsort', x, 'x');
    const n = sizeOf(x.shape);
    const out = this.runtime.acquire(n, 'int32');
    if (n > 0) this.run(argsortKernel(x.dtype), [xb, out], [n, x.shape[axis], sizeOf(x.shape.slice(axis + 1)), descending ? 1 : 0], n);
    return out;
  }

  // ---- a replay's buffer plan (jit.trace; see plan.ts) ------------------------

  /** Made at the first planned buffer. */
  private planned: GpuPlan | undefined;

  planBuffer(dtype: DType, length: number): GpuBuffer {
    this.planned ??= new GpuPlan(this.runtime);
    return this.planned.buffer(dtype, length, this.maxElements(dtype));
  }

  planView(buf: GpuBuffer, length: number): GpuBuffer {
    this.planned ??= new GpuPlan(this.runtime);
    return this.planned.view(buf, length);
  }

  planOutput(buf: GpuBuffer | null): void {
    this.planned ??= new GpuPlan(this.runtime);
    this.planned.output(buf);
  }

  /** Bytes of arena blocks held by replays' buffer plans. */
  get plannedBytes(): number {
    return this.planned?.bytes ?? 0;
  }
}

export interface WebGpuOptions {
  /** Ask for the low-power adapter instead of the high-performance one. */
  powerPreference?: GPUPowerPreference;
  /**
   * Store float32 tensors as f16 on the GPU (half the memory and bandwidth); kernels still
   * compute in f32, uploads round to half and reads widen back to float32 on the host.
   * Needs the adapter's 'shader-f16' feature: without it, creation throws (no silent
   * fallback — the caller asked for half the memory). Default: off; the registered device
   * turns it on when the environment has MGE_WEBGPU_F16=1.
   */
  f16?: boolean;
}

/**
 * Every device (until it is lost or destroyed) and adapter made here stays strongly
 * referenced: Dawn in Node crashed when such objects were collected while in use.
 */
const devices = new Set<GPUDevice>();
const adapters = new Set<GPUAdapter>();

/** Device creation, one at a time: concurrent requestAdapter/requestDevice calls crashed Dawn in Node. */
let creating: Promise<unknown> = Promise.resolve();

/** Requests an adapter and a device with the adapter's full buffer limits. */
export function createWebGpuBackend(options: WebGpuOptions = {}): Promise<WebGpuBackend> {
  const next = creating.then(
    () => createNow(options),
    () => createNow(options),
  );
  creating = next.catch(() => undefined);
  return next;
}

async function createNow(options: WebGpuOptions): Promise<WebGpuBackend> {
  // In Node, a child process answers first whether an adapter exists, so a missing driver is one line.
  if (isNode()) await probeAdapter();
  const gpu = await getGpu();
  const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  if (!adapter) {
    // Advice for where this runs: Vulkan drivers mean nothing to a page's visitor.
    throw new Error(
      isNode()
        ? NO_ADAPTER
        : 'webgpu: no WebGPU adapter found (this browser offers none: WebGPU is off, blocklisted for this GPU, or not supported)',
    );
  }
  const f16 = options.f16 === true;
  if (f16 && !adapter.features.has('shader-f16')) {
    throw new Error(
      `webgpu: f16 storage was requested (f16: true or MGE_WEBGPU_F16=1) but the adapter (${describeAdapter(adapterFacts(adapter))}) has no 'shader-f16' feature; turn the option off to store float32 as f32`,
    );
  }
  const l = adapter.limits;
  const device = await adapter.requestDevice({
    requiredFeatures: f16 ? ['shader-f16'] : [],
    requiredLimits: {
      maxBufferSize: l.maxBufferSize,
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      // Operands bound with dynamic offsets into arena chunks (runtime.ts); the default is 4.
      maxDynamicStorageBuffersPerPipelineLayout: Math.min(
        l.maxDynamicStorageBuffersPerPipelineLayout,
        Math.max(WANTED_DYNAMIC_STORAGE_BINDINGS, 4),
      ),
    },
  });
  devices.add(device);
  adapters.add(adapter);
  device.lost.then(() => devices.delete(device));
  return new WebGpuBackend(new GpuRuntime(device, f16), adapterFacts(adapter));
}
