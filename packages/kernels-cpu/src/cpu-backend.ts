import { Buffer, constants } from 'node:buffer';
import {
  type ArgReduceOp,
  type AttentionParams,
  type Backend,
  type BackendMemory,
  type BackendTraits,
  BINARY,
  type BinaryOp,
  COMPARISON_OPS,
  type Conv2dParams,
  type ConvEpilogue,
  type DataArray,
  type DType,
  type ElementwiseInstr,
  type Epilogue,
  isDType,
  LiveBuffers,
  type MatmulParams,
  type Pool2dParams,
  type PoolOp,
  type ReduceOp,
  type SoftmaxRowsParams,
  type StandardizeParams,
  sizeOf,
  type TensorRef,
  UNARY,
  type UnaryOp,
} from '@mge/core';
import { BufferPool } from './buffer-pool.js';
import { installGcWatch } from './gc-watch.js';
import { loadNative, type NativeAddon } from './native.js';

type Ref = TensorRef<DataArray>;

const REDUCE_CODE: Record<ReduceOp, number> = { sum: 0, prod: 1, max: 2, min: 3 };

function describe(buf: unknown): string {
  if (ArrayBuffer.isView(buf)) return `${buf.constructor.name} of ${(buf as DataArray).length} elements`;
  return buf === null ? 'null' : typeof buf;
}

/** What an error about a kernel missing from an older build tells the user to do. */
const REBUILD = 'rebuild it: pnpm --filter @mge/kernels-cpu build:native';

/** The addon's activation codes (native/epilogue.h `Act`). */
const ACTIVATION_CODES = { none: 0, relu: 1, relu6: 2, hardswish: 3 } as const;

/** The bias buffer of a fused epilogue (core checked it: float32, one value per output channel; the addon checks its length). */
function epilogueBias(epilogue: Epilogue<DataArray> | undefined): Float32Array | null {
  return (epilogue?.bias?.buf as Float32Array | undefined) ?? null;
}

/** Integer parameters for one native call, written into a reused Int32Array. */
class Params {
  private buf = new Int32Array(256);
  private n = 0;

  start(): this {
    this.n = 0;
    return this;
  }

  push(v: number): this {
    if (this.n === this.buf.length) {
      const bigger = new Int32Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    this.buf[this.n++] = v;
    return this;
  }

  pushAll(vs: readonly number[]): this {
    for (const v of vs) this.push(v);
    return this;
  }

  get array(): Int32Array {
    return this.buf;
  }
}

export interface CpuBackendOptions {
  /**
   * Upper bound on bytes of released buffers kept for reuse (default 64 MiB, or MGE_CPU_POOL_MB):
   * a few training steps' worth. Buffers of collected tensors come back in bursts after each GC,
   * and a larger pool mostly holds a burst that later steps never need, which RSS then keeps.
   */
  poolBytes?: number;
}

/**
 * The native `cpu` backend. Buffers are plain typed arrays (the GC sees their
 * memory and frees what is unreachable); native kernels write straight into them,
 * so nothing is copied between JS and C++. Released buffers are reused.
 */
export class CpuBackend implements Backend<DataArray>, BackendTraits {
  readonly name = 'cpu';
  readonly description: string;
  private readonly native: NativeAddon;
  private readonly pool: BufferPool;
  /**
   * False when core's collection watcher is installed (gc-watch.ts, on Node): core then
   * releases every buffer, of disposed and of collected tensors, at its next allocation,
   * and the pool hands it out again — no fresh memory to fault in, no garbage to collect.
   * Without the watcher the GC frees buffers itself (core releases only disposed ones), at
   * every collection, young ones included, rather than waiting for FinalizationRegistry tasks.
   */
  readonly buffersCollected: boolean;
  private readonly live = new WeakSet<DataArray>();
  /** Counts buffers for memory() when the GC frees them; with the watcher every release is seen. */
  private readonly counted = new LiveBuffers();
  private liveCount = 0;
  private liveBytes = 0;
  private readonly p = new Params();
  /** Operator codes as the addon numbers them: it lists its own operators (generated from core's table). */
  private readonly unaryCode: ReadonlyMap<string, number>;
  /** Each fused elementwise program encoded for the addon once (a replay passes the same array). */
  private readonly programs = new WeakMap<readonly ElementwiseInstr[], Int32Array>();
  private readonly binaryCode: ReadonlyMap<string, number>;

  constructor(options: CpuBackendOptions = {}) {
    this.native = loadNative();
    this.buffersCollected = !installGcWatch();
    this.unaryCode = new Map(this.native.unaryOps.map((op, i) => [op, i]));
    this.binaryCode = new Map(this.native.binaryOps.map((op, i) => [op, i]));
    const info = this.native.info();
    this.description = `native C++ (${info.isa} GEMM, ${info.threads} thread${info.threads === 1 ? '' : 's'})`;
    const envMb = Number(typeof process !== 'undefined' ? process.env.MGE_CPU_POOL_MB : undefined);
    // Uninitialised ArrayBuffers (every kernel writes all of its output; allocate() zero-fills)
    // that V8 frees at any collection, young ones included. External ArrayBuffers over the
    // addon's memory would be freed only from a task the event loop runs, so a synchronous
    // training loop would hold every one of them.
    const make = (dtype: DType, size: number): DataArray => {
      const ab = Buffer.allocUnsafeSlow(dtype === 'bool' ? size : size * 4).buffer;
      return dtype === 'float32' ? new Float32Array(ab) : dtype === 'int32' ? new Int32Array(ab) : new Uint8Array(ab);
    };
    this.pool = new BufferPool(options.poolBytes ?? (envMb > 0 ? envMb * 2 ** 20 : 2 ** 26), make);
  }

  // ---- memory -------------------------------------------------------------

  private out(dtype: DType, size: number): DataArray {
    const planned = this.pool.planned(dtype, size);
    if (planned) return planned;
    const buf = this.pool.take(dtype, size);
    this.live.add(buf);
    if (this.buffersCollected) return this.counted.add(buf);
    this.liveCount++;
    this.liveBytes += buf.byteLength;
    return buf;
  }

  allocate(dtype: DType, size: number): DataArray {
    const buf = this.out(dtype, size);
    buf.fill(0);
    return buf;
  }

  upload(data: DataArray): DataArray {
    const dtype: DType = data instanceof Float32Array ? 'float32' : data instanceof Int32Array ? 'int32' : 'bool';
    const buf = this.out(dtype, data.length);
    buf.set(data);
    return buf;
  }

  readSync(buf: DataArray, dtype: DType, size: number): DataArray {
    if (!this.live.has(buf) || !Number.isInteger(size) || size < 0 || size > buf.length) {
      throw new TypeError(`CpuBackend.readSync: expected a live ${dtype} buffer of at least ${size} elements, got ${describe(buf)}`);
    }
    return buf.slice(0, size);
  }

  read(buf: DataArray, dtype: DType, size: number): Promise<DataArray> {
    try {
      return Promise.resolve(this.readSync(buf, dtype, size));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  release(buf: DataArray): void {
    if (!this.live.delete(buf)) {
      throw new Error(`CpuBackend.release: argument 'buf' is not a live buffer of this backend (released twice?), got ${describe(buf)}`);
    }
    if (this.buffersCollected) this.counted.remove(buf);
    else {
      this.liveCount--;
      this.liveBytes -= buf.byteLength;
    }
    const dtype: DType = buf instanceof Float32Array ? 'float32' : buf instanceof Int32Array ? 'int32' : 'bool';
    this.pool.give(dtype, buf);
  }

  /** Node's limit on one Buffer (4 GiB on Node 20), which every buffer here is made by. */
  maxElements(dtype: DType): number {
    return Math.floor(constants.MAX_LENGTH / (dtype === 'bool' ? 1 : 4));
  }

  memory(): BackendMemory {
    const pooledBytes = this.pool.pooledBytes + this.native.cachedBytes();
    if (this.buffersCollected) return this.counted.memory(pooledBytes);
    return { liveBuffers: this.liveCount, liveBytes: this.liveBytes, pooledBytes };
  }

  reserve(bytes: number): void {
    if (!(bytes >= 0)) throw new RangeError(`CpuBackend.reserve: argument 'bytes' expected a non-negative number, got ${bytes}`);
    this.pool.reserve(bytes);
  }

  planBuffer(dtype: DType, length: number): DataArray {
    if (!Number.isInteger(length) || length < 1 || length > this.maxElements(dtype)) {
      throw new RangeError(
        `CpuBackend.planBuffer: argument 'length' expected an integer in [1, ${this.maxElements(dtype)}], got ${length}`,
      );
    }
    // the pool holds what the recording calls released: the very intermediates the plan now holds
    this.pool.clear();
    const ab = Buffer.allocUnsafeSlow(dtype === 'bool' ? length : length * 4).buffer;
    return dtype === 'float32' ? new Float32Array(ab) : dtype === 'int32' ? new Int32Array(ab) : new Uint8Array(ab);
  }

  planOutput(buf: DataArray | null): void {
    this.pool.plan(buf);
  }

  /** Drops every pooled buffer and frees the native cache (memory the GC already returned). */
  trimPool(): void {
    this.pool.clear();
    this.native.trimCache();
  }

  // ---- elementwise --------------------------------------------------------

  /** Elementwise operators exist when the addon was built with their row; every other primitive always. */
  hasKernel(op: string): boolean {
    if (op in UNARY) return this.unaryCode.has(op);
    if (op in BINARY) return this.binaryCode.has(op);
    if (op === 'scaledAdd') return this.native.scaledAdd !== undefined;
    if (op === 'mulSign') return this.native.mulSign !== undefined;
    if (op === 'maxPool2dSignBackward') return this.native.maxPool2dSignBackward !== undefined;
    if (op === 'selfAttention') return this.native.selfAttention !== undefined;
    if (op === 'gelu') return this.native.gelu !== undefined;
    if (op === 'standardize') return this.native.standardize !== undefined;
    if (op === 'standardizeAffine') return this.native.standardizeAffine !== undefined;
    if (op === 'softmaxCrossEntropy') return this.native.softmaxCrossEntropy !== undefined;
    return true;
  }

  unary(op: UnaryOp, x: Ref): DataArray {
    const code = this.unaryCode.get(op);
    if (code === undefined)
      throw new TypeError(
        `CpuBackend.unary: the addon has no kernel for '${String(op)}' (rebuild it: pnpm --filter @mge/kernels-cpu build:native)`,
      );
    const out = this.out(UNARY[op].dtype === 'logical' ? 'bool' : x.dtype, x.buf.length);
    this.native.unary(code, x.buf, out);
    return out;
  }

  private shapes(op: string, refs: readonly Ref[], outShape: readonly number[]): Int32Array {
    const p = this.p.start().push(outShape.length);
    for (let i = 0; i < refs.length; i++) {
      if (refs[i].shape.length !== outShape.length) {
        throw new TypeError(`CpuBackend.${op}: input ${i} has rank ${refs[i].shape.length}, expected the output's rank ${outShape.length}`);
      }
      p.pushAll(refs[i].shape);
    }
    return p.pushAll(outShape).array;
  }

  binary(op: BinaryOp, a: Ref, b: Ref, outShape: readonly number[]): DataArray {
    const code = this.binaryCode.get(op);
    if (code === undefined)
      throw new TypeError(
        `CpuBackend.binary: the addon has no kernel for '${String(op)}' (rebuild it: pnpm --filter @mge/kernels-cpu build:native)`,
      );
    const params = this.shapes(op, [a, b], outShape);
    const out = this.out(COMPARISON_OPS.has(op) ? 'bool' : a.dtype, sizeOf(outShape));
    this.native.binary(code, a.buf, b.buf, out, params);
    return out;
  }

  where(cond: Ref, a: Ref, b: Ref, outShape: readonly number[]): DataArray {
    const params = this.shapes('where', [cond, a, b], outShape);
    const out = this.out(a.dtype, sizeOf(outShape));
    this.native.where(cond.buf as Uint8Array, a.buf, b.buf, out, params);
    return out;
  }

  scaledAdd(a: Ref, b: Ref, alpha: number, beta: number): DataArray {
    const kernel = this.native.scaledAdd;
    if (!kernel)
      throw new TypeError(
        'CpuBackend.scaledAdd: the addon has no scaledAdd kernel (rebuild it: pnpm --filter @mge/kernels-cpu build:native)',
      );
    const out = this.out('float32', a.buf.length);
    kernel(a.buf as Float32Array, b.buf as Float32Array, out as Float32Array, alpha, beta);
    return out;
  }

  mulSign(a: Ref, b: Ref): DataArray {
    const kernel = this.native.mulSign;
    if (!kernel)
      throw new TypeError('CpuBackend.mulSign: the addon has no mulSign kernel (rebuild it: pnpm --filter @mge/kernels-cpu build:native)');
    const out = this.out('float32', a.buf.length);
    kernel(a.buf as Float32Array, b.buf as Float32Array, out as Float32Array);
    return out;
  }

  gelu(x: Ref): DataArray {
    const kernel = this.native.gelu;
    if (!kernel) throw new TypeError(`CpuBackend.gelu: the addon has no gelu kernel (${REBUILD})`);
    const out = this.out('float32', x.buf.length);
    kernel(x.buf as Float32Array, out as Float32Array);
    return out;
  }

  geluBackward(x: Ref, dy: Ref): DataArray {
    const kernel = this.native.geluBackward;
    if (!kernel) throw new TypeError(`CpuBackend.geluBackward: the addon has no gelu kernel (${REBUILD})`);
    const out = this.out('float32', x.buf.length);
    kernel(x.buf as Float32Array, dy.buf as Float32Array, out as Float32Array);
    return out;
  }

  standardize(x: Ref, p: StandardizeParams): DataArray {
    const kernel = this.native.standardize;
    if (!kernel) throw new TypeError(`CpuBackend.standardize: the addon has no standardize kernel (${REBUILD})`);
    const out = this.out('float32', x.buf.length);
    kernel(x.buf as Float32Array, out as Float32Array, p.rows, p.cols, p.eps);
    return out;
  }

  standardizeBackward(x: Ref, dy: Ref, p: StandardizeParams): DataArray {
    const kernel = this.native.standardizeBackward;
    if (!kernel) throw new TypeError(`CpuBackend.standardizeBackward: the addon has no standardize kernel (${REBUILD})`);
    const out = this.out('float32', x.buf.length);
    kernel(x.buf as Float32Array, dy.buf as Float32Array, out as Float32Array, p.rows, p.cols, p.eps);
    return out;
  }

  standardizeAffine(x: Ref, weight: Ref, bias: Ref, p: StandardizeParams): DataArray {
    const kernel = this.native.standardizeAffine;
    if (!kernel) throw new TypeError(`CpuBackend.standardizeAffine: the addon has no standardizeAffine kernel (${REBUILD})`);
    const out = this.out('float32', x.buf.length);
    kernel(x.buf as Float32Array, weight.buf as Float32Array, bias.buf as Float32Array, out as Float32Array, p.rows, p.cols, p.eps);
    return out;
  }

  standardizeAffineBackward(x: Ref, weight: Ref, dy: Ref, p: StandardizeParams): DataArray {
    const kernel = this.native.standardizeAffineBackward;
    if (!kernel) throw new TypeError(`CpuBackend.standardizeAffineBackward: the addon has no standardizeAffine kernel (${REBUILD})`);
    const out = this.out('float32', x.buf.length);
    kernel(x.buf as Float32Array, weight.buf as Float32Array, dy.buf as Float32Array, out as Float32Array, p.rows, p.cols, p.eps);
    return out;
  }

  standardizeWeightGrad(x: Ref, dy: Ref, p: StandardizeParams): DataArray {
    const kernel = this.native.standardizeWeightGrad;
    if (!kernel) throw new TypeError(`CpuBackend.standardizeWeightGrad: the addon has no standardizeAffine kernel (${REBUILD})`);
    const out = this.out('float32', p.cols);
    kernel(x.buf as Float32Array, dy.buf as Float32Array, out as Float32Array, p.rows, p.cols, p.eps);
    return out;
  }

  softmaxCrossEntropy(logits: Ref, labels: Ref, p: SoftmaxRowsParams): DataArray {
    const kernel = this.native.softmaxCrossEntropy;
    if (!kernel) throw new TypeError(`CpuBackend.softmaxCrossEntropy: the addon has no softmaxCrossEntropy kernel (${REBUILD})`);
    const out = this.out('float32', p.rows);
    kernel(logits.buf as Float32Array, labels.buf as Int32Array, out as Float32Array, p.rows, p.cols);
    return out;
  }

  softmaxCrossEntropyBackward(logits: Ref, labels: Ref, dloss: Ref, p: SoftmaxRowsParams): DataArray {
    const kernel = this.native.softmaxCrossEntropyBackward;
    if (!kernel) throw new TypeError(`CpuBackend.softmaxCrossEntropyBackward: the addon has no softmaxCrossEntropy kernel (${REBUILD})`);
    const out = this.out('float32', logits.buf.length);
    kernel(logits.buf as Float32Array, labels.buf as Int32Array, dloss.buf as Float32Array, out as Float32Array, p.rows, p.cols);
    return out;
  }

  selfAttention(qkv: Ref, p: AttentionParams): DataArray {
    const kernel = this.native.selfAttention;
    if (!kernel) throw new TypeError(`CpuBackend.selfAttention: the addon has no selfAttention kernel (${REBUILD})`);
    const out = this.out('float32', p.batch * p.seq * p.heads * p.headDim);
    kernel(qkv.buf as Float32Array, out as Float32Array, this.attentionParams(p), p.scale);
    return out;
  }

  selfAttentionBackward(qkv: Ref, dy: Ref, p: AttentionParams): DataArray {
    const kernel = this.native.selfAttentionBackward;
    if (!kernel) throw new TypeError(`CpuBackend.selfAttentionBackward: the addon has no selfAttention kernel (${REBUILD})`);
    const out = this.out('float32', qkv.buf.length);
    kernel(qkv.buf as Float32Array, dy.buf as Float32Array, out as Float32Array, this.attentionParams(p), p.scale);
    return out;
  }

  private attentionParams(p: AttentionParams): Int32Array {
    return this.p.start().pushAll([p.batch, p.seq, p.heads, p.headDim, p.causal ? 1 : 0]).array;
  }

  cast(x: Ref, dtype: DType): DataArray {
    if (!isDType(dtype)) throw new TypeError(`CpuBackend.cast: argument 'dtype' expected float32|int32|bool, got ${String(dtype)}`);
    const out = this.out(dtype, x.buf.length);
    this.native.cast(x.buf, out);
    return out;
  }

  // ---- reductions ---------------------------------------------------------

  reduce(op: ReduceOp, x: Ref, axes: readonly number[]): DataArray {
    const code = REDUCE_CODE[op];
    if (code === undefined) throw new TypeError(`CpuBackend.reduce: unknown op '${String(op)}'`);
    const rank = x.shape.length;
    const flags = new Array<number>(rank).fill(0);
    for (const a of axes) {
      if (!Number.isInteger(a) || a < 0 || a >= rank) {
        throw new RangeError(`CpuBackend.reduce: axis ${a} is out of range for rank ${rank}`);
      }
      flags[a] = 1;
    }
    let outSize = 1;
    for (let i = 0; i < rank; i++) if (!flags[i]) outSize *= x.shape[i];
    const params = this.p.start().push(rank).pushAll(x.shape).pushAll(flags).array;
    const out = this.out(x.dtype, outSize);
    this.native.reduce(code, x.buf, out, params);
    return out;
  }

  argReduce(op: ArgReduceOp, x: Ref, axis: number): DataArray {
    const rank = x.shape.length;
    if (!Number.isInteger(axis) || axis < 0 || axis >= rank) {
      throw new RangeError(`CpuBackend.argReduce: axis ${axis} is out of range for rank ${rank}`);
    }
    const outer = sizeOf(x.shape.slice(0, axis));
    const inner = sizeOf(x.shape.slice(axis + 1));
    const out = this.out('int32', outer * inner) as Int32Array;
    this.native.argReduce(op === 'argmax' ? 1 : 0, x.buf, out, outer, x.shape[axis], inner);
    return out;
  }

  // ---- data movement ------------------------------------------------------

  strided(x: Ref, outShape: readonly number[], strides: readonly number[], offset: number): DataArray {
    if (strides.length !== outShape.length) {
      throw new TypeError(`CpuBackend.strided: ${strides.length} strides for an output of rank ${outShape.length}`);
    }
    const params = this.p.start().push(outShape.length).pushAll(outShape).pushAll(strides).array;
    const out = this.out(x.dtype, sizeOf(outShape));
    this.native.strided(x.buf, out, offset, params);
    return out;
  }

  concat(xs: readonly Ref[], axis: number, outShape: readonly number[]): DataArray {
    if (xs.length === 0) throw new TypeError('CpuBackend.concat: needs at least one input');
    const outer = sizeOf(outShape.slice(0, axis));
    const inner = sizeOf(outShape.slice(axis + 1));
    const p = this.p.start().push(outer);
    for (const x of xs) p.push(x.shape[axis] * inner);
    const out = this.out(xs[0].dtype, sizeOf(outShape));
    this.native.concat(
      xs.map((x) => x.buf),
      out,
      p.array,
    );
    return out;
  }

  pad(x: Ref, pads: readonly (readonly [number, number])[], value: number): DataArray {
    const rank = x.shape.length;
    if (pads.length !== rank) throw new TypeError(`CpuBackend.pad: ${pads.length} pads for rank ${rank}`);
    const p = this.p.start().push(rank).pushAll(x.shape);
    for (const [b] of pads) p.push(b);
    for (const [, a] of pads) p.push(a);
    const out = this.out(x.dtype, sizeOf(x.shape.map((d, i) => d + pads[i][0] + pads[i][1])));
    this.native.pad(x.buf, out, value, p.array);
    return out;
  }

  // ---- linear algebra and convolution -------------------------------------

  /**
   * A linear layer's weight (b of x · bᵀ, unbatched) packed once in blocks of output features
   * (native/pointwise.cc): a traced inference then reads it as one stream at full vector width,
   * split over threads, where the plain path takes dot products one feature at a time.
   */
  prepackMatmul(b: Ref, p: MatmulParams): DataArray | null {
    if (!this.native.packLinear || !p.transB || p.transA || p.batch !== 1 || p.batchB !== 1 || p.n * p.k === 0) return null;
    return this.native.packLinear(b.buf as Float32Array, p.n, p.k);
  }

  matmul(a: Ref, b: Ref, p: MatmulParams, epilogue?: Epilogue<DataArray>): DataArray {
    const bias = epilogueBias(epilogue);
    const packed = epilogue?.packed as Float32Array | undefined;
    if (packed && p.batch === 1) {
      const out = this.out('float32', p.m * p.n) as Float32Array;
      // a weight packed for another ISA's kernel (setGemmIsa since) falls back to the plain GEMM
      if (this.native.linearPacked?.(a.buf as Float32Array, packed, out, p.m, p.n, p.k, bias, epilogue?.activation ? 1 : 0)) return out;
      this.release(out);
    }
    const params = this.p.start().pushAll([p.batch, p.m, p.n, p.k, p.transA ? 1 : 0, p.transB ? 1 : 0, p.batchA, p.batchB]).array;
    const out = this.out('float32', p.batch * p.m * p.n) as Float32Array;
    this.native.matmul(a.buf as Float32Array, b.buf as Float32Array, out, params, bias, epilogue?.activation ? 1 : 0);
    return out;
  }

  private convParams(p: Conv2dParams): Int32Array {
    return this.p.start().pushAll([p.n, p.c, p.h, p.w, p.o, p.kh, p.kw, p.oh, p.ow, p.sh, p.sw, p.ph, p.pw, p.dh, p.dw, p.groups]).array;
  }

  conv2d(x: Ref, w: Ref, p: Conv2dParams, epilogue?: Epilogue<DataArray>): DataArray {
    const bias = epilogueBias(epilogue);
    const params = this.convParams(p);
    const out = this.out('float32', p.n * p.o * p.oh * p.ow) as Float32Array;
    const conv = isDepthwise(p) ? this.native.depthwiseConv2d : this.native.conv2d;
    conv(x.buf as Float32Array, w.buf as Float32Array, out, params, bias, epilogue?.activation ? 1 : 0);
    return out;
  }

  elementwiseProgram(program: readonly ElementwiseInstr[], inputs: readonly Ref[], size: number): DataArray {
    let code = this.programs.get(program);
    if (!code) {
      code = new Int32Array(program.length * 4);
      program.forEach((ins, j) => {
        const c = (ins.kind === 'unary' ? this.unaryCode : this.binaryCode).get(ins.op as never);
        if (c === undefined) throw new TypeError(`CpuBackend.elementwiseProgram: instruction ${j} has no ${ins.kind} operator '${ins.op}'`);
        code?.set([ins.kind === 'unary' ? 0 : 1, c, ins.args[0], ins.args[1] ?? ins.args[0]], j * 4);
      });
      this.programs.set(program, code);
    }
    const out = this.out('float32', size) as Float32Array;
    this.native.elementwiseProgram(
      code,
      inputs.map((r) => r.buf as Float32Array),
      out,
    );
    return out;
  }

  /**
   * 1×1, stride-1, unpadded, ungrouped convolutions get their filter packed once into the
   * register tile's panels (native/pointwise.cc): their GEMM then packs only x, and applies the
   * epilogue in registers; strided ones gather the sampled pixels first. Stems, small maps and strided layers (isRowConv) get the same
   * panels of their [o, c·kh·kw] filter, and run a band of output rows of patches at a time
   * through that tile.
   */
  prepackConv2d(w: Ref, p: Conv2dParams): DataArray | null {
    if (!this.native.packPointwise || !(isPointwise(p) || isSampled1x1(p) || isRowConv(p)) || p.o * p.c === 0) return null;
    return this.native.packPointwise(w.buf as Float32Array, p.o, p.c * p.kh * p.kw);
  }

  conv2dEpilogue(x: Ref, w: Ref, p: Conv2dParams, epilogue: ConvEpilogue<DataArray>): DataArray {
    const params = this.convParams(p);
    const out = this.out('float32', p.n * p.o * p.oh * p.ow) as Float32Array;
    const bias = (epilogue.bias?.buf as Float32Array | undefined) ?? null;
    const residual = (epilogue.residual?.buf as Float32Array | undefined) ?? null;
    const act = ACTIVATION_CODES[epilogue.activation ?? 'none'];
    // a filter packed for another ISA's tile (setGemmIsa since) falls back to the plain kernel
    const packed = epilogue.packed as Float32Array | undefined;
    if (packed && this.native.pointwiseConv2d?.(x.buf as Float32Array, packed, out, params, bias, act, residual)) return out;
    const conv = isDepthwise(p) ? this.native.depthwiseConv2d : this.native.conv2d;
    conv(x.buf as Float32Array, w.buf as Float32Array, out, params, bias, act, residual);
    return out;
  }

  conv2dBackwardInput(dy: Ref, w: Ref, p: Conv2dParams): DataArray {
    const params = this.convParams(p);
    const out = this.out('float32', p.n * p.c * p.h * p.w) as Float32Array;
    const back = isDepthwise(p) ? this.native.depthwiseConv2dBackwardInput : this.native.conv2dBackwardInput;
    back(dy.buf as Float32Array, w.buf as Float32Array, out, params);
    return out;
  }

  conv2dBackwardFilter(x: Ref, dy: Ref, p: Conv2dParams): DataArray {
    const params = this.convParams(p);
    const out = this.out('float32', p.o * (p.c / p.groups) * p.kh * p.kw) as Float32Array;
    const back = isDepthwise(p) ? this.native.depthwiseConv2dBackwardFilter : this.native.conv2dBackwardFilter;
    back(x.buf as Float32Array, dy.buf as Float32Array, out, params);
    return out;
  }

  private poolParams(p: Pool2dParams): Int32Array {
    return this.p.start().pushAll([p.n, p.c, p.h, p.w, p.kh, p.kw, p.oh, p.ow, p.sh, p.sw, p.ph, p.pw]).array;
  }

  pool2d(op: PoolOp, x: Ref, p: Pool2dParams): DataArray {
    const params = this.poolParams(p);
    const out = this.out('float32', p.n * p.c * p.oh * p.ow) as Float32Array;
    this.native.pool2d(op === 'max' ? 1 : 0, x.buf as Float32Array, out, params);
    return out;
  }

  pool2dBackward(op: PoolOp, x: Ref, dy: Ref, p: Pool2dParams): DataArray {
    const params = this.poolParams(p);
    const out = this.out('float32', p.n * p.c * p.h * p.w) as Float32Array;
    this.native.pool2dBackward(op === 'max' ? 1 : 0, x.buf as Float32Array, dy.buf as Float32Array, out, params);
    return out;
  }

  maxPool2dSignBackward(x: Ref, dy: Ref, p: Pool2dParams): DataArray {
    const kernel = this.native.maxPool2dSignBackward;
    if (!kernel) {
      throw new TypeError(
        'CpuBackend.maxPool2dSignBackward: the addon has no kernel for it (rebuild it: pnpm --filter @mge/kernels-cpu build:native)',
      );
    }
    const params = this.poolParams(p);
    const out = this.out('float32', p.n * p.c * p.h * p.w) as Float32Array;
    kernel(x.buf as Float32Array, dy.buf as Float32Array, out, params);
    return out;
  }

  // ---- indexing -----------------------------------------------------------

  private indexParams(x: Ref, index: Ref, axis: number): Int32Array {
    return this.p.start().push(x.shape.length).push(axis).pushAll(x.shape).pushAll(index.shape).array;
  }

  gather(x: Ref, index: Ref, axis: number): DataArray {
    const out = this.out(x.dtype, sizeOf(index.shape));
    this.native.gather(x.buf, index.buf as Int32Array, out, this.indexParams(x, index, axis));
    return out;
  }

  scatterAdd(x: Ref, index: Ref, src: Ref, axis: number): DataArray {
    const out = this.out(x.dtype, sizeOf(x.shape));
    this.native.scatterAdd(x.buf, index.buf as Int32Array, src.buf, out, this.indexParams(x, index, axis));
    return out;
  }

  argsort(x: Ref, axis: number, descending: boolean): DataArray {
    const outer = sizeOf(x.shape.slice(0, axis));
    const inner = sizeOf(x.shape.slice(axis + 1));
    const out = this.out('int32', sizeOf(x.shape)) as Int32Array;
    this.native.argsort(descending ? 1 : 0, x.buf, out, outer, x.shape[axis], inner);
    return out;
  }

  topk(x: Ref, k: number, axis: number, descending: boolean): DataArray {
    const outer = sizeOf(x.shape.slice(0, axis));
    const inner = sizeOf(x.shape.slice(axis + 1));
    const out = this.out('int32', outer * k * inner) as Int32Array;
    this.native.topk(descending ? 1 : 0, x.buf, out, outer, x.shape[axis], inner, k);
    return out;
  }

  /** A replay's view of the first `length` elements of a planned buffer (it shares the memory). */
  planView(buf: DataArray, length: number): DataArray {
    if (!ArrayBuffer.isView(buf) || !Number.isInteger(length) || length < 1 || length > buf.length) {
      throw new RangeError(
        `CpuBackend.planView: expected a planned buffer and a length in [1, its length], got ${ArrayBuffer.isView(buf) ? buf.length : typeof buf} and ${length}`,
      );
    }
    return buf.subarray(0, length);
  }
}

/**
 * Depthwise convolutions (one input channel per group, MobileNet/ShuffleNet) run on direct
 * kernels (native/depthwise.cc); a single-channel input keeps the GEMM path (LeNet's conv1).
 */
function isDepthwise(p: Conv2dParams): boolean {
  return p.groups === p.c && p.c > 1;
}

/** A strided 1×1, unpadded, ungrouped convolution (a downsampling shortcut): a GEMM of the sampled pixels. */
function isSampled1x1(p: Conv2dParams): boolean {
  return (
    p.kh === 1 &&
    p.kw === 1 &&
    p.ph === 0 &&
    p.pw === 0 &&
    p.groups === 1 &&
    p.oh > 0 &&
    p.ow > 0 &&
    (p.oh - 1) * p.sh < p.h &&
    (p.ow - 1) * p.sw < p.w
  );
}

/**
 * An ungrouped spatial convolution for the packed row path (patches of a band of output rows,
 * then the 1×1 tile): a network's stem (few input channels), a small map (ResNet's 7² and 14²
 * layers, where Winograd's tiles overhang the map), a strided layer up to 28².
 */
function isRowConv(p: Conv2dParams): boolean {
  if (p.groups !== 1 || p.kh * p.kw === 1) return false;
  const map = p.oh * p.ow;
  return p.c <= 4 || map <= 196 || (Math.max(p.sh, p.sw) > 1 && map <= 784);
}

/** A 1×1 convolution that is a plain GEMM per image (the packed-filter path). */
function isPointwise(p: Conv2dParams): boolean {
  return p.kh === 1 && p.kw === 1 && p.sh === 1 && p.sw === 1 && p.ph === 0 && p.pw === 0 && p.groups === 1 && p.oh === p.h && p.ow === p.w;
}
