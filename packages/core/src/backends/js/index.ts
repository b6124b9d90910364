import type {
  ArgReduceOp,
  Backend,
  BackendMemory,
  BackendTraits,
  BinaryOp,
  Conv2dParams,
  Epilogue,
  MatmulParams,
  Pool2dParams,
  PoolOp,
  ReduceOp,
  TensorRef,
  UnaryOp,
} from '../../backend.js';
import { allocArray, type DataArray, type DType, isDType } from '../../dtype.js';
import { LiveBuffers } from '../../live-buffers.js';
import { conv2d, conv2dBackwardFilter, conv2dBackwardInput } from './conv2d.js';
import { binary, cast, unary, where } from './elementwise.js';
import { applyEpilogue } from './epilogue.js';
import { argsort, gather, scatterAdd, topk } from './indexing.js';
import { sizeOf } from './layout.js';
import { matmul } from './matmul.js';
import { pool2d, pool2dBackward } from './pool2d.js';
import { argReduce, reduce } from './reduce.js';
import { sign } from './scalar.js';
import { concat, pad, strided } from './strided.js';

type Ref = TensorRef<DataArray>;

const ARRAY_NAME: Record<DType, string> = { float32: 'Float32Array', int32: 'Int32Array', bool: 'Uint8Array' };

function matchesDType(buf: unknown, dtype: DType): buf is DataArray {
  switch (dtype) {
    case 'float32':
      return buf instanceof Float32Array;
    case 'int32':
      return buf instanceof Int32Array;
    case 'bool':
      return buf instanceof Uint8Array;
  }
}

function describe(buf: unknown): string {
  if (ArrayBuffer.isView(buf)) return `${buf.constructor.name} of ${(buf as DataArray).length} elements`;
  return buf === null ? 'null' : typeof buf;
}

/** Throws unless ref.buf is the typed array of ref.dtype holding exactly `size` (default: ref.shape's size) elements. */
function checkRef(op: string, arg: string, ref: Ref, size = sizeOf(ref.shape)): void {
  if (!matchesDType(ref.buf, ref.dtype) || ref.buf.length !== size) {
    throw new TypeError(
      `JsBackend.${op}: argument '${arg}' expected ${ARRAY_NAME[ref.dtype]} of ${size} elements (dtype ${ref.dtype}), got ${describe(ref.buf)}`,
    );
  }
}

function checkFloat(op: string, arg: string, ref: Ref, size: number): Float32Array {
  if (ref.dtype !== 'float32') throw new TypeError(`JsBackend.${op}: argument '${arg}' expected dtype float32, got ${ref.dtype}`);
  checkRef(op, arg, ref, size);
  return ref.buf as Float32Array;
}

/**
 * The reference backend: plain typed arrays and TypeScript kernels, synchronous.
 * Other backends are tested against it.
 */
export class JsBackend implements Backend<DataArray>, BackendTraits {
  readonly name = 'js';
  readonly description = 'reference TypeScript kernels (single thread)';

  /** Buffers are typed arrays the GC frees; core calls release() only for disposed tensors. */
  readonly buffersCollected = true;
  private readonly live = new LiveBuffers();

  // ---- memory -------------------------------------------------------------

  /** Every buffer handed to core passes through here, so memory() counts it until release. */
  private own<T extends DataArray>(buf: T): T {
    return this.live.add(buf);
  }

  allocate(dtype: DType, size: number): DataArray {
    if (!isDType(dtype)) throw new TypeError(`JsBackend.allocate: argument 'dtype' expected float32|int32|bool, got ${String(dtype)}`);
    if (!Number.isInteger(size) || size < 0) {
      throw new RangeError(`JsBackend.allocate: argument 'size' expected a non-negative integer, got ${size}`);
    }
    return this.own(allocArray(dtype, size));
  }

  upload(data: DataArray): DataArray {
    if (!(data instanceof Float32Array || data instanceof Int32Array || data instanceof Uint8Array)) {
      throw new TypeError(`JsBackend.upload: argument 'data' expected Float32Array|Int32Array|Uint8Array, got ${describe(data)}`);
    }
    return this.own(data.slice());
  }

  readSync(buf: DataArray, dtype: DType, size: number): DataArray {
    if (!matchesDType(buf, dtype) || !Number.isInteger(size) || size < 0 || size > buf.length) {
      throw new TypeError(
        `JsBackend.readSync: expected a ${ARRAY_NAME[dtype] ?? String(dtype)} of at least ${size} elements, got ${describe(buf)}`,
      );
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
    if (!(buf instanceof Float32Array || buf instanceof Int32Array || buf instanceof Uint8Array)) {
      throw new TypeError(`JsBackend.release: argument 'buf' expected a typed array of this backend, got ${describe(buf)}`);
    }
    this.live.remove(buf);
  }

  memory(): BackendMemory {
    return this.live.memory();
  }

  // ---- elementwise --------------------------------------------------------

  unary(op: UnaryOp, x: Ref): DataArray {
    checkRef('unary', 'x', x);
    return this.own(unary(op, x.buf));
  }

  binary(op: BinaryOp, a: Ref, b: Ref, outShape: readonly number[]): DataArray {
    checkRef(op, 'a', a);
    checkRef(op, 'b', b);
    return this.own(binary(op, a.buf, a.shape, b.buf, b.shape, outShape, a.dtype));
  }

  where(cond: Ref, a: Ref, b: Ref, outShape: readonly number[]): DataArray {
    checkRef('where', 'cond', cond);
    checkRef('where', 'a', a);
    checkRef('where', 'b', b);
    return this.own(where(cond.buf, cond.shape, a.buf, a.shape, b.buf, b.shape, outShape, a.dtype));
  }

  cast(x: Ref, dtype: DType): DataArray {
    checkRef('cast', 'x', x);
    if (!isDType(dtype)) throw new TypeError(`JsBackend.cast: argument 'dtype' expected float32|int32|bool, got ${String(dtype)}`);
    return this.own(cast(x.buf, dtype));
  }

  // ---- reductions ---------------------------------------------------------

  reduce(op: ReduceOp, x: Ref, axes: readonly number[]): DataArray {
    checkRef(op, 'x', x);
    return this.own(reduce(op, x.buf, x.shape, axes, x.dtype));
  }

  argReduce(op: ArgReduceOp, x: Ref, axis: number): DataArray {
    checkRef(op, 'x', x);
    return this.own(argReduce(op, x.buf, x.shape, axis));
  }

  // ---- data movement ------------------------------------------------------

  strided(x: Ref, outShape: readonly number[], strides: readonly number[], offset: number): DataArray {
    checkRef('strided', 'x', x);
    return this.own(strided(x.buf, outShape, strides, offset, x.dtype));
  }

  concat(xs: readonly Ref[], axis: number, outShape: readonly number[]): DataArray {
    for (let i = 0; i < xs.length; i++) checkRef('concat', `xs[${i}]`, xs[i]);
    const dtype = xs.length > 0 ? xs[0].dtype : 'float32';
    return this.own(
      concat(
        xs.map((x) => ({ data: x.buf, shape: x.shape })),
        axis,
        outShape,
        dtype,
      ),
    );
  }

  pad(x: Ref, pads: readonly (readonly [number, number])[], value: number): DataArray {
    checkRef('pad', 'x', x);
    return this.own(pad(x.buf, x.shape, pads, value, x.dtype));
  }

  // ---- linear algebra -----------------------------------------------------

  matmul(a: Ref, b: Ref, p: MatmulParams, epilogue?: Epilogue<DataArray>): DataArray {
    const av = checkFloat('matmul', 'a', a, p.batchA * p.m * p.k);
    const bv = checkFloat('matmul', 'b', b, p.batchB * p.k * p.n);
    const out = matmul(av, bv, p);
    if (epilogue) {
      const bias = epilogue.bias && checkFloat('matmul', 'epilogue.bias', epilogue.bias, p.n);
      applyEpilogue(out, p.batch * p.m, p.n, 1, bias, epilogue.activation === 'relu');
    }
    return this.own(out);
  }

  conv2d(x: Ref, w: Ref, p: Conv2dParams, epilogue?: Epilogue<DataArray>): DataArray {
    const xv = checkFloat('conv2d', 'x', x, p.n * p.c * p.h * p.w);
    const wv = checkFloat('conv2d', 'w', w, filterSize(p));
    const out = conv2d(xv, wv, p);
    if (epilogue) {
      const bias = epilogue.bias && checkFloat('conv2d', 'epilogue.bias', epilogue.bias, p.o);
      applyEpilogue(out, p.n, p.o, p.oh * p.ow, bias, epilogue.activation === 'relu');
    }
    return this.own(out);
  }

  conv2dBackwardInput(dy: Ref, w: Ref, p: Conv2dParams): DataArray {
    const dyv = checkFloat('conv2dBackwardInput', 'dy', dy, p.n * p.o * p.oh * p.ow);
    const wv = checkFloat('conv2dBackwardInput', 'w', w, filterSize(p));
    return this.own(conv2dBackwardInput(dyv, wv, p));
  }

  conv2dBackwardFilter(x: Ref, dy: Ref, p: Conv2dParams): DataArray {
    const xv = checkFloat('conv2dBackwardFilter', 'x', x, p.n * p.c * p.h * p.w);
    const dyv = checkFloat('conv2dBackwardFilter', 'dy', dy, p.n * p.o * p.oh * p.ow);
    return this.own(conv2dBackwardFilter(xv, dyv, p));
  }

  pool2d(op: PoolOp, x: Ref, p: Pool2dParams): DataArray {
    const xv = checkFloat(`pool2d(${op})`, 'x', x, p.n * p.c * p.h * p.w);
    return this.own(pool2d(op, xv, p));
  }

  pool2dBackward(op: PoolOp, x: Ref, dy: Ref, p: Pool2dParams): DataArray {
    const xv = checkFloat(`pool2dBackward(${op})`, 'x', x, p.n * p.c * p.h * p.w);
    const dyv = checkFloat(`pool2dBackward(${op})`, 'dy', dy, p.n * p.c * p.oh * p.ow);
    return this.own(pool2dBackward(op, xv, dyv, p));
  }

  // ---- indexing -------------------------------------------------------------

  gather(x: Ref, index: Ref, axis: number): DataArray {
    checkRef('gather', 'x', x);
    checkRef('gather', 'index', index);
    return this.own(gather(x.buf, x.shape, index.buf as Int32Array, index.shape, axis, x.dtype));
  }

  scatterAdd(x: Ref, index: Ref, src: Ref, axis: number): DataArray {
    checkRef('scatterAdd', 'x', x);
    checkRef('scatterAdd', 'index', index);
    checkRef('scatterAdd', 'src', src);
    return this.own(scatterAdd(x.buf, x.shape, index.buf as Int32Array, index.shape, src.buf, axis));
  }

  argsort(x: Ref, axis: number, descending: boolean): DataArray {
    checkRef('argsort', 'x', x);
    return this.own(argsort(x.buf, x.shape, axis, descending));
  }

  topk(x: Ref, k: number, axis: number, descending: boolean): DataArray {
    checkRef('topk', 'x', x);
    return this.own(topk(x.buf, x.shape, k, axis, descending));
  }

  scaledAdd(a: Ref, b: Ref, alpha: number, beta: number): DataArray {
    const n = sizeOf(a.shape);
    const x = checkFloat('scaledAdd', 'a', a, n);
    const y = checkFloat('scaledAdd', 'b', b, n);
    // each product rounded to float32 before the sum, as mul, mul, add would
    const fa = Math.fround(alpha);
    const fb = Math.fround(beta);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = Math.fround(fa * x[i]) + Math.fround(fb * y[i]);
    return this.own(out);
  }

  mulSign(a: Ref, b: Ref): DataArray {
    const n = sizeOf(a.shape);
    const x = checkFloat('mulSign', 'a', a, n);
    const y = checkFloat('mulSign', 'b', b, n);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = x[i] * sign(y[i]);
    return this.own(out);
  }
}

function filterSize(p: Conv2dParams): number {
  return p.o * (p.c / p.groups) * p.kh * p.kw;
}
