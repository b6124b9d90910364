import {
  type ArgReduceOp,
  type Backend,
  type BackendMemory,
  type BackendTraits,
  BINARY_OPS,
  type BinaryOp,
  COMPARISON_OPS,
  type Conv2dParams,
  type DataArray,
  type DType,
  type Epilogue,
  isDType,
  type MatmulParams,
  type Pool2dParams,
  type PoolOp,
  type ReduceOp,
  sizeOf,
  type TensorRef,
  UNARY_OPS,
  type UnaryOp,
} from '@mge/core';
import type { KernelExports } from './module.js';
import { WasmPlan } from './plan.js';

/**
 * A tensor's storage in the module's linear memory. Core never looks inside; it holds the
 * handle and gives it back through `release` (directly or from its FinalizationRegistry).
 */
export class WasmBuffer {
  constructor(
    readonly ptr: number,
    readonly length: number,
    readonly dtype: DType,
  ) {}
  get byteLength(): number {
    return this.dtype === 'bool' ? this.length : this.length * 4;
  }
}

type Ref = TensorRef<WasmBuffer>;

const DTYPE_CODE: Record<DType, number> = { float32: 0, int32: 1, bool: 2 };
const UNARY_CODE = new Map<UnaryOp, number>(UNARY_OPS.map((op, i) => [op, i]));
const BINARY_CODE = new Map<BinaryOp, number>(BINARY_OPS.map((op, i) => [op, i]));
const REDUCE_CODE: Record<ReduceOp, number> = { sum: 0, prod: 1, max: 2, min: 3 };
const elemSize = (dtype: DType): number => (dtype === 'bool' ? 1 : 4);

function describe(buf: unknown): string {
  if (buf instanceof WasmBuffer) return `a ${buf.dtype} wasm buffer of ${buf.length} elements`;
  if (ArrayBuffer.isView(buf)) return `${buf.constructor.name} of ${(buf as DataArray).length} elements`;
  return buf === null ? 'null' : typeof buf;
}

export interface WasmBackendOptions {
  /** Upper bound on bytes of released buffers kept for reuse (default 64 MiB). */
  poolBytes?: number;
  /** Threads the kernels run on (instantiateKernels' answer; 1 for the single-thread module). */
  threads?: number;
  /** Why the kernels run on one thread, shown in the description (e.g. the page is not isolated). */
  singleThreadReason?: string;
}

/**
 * The `wasm` backend: @mge/kernels-cpu's C++ kernels compiled to WebAssembly SIMD, on one
 * thread or (the threaded module) several. Tensors live in the module's memory as (pointer, length) handles; released blocks
 * are kept by size for the next output of that size, so a training step allocates nothing
 * after the first, and the rest go back to the module's malloc.
 */
export class WasmBackend implements Backend<WasmBuffer>, BackendTraits {
  readonly name = 'wasm';
  readonly description: string;
  readonly buffersCollected = false;
  /** Threads a kernel runs on. */
  readonly threads: number;
  private readonly k: KernelExports;
  private readonly maxPool: number;
  private readonly free = new Map<number, number[]>(); // bytes → pointers
  private pooled = 0;
  private readonly live = new Set<WasmBuffer>();
  private liveBytes = 0;
  private paramsPtr = 0;
  private paramsCap = 0;
  private heap: ArrayBuffer | undefined;
  private u8 = new Uint8Array(0);
  private i32 = new Int32Array(0);
  private f32 = new Float32Array(0);

  constructor(kernels: KernelExports, options: WasmBackendOptions = {}) {
    this.k = kernels;
    this.maxPool = options.poolBytes ?? 2 ** 26;
    this.threads = options.threads ?? 1;
    const reason = options.singleThreadReason;
    const threads = `${this.threads === 1 ? '1 thread' : `${this.threads} threads`}${reason ? `: ${reason}` : ''}`;
    this.description = `WebAssembly (${this.cString(kernels.mge_gemm_isa())} GEMM, ${threads})`;
  }

  // ---- module memory ------------------------------------------------------

  /**
   * Views of the module's memory, rebuilt after it grows (growing detaches an ArrayBuffer; a
   * shared memory gets a new, longer SharedArrayBuffer).
   */
  private views(): void {
    const buffer = this.k.memory.buffer;
    if (buffer === this.heap) return;
    this.heap = buffer;
    this.u8 = new Uint8Array(buffer);
    this.i32 = new Int32Array(buffer);
    this.f32 = new Float32Array(buffer);
  }

  private cString(ptr: number): string {
    this.views();
    let end = ptr;
    while (this.u8[end] !== 0) end++;
    // A copy: TextDecoder refuses views of a SharedArrayBuffer (the threaded module's memory).
    return new TextDecoder().decode(this.u8.slice(ptr, end));
  }

  private malloc(bytes: number): number {
    const list = this.free.get(bytes);
    const reused = list?.pop();
    if (reused !== undefined) {
      this.pooled -= bytes;
      return reused;
    }
    let ptr = this.k.mge_alloc(bytes);
    if (ptr === 0) {
      this.trimPool();
      ptr = this.k.mge_alloc(bytes);
    }
    if (ptr === 0) throw new RangeError(`WasmBackend: out of memory allocating ${bytes} bytes (the module's memory is limited to 4 GiB)`);
    return ptr;
  }

  /** Integer parameters for one call, copied into a scratch block of module memory. */
  private params(values: readonly number[]): number {
    if (values.length > this.paramsCap) {
      if (this.paramsPtr) this.k.mge_free(this.paramsPtr);
      this.paramsCap = Math.max(256, values.length * 2);
      this.paramsPtr = this.k.mge_alloc(this.paramsCap * 4);
      if (this.paramsPtr === 0) throw new RangeError('WasmBackend: out of memory for kernel parameters');
    }
    this.views();
    this.i32.set(values, this.paramsPtr >> 2);
    return this.paramsPtr;
  }

  private out(dtype: DType, size: number): WasmBuffer {
    const planned = this.planned?.take(dtype, size);
    if (planned) return planned;
    const bytes = size * elemSize(dtype);
    const buf = new WasmBuffer(bytes === 0 ? 0 : this.malloc(bytes), size, dtype);
    this.live.add(buf);
    this.liveBytes += bytes;
    return buf;
  }

  /** Checks that a tensor argument is a live buffer of this backend matching its shape and dtype. */
  private arg(op: string, name: string, ref: Ref, dtype?: DType): number {
    const buf = ref.buf;
    if (!(buf instanceof WasmBuffer) || (!this.live.has(buf) && !this.planned?.holds(buf))) {
      throw new TypeError(`WasmBackend.${op}: argument '${name}' expected a live wasm buffer, got ${describe(buf)}`);
    }
    if (buf.dtype !== ref.dtype || (dtype !== undefined && buf.dtype !== dtype)) {
      throw new TypeError(`WasmBackend.${op}: argument '${name}' expected ${dtype ?? ref.dtype}, got ${describe(buf)}`);
    }
    if (buf.length !== sizeOf(ref.shape)) {
      throw new RangeError(
        `WasmBackend.${op}: argument '${name}' has shape [${ref.shape}] (${sizeOf(ref.shape)} elements) but holds ${describe(buf)}`,
      );
    }
    return buf.ptr;
  }

  allocate(dtype: DType, size: number): WasmBuffer {
    const buf = this.out(dtype, size);
    this.views();
    this.u8.fill(0, buf.ptr, buf.ptr + buf.byteLength);
    return buf;
  }

  upload(data: DataArray): WasmBuffer {
    const dtype: DType = data instanceof Float32Array ? 'float32' : data instanceof Int32Array ? 'int32' : 'bool';
    const buf = this.out(dtype, data.length);
    this.views();
    if (dtype === 'bool') this.u8.set(data, buf.ptr);
    else if (dtype === 'int32') this.i32.set(data, buf.ptr >> 2);
    else this.f32.set(data, buf.ptr >> 2);
    return buf;
  }

  readSync(buf: WasmBuffer, dtype: DType, size: number): DataArray {
    if (
      !(buf instanceof WasmBuffer) ||
      !this.live.has(buf) ||
      buf.dtype !== dtype ||
      !Number.isInteger(size) ||
      size < 0 ||
      size > buf.length
    ) {
      throw new TypeError(`WasmBackend.readSync: expected a live ${dtype} buffer of at least ${size} elements, got ${describe(buf)}`);
    }
    this.views();
    if (dtype === 'bool') return this.u8.slice(buf.ptr, buf.ptr + size);
    if (dtype === 'int32') return this.i32.slice(buf.ptr >> 2, (buf.ptr >> 2) + size);
    return this.f32.slice(buf.ptr >> 2, (buf.ptr >> 2) + size);
  }

  read(buf: WasmBuffer, dtype: DType, size: number): Promise<DataArray> {
    try {
      return Promise.resolve(this.readSync(buf, dtype, size));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  release(buf: WasmBuffer): void {
    if (!(buf instanceof WasmBuffer) || !this.live.delete(buf)) {
      throw new Error(`WasmBackend.release: argument 'buf' is not a live buffer of this backend (released twice?), got ${describe(buf)}`);
    }
    const bytes = buf.byteLength;
    this.liveBytes -= bytes;
    if (bytes === 0) return;
    if (this.pooled + bytes > this.maxPool) {
      this.k.mge_free(buf.ptr);
      return;
    }
    let list = this.free.get(bytes);
    if (!list) {
      list = [];
      this.free.set(bytes, list);
    }
    list.push(buf.ptr);
    this.pooled += bytes;
  }

  memory(): BackendMemory {
    return { liveBuffers: this.live.size, liveBytes: this.liveBytes, pooledBytes: this.pooled };
  }

  /** Returns every pooled block to the module's allocator. */
  trimPool(): void {
    for (const list of this.free.values()) for (const ptr of list) this.k.mge_free(ptr);
    this.free.clear();
    this.pooled = 0;
  }

  // ---- elementwise --------------------------------------------------------

  unary(op: UnaryOp, x: Ref): WasmBuffer {
    const code = UNARY_CODE.get(op);
    if (code === undefined) throw new TypeError(`WasmBackend.unary: unknown op '${String(op)}'`);
    const xp = this.arg('unary', 'x', x);
    const out = this.out(op === 'logicalNot' ? 'bool' : x.dtype, x.buf.length);
    this.k.mge_unary(code, DTYPE_CODE[x.dtype], xp, out.ptr, DTYPE_CODE[out.dtype], x.buf.length);
    return out;
  }

  private shapes(op: string, refs: readonly Ref[], outShape: readonly number[]): number {
    const p: number[] = [outShape.length];
    for (let i = 0; i < refs.length; i++) {
      if (refs[i].shape.length !== outShape.length) {
        throw new TypeError(
          `WasmBackend.${op}: input ${i} has rank ${refs[i].shape.length}, expected the output's rank ${outShape.length}`,
        );
      }
      for (let d = 0; d < outShape.length; d++) {
        const n = refs[i].shape[d];
        if (n !== 1 && n !== outShape[d]) {
          throw new RangeError(`WasmBackend.${op}: input ${i} has shape [${refs[i].shape}], which does not broadcast to [${outShape}]`);
        }
      }
      p.push(...refs[i].shape);
    }
    p.push(...outShape);
    return this.params(p);
  }

  binary(op: BinaryOp, a: Ref, b: Ref, outShape: readonly number[]): WasmBuffer {
    const code = BINARY_CODE.get(op);
    if (code === undefined) throw new TypeError(`WasmBackend.binary: unknown op '${String(op)}'`);
    const ap = this.arg(op, 'a', a);
    const bp = this.arg(op, 'b', b, a.dtype);
    const params = this.shapes(op, [a, b], outShape);
    const out = this.out(COMPARISON_OPS.has(op) ? 'bool' : a.dtype, sizeOf(outShape));
    if (out.length > 0) this.k.mge_binary(code, DTYPE_CODE[a.dtype], ap, bp, out.ptr, params);
    return out;
  }

  where(cond: Ref, a: Ref, b: Ref, outShape: readonly number[]): WasmBuffer {
    const cp = this.arg('where', 'cond', cond, 'bool');
    const ap = this.arg('where', 'a', a);
    const bp = this.arg('where', 'b', b, a.dtype);
    const params = this.shapes('where', [cond, a, b], outShape);
    const out = this.out(a.dtype, sizeOf(outShape));
    if (out.length > 0) this.k.mge_where(DTYPE_CODE[a.dtype], cp, ap, bp, out.ptr, params);
    return out;
  }

  cast(x: Ref, dtype: DType): WasmBuffer {
    if (!isDType(dtype)) throw new TypeError(`WasmBackend.cast: argument 'dtype' expected float32|int32|bool, got ${String(dtype)}`);
    const xp = this.arg('cast', 'x', x);
    const out = this.out(dtype, x.buf.length);
    this.k.mge_cast(DTYPE_CODE[x.dtype], xp, DTYPE_CODE[dtype], out.ptr, out.length);
    return out;
  }

  // ---- reductions ---------------------------------------------------------

  reduce(op: ReduceOp, x: Ref, axes: readonly number[]): WasmBuffer {
    const code = REDUCE_CODE[op];
    if (code === undefined) throw new TypeError(`WasmBackend.reduce: unknown op '${String(op)}'`);
    if (x.dtype === 'bool') throw new TypeError(`WasmBackend.reduce: argument 'x' expected float32 or int32, got bool`);
    const xp = this.arg('reduce', 'x', x);
    const rank = x.shape.length;
    const flags = new Array<number>(rank).fill(0);
    for (const a of axes) {
      if (!Number.isInteger(a) || a < 0 || a >= rank)
        throw new RangeError(`WasmBackend.reduce: axis ${a} is out of range for rank ${rank}`);
      flags[a] = 1;
    }
    let outSize = 1;
    for (let i = 0; i < rank; i++) if (!flags[i]) outSize *= x.shape[i];
    const params = this.params([rank, ...x.shape, ...flags]);
    const out = this.out(x.dtype, outSize);
    this.k.mge_reduce(code, DTYPE_CODE[x.dtype], xp, out.ptr, params);
    return out;
  }

  argReduce(op: ArgReduceOp, x: Ref, axis: number): WasmBuffer {
    const xp = this.arg('argReduce', 'x', x);
    const rank = x.shape.length;
    if (!Number.isInteger(axis) || axis < 0 || axis >= rank) {
      throw new RangeError(`WasmBackend.argReduce: axis ${axis} is out of range for rank ${rank}`);
    }
    const outer = sizeOf(x.shape.slice(0, axis));
    const inner = sizeOf(x.shape.slice(axis + 1));
    const out = this.out('int32', outer * inner);
    this.k.mge_arg_reduce(op === 'argmax' ? 1 : 0, DTYPE_CODE[x.dtype], xp, outer, x.shape[axis], inner, out.ptr);
    return out;
  }

  // ---- data movement ------------------------------------------------------

  strided(x: Ref, outShape: readonly number[], strides: readonly number[], offset: number): WasmBuffer {
    const xp = this.arg('strided', 'x', x);
    if (strides.length !== outShape.length) {
      throw new TypeError(`WasmBackend.strided: ${strides.length} strides for an output of rank ${outShape.length}`);
    }
    const out = this.out(x.dtype, sizeOf(outShape));
    if (out.length === 0) return out;
    let lo = offset;
    let hi = offset;
    for (let d = 0; d < outShape.length; d++) {
      const span = (outShape[d] - 1) * strides[d];
      if (span < 0) lo += span;
      else hi += span;
    }
    if (!Number.isInteger(lo) || lo < 0 || hi >= x.buf.length) {
      this.release(out);
      throw new RangeError(`WasmBackend.strided: the view reaches elements [${lo}, ${hi}] but x has ${x.buf.length} elements`);
    }
    const params = this.params([outShape.length, ...outShape, ...strides]);
    this.k.mge_strided(elemSize(x.dtype), xp, out.ptr, offset, params);
    return out;
  }

  concat(xs: readonly Ref[], axis: number, outShape: readonly number[]): WasmBuffer {
    if (xs.length === 0) throw new TypeError('WasmBackend.concat: needs at least one input');
    if (xs.length > 256) throw new RangeError(`WasmBackend.concat: at most 256 inputs per call, got ${xs.length}`);
    const ptrs = xs.map((x, i) => this.arg('concat', `xs[${i}]`, x, xs[0].dtype));
    const outer = sizeOf(outShape.slice(0, axis));
    const inner = sizeOf(outShape.slice(axis + 1));
    const out = this.out(xs[0].dtype, sizeOf(outShape));
    if (out.length === 0) return out;
    const params = this.params([outer, ...xs.map((x) => x.shape[axis] * inner), ...ptrs]);
    this.k.mge_concat(elemSize(out.dtype), xs.length, params + 4 * (1 + xs.length), out.ptr, params);
    return out;
  }

  pad(x: Ref, pads: readonly (readonly [number, number])[], value: number): WasmBuffer {
    const xp = this.arg('pad', 'x', x);
    const rank = x.shape.length;
    if (pads.length !== rank) throw new TypeError(`WasmBackend.pad: ${pads.length} pads for rank ${rank}`);
    const params = this.params([rank, ...x.shape, ...pads.map((p) => p[0]), ...pads.map((p) => p[1])]);
    const out = this.out(x.dtype, sizeOf(x.shape.map((d, i) => d + pads[i][0] + pads[i][1])));
    this.k.mge_pad(DTYPE_CODE[x.dtype], xp, out.ptr, value, params);
    return out;
  }

  // ---- linear algebra and convolution -------------------------------------

  /**
   * The fused epilogue's bias pointer (0 for none). Core checked the epilogue; the buffer's length
   * is checked here like every kernel argument's, so a kernel never reads another tensor's memory.
   */
  private bias(op: string, epilogue: Epilogue<WasmBuffer> | undefined, channels: number): number {
    if (!epilogue?.bias) return 0;
    const ptr = this.arg(op, 'epilogue.bias', epilogue.bias, 'float32');
    if (epilogue.bias.buf.length !== channels) {
      throw new RangeError(`WasmBackend.${op}: argument 'epilogue.bias' has ${epilogue.bias.buf.length} elements, expected ${channels}`);
    }
    return ptr;
  }

  matmul(a: Ref, b: Ref, p: MatmulParams, epilogue?: Epilogue<WasmBuffer>): WasmBuffer {
    const ap = this.arg('matmul', 'a', a, 'float32');
    const bp = this.arg('matmul', 'b', b, 'float32');
    if (a.buf.length !== p.batchA * p.m * p.k || b.buf.length !== p.batchB * p.k * p.n) {
      throw new RangeError(`WasmBackend.matmul: buffers of ${a.buf.length} and ${b.buf.length} elements do not match ${JSON.stringify(p)}`);
    }
    const bias = this.bias('matmul', epilogue, p.n);
    const params = this.params([p.batch, p.m, p.n, p.k, p.transA ? 1 : 0, p.transB ? 1 : 0, p.batchA, p.batchB]);
    const out = this.out('float32', p.batch * p.m * p.n);
    this.k.mge_matmul(ap, bp, out.ptr, params, bias, epilogue?.activation ? 1 : 0);
    return out;
  }

  private conv(op: string, p: Conv2dParams, refs: readonly [string, Ref, number][]): number {
    for (const [name, ref, size] of refs) {
      this.arg(op, name, ref, 'float32');
      if (ref.buf.length !== size) {
        throw new RangeError(
          `WasmBackend.${op}: argument '${name}' has ${ref.buf.length} elements, expected ${size} for ${JSON.stringify(p)}`,
        );
      }
    }
    return this.params([p.n, p.c, p.h, p.w, p.o, p.kh, p.kw, p.oh, p.ow, p.sh, p.sw, p.ph, p.pw, p.dh, p.dw, p.groups]);
  }

  conv2d(x: Ref, w: Ref, p: Conv2dParams, epilogue?: Epilogue<WasmBuffer>): WasmBuffer {
    const bias = this.bias('conv2d', epilogue, p.o);
    const params = this.conv('conv2d', p, [
      ['x', x, p.n * p.c * p.h * p.w],
      ['w', w, p.o * (p.c / p.groups) * p.kh * p.kw],
    ]);
    const out = this.out('float32', p.n * p.o * p.oh * p.ow);
    this.k.mge_conv2d(x.buf.ptr, w.buf.ptr, out.ptr, params, bias, epilogue?.activation ? 1 : 0);
    return out;
  }

  conv2dBackwardInput(dy: Ref, w: Ref, p: Conv2dParams): WasmBuffer {
    const params = this.conv('conv2dBackwardInput', p, [
      ['dy', dy, p.n * p.o * p.oh * p.ow],
      ['w', w, p.o * (p.c / p.groups) * p.kh * p.kw],
    ]);
    const out = this.out('float32', p.n * p.c * p.h * p.w);
    this.k.mge_conv2d_backward_input(dy.buf.ptr, w.buf.ptr, out.ptr, params);
    return out;
  }

  conv2dBackwardFilter(x: Ref, dy: Ref, p: Conv2dParams): WasmBuffer {
    const params = this.conv('conv2dBackwardFilter', p, [
      ['x', x, p.n * p.c * p.h * p.w],
      ['dy', dy, p.n * p.o * p.oh * p.ow],
    ]);
    const out = this.out('float32', p.o * (p.c / p.groups) * p.kh * p.kw);
    this.k.mge_conv2d_backward_filter(x.buf.ptr, dy.buf.ptr, out.ptr, params);
    return out;
  }

  private pool(op: string, p: Pool2dParams, refs: readonly [string, Ref, number][]): number {
    for (const [name, ref, size] of refs) {
      this.arg(op, name, ref, 'float32');
      if (ref.buf.length !== size) {
        throw new RangeError(
          `WasmBackend.${op}: argument '${name}' has ${ref.buf.length} elements, expected ${size} for ${JSON.stringify(p)}`,
        );
      }
    }
    return this.params([p.n, p.c, p.h, p.w, p.kh, p.kw, p.oh, p.ow, p.sh, p.sw, p.ph, p.pw]);
  }

  pool2d(op: PoolOp, x: Ref, p: Pool2dParams): WasmBuffer {
    const params = this.pool('pool2d', p, [['x', x, p.n * p.c * p.h * p.w]]);
    const out = this.out('float32', p.n * p.c * p.oh * p.ow);
    this.k.mge_pool2d(op === 'max' ? 1 : 0, x.buf.ptr, out.ptr, params);
    return out;
  }

  pool2dBackward(op: PoolOp, x: Ref, dy: Ref, p: Pool2dParams): WasmBuffer {
    const params = this.pool('pool2dBackward', p, [
      ['x', x, p.n * p.c * p.h * p.w],
      ['dy', dy, p.n * p.c * p.oh * p.ow],
    ]);
    const out = this.out('float32', p.n * p.c * p.h * p.w);
    this.k.mge_pool2d_backward(op === 'max' ? 1 : 0, x.buf.ptr, dy.buf.ptr, out.ptr, params);
    return out;
  }

  // ---- a replay's buffer plan (jit.trace; see plan.ts) ----------------------

  /** Made at the first planned buffer. */
  private planned: WasmPlan | undefined;

  planBuffer(dtype: DType, length: number): WasmBuffer {
    this.planned ??= new WasmPlan(
      (ptr, length, dtype) => new WasmBuffer(ptr, length, dtype),
      (bytes) => this.malloc(bytes),
      (ptr) => this.k.mge_free(ptr),
    );
    return this.planned.buffer(dtype, length, Math.floor(2 ** 32 / elemSize(dtype)) - 1);
  }

  planView(buf: WasmBuffer, length: number): WasmBuffer {
    if (!this.planned) throw new TypeError('WasmBackend.planView: no planned buffer was made (call planBuffer first)');
    return this.planned.view(buf, length);
  }

  planOutput(buf: WasmBuffer | null): void {
    if (!this.planned) {
      if (buf === null) return;
      throw new TypeError('WasmBackend.planOutput: no planned buffer was made (call planBuffer first)');
    }
    this.planned.output(buf);
  }

  /** Bytes of module memory held by replays' buffer plans. */
  get plannedBytes(): number {
    return this.planned?.bytes ?? 0;
  }
}
