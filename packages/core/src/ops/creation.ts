import { allocArray, type DataArray, type DType, dtypeOfArray, isDType } from '../dtype.js';
import { checkAllocation } from '../limits.js';
import { checkShape, shapeToString, sizeOf } from '../shape.js';
import { fromData, type NestedArray, Tensor, wrap } from '../tensor.js';
import { astype } from './cast.js';
import { resolveDevice } from './engine.js';

export interface TensorOptions {
  dtype?: DType;
  device?: string;
}

function checkDType(op: string, dtype: unknown): DType | undefined {
  if (dtype === undefined) return undefined;
  if (!isDType(dtype)) throw new TypeError(`${op}: option 'dtype' must be 'float32', 'int32' or 'bool', got ${String(dtype)}`);
  return dtype;
}

function inferShape(op: string, data: NestedArray): number[] {
  const shape: number[] = [];
  let cur: NestedArray = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0];
  }
  const check = (x: NestedArray, dim: number): void => {
    if (dim === shape.length) {
      if (Array.isArray(x)) throw new Error(`${op}: ragged nested array (too deep at dimension ${dim})`);
      if (typeof x !== 'number' && typeof x !== 'boolean')
        throw new TypeError(`${op}: elements must be numbers or booleans, got ${typeof x}`);
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[dim]) {
      throw new Error(
        `${op}: ragged nested array: dimension ${dim} should have length ${shape[dim]}, got ${Array.isArray(x) ? x.length : 'a scalar'}`,
      );
    }
    for (const y of x) check(y, dim + 1);
  };
  check(data, 0);
  return shape;
}

function flatten(data: NestedArray, out: number[]): void {
  if (Array.isArray(data)) for (const d of data) flatten(d, out);
  else out.push(typeof data === 'boolean' ? Number(data) : data);
}

function convert(values: ArrayLike<number>, dtype: DType): DataArray {
  const out = allocArray(dtype, values.length);
  if (dtype === 'bool') for (let i = 0; i < values.length; i++) out[i] = values[i] ? 1 : 0;
  else out.set(values as ArrayLike<number>);
  return out;
}

/**
 * MegEngine's `tensor(data)`: from a number, a nested array, or a typed array (with
 * `shape`, default 1-D). The dtype is inferred (float32 for numbers, bool for
 * booleans, the typed array's own) unless given.
 */
export function tensor(
  data: NestedArray | DataArray | Tensor | ArrayLike<number>,
  options: TensorOptions & { shape?: readonly number[] } = {},
): Tensor {
  const dtypeOpt = checkDType('tensor', options.dtype);
  if (data instanceof Tensor) {
    let t = options.device && options.device !== data.device ? data.to(options.device) : data;
    if (dtypeOpt && dtypeOpt !== t.dtype) t = astype(t, dtypeOpt);
    return t;
  }
  const [backend, device] = resolveDevice(options.device);
  let values: ArrayLike<number>;
  let shape: number[];
  let dtype: DType;
  if (ArrayBuffer.isView(data)) {
    if (!(data instanceof Float32Array || data instanceof Int32Array || data instanceof Uint8Array)) {
      values = Float32Array.from(data as unknown as ArrayLike<number>);
      dtype = dtypeOpt ?? 'float32';
    } else {
      values = data;
      dtype = dtypeOpt ?? dtypeOfArray(data);
    }
    shape = options.shape ? checkShape('tensor', options.shape) : [values.length];
  } else if (typeof data === 'number' || typeof data === 'boolean' || Array.isArray(data)) {
    const inferred = inferShape('tensor', data as NestedArray);
    const flat: number[] = [];
    flatten(data as NestedArray, flat);
    values = flat;
    const isBool = (x: NestedArray): boolean => (Array.isArray(x) ? (x.length > 0 ? isBool(x[0]) : false) : typeof x === 'boolean');
    dtype = dtypeOpt ?? (isBool(data as NestedArray) ? 'bool' : 'float32');
    shape = options.shape ? checkShape('tensor', options.shape) : inferred;
  } else {
    throw new TypeError(
      `tensor: argument 'data' must be a number, nested array, typed array or Tensor, got ${data === null ? 'null' : typeof data}`,
    );
  }
  if (sizeOf(shape) !== values.length) {
    throw new Error(`tensor: option 'shape' ${shapeToString(shape)} holds ${sizeOf(shape)} elements but data has ${values.length}`);
  }
  const arr =
    values instanceof Float32Array || values instanceof Int32Array || values instanceof Uint8Array
      ? dtypeOfArray(values) === dtype
        ? values.slice()
        : convert(values, dtype)
      : convert(values, dtype);
  const t = fromData(backend, device, arr, shape, dtype);
  // Labels and indices are small: keeping their host copy lets checks avoid a device read (on
  // webgpu even a synchronous read waits for the GPU, which a training step must not do).
  if (arr.length <= HOST_COPY_MAX) t.hostValues = arr;
  return t;
}

/** Most elements of a `tensor()` whose host copy is kept. */
const HOST_COPY_MAX = 4096;

export function full(shape: readonly number[] | number, value: number | boolean, options: TensorOptions = {}): Tensor {
  const s = checkShape('full', shape);
  if (typeof value !== 'number' && typeof value !== 'boolean') {
    throw new TypeError(`full: argument 'value' must be a number or boolean, got ${typeof value}`);
  }
  const dtype = checkDType('full', options.dtype) ?? (typeof value === 'boolean' ? 'bool' : 'float32');
  const [backend, device] = resolveDevice(options.device);
  checkAllocation('full', backend, device, s, dtype);
  const arr = allocArray(dtype, sizeOf(s));
  if (value !== 0 && value !== false) arr.fill(Number(value));
  const t = fromData(backend, device, arr, s, dtype);
  // scalars such as an optimizer's hyperparameters: a trace compares them between calls
  if (!backend.readSync && arr.length <= HOST_COPY_MAX) t.hostValues = arr;
  return t;
}

export function zeros(shape: readonly number[] | number, options: TensorOptions = {}): Tensor {
  const s = checkShape('zeros', shape);
  const dtype = checkDType('zeros', options.dtype) ?? 'float32';
  const [backend, device] = resolveDevice(options.device);
  checkAllocation('zeros', backend, device, s, dtype);
  return wrap(backend, device, backend.allocate(dtype, sizeOf(s)), s, dtype);
}

export function ones(shape: readonly number[] | number, options: TensorOptions = {}): Tensor {
  return full(checkShape('ones', shape), 1, options);
}

export function zerosLike(x: Tensor, options: TensorOptions = {}): Tensor {
  return zeros(x.shape, { dtype: x.dtype, device: x.device, ...options });
}
export function onesLike(x: Tensor, options: TensorOptions = {}): Tensor {
  return full(x.shape, 1, { dtype: x.dtype, device: x.device, ...options });
}
export function fullLike(x: Tensor, value: number | boolean, options: TensorOptions = {}): Tensor {
  return full(x.shape, value, { dtype: x.dtype, device: x.device, ...options });
}

/** NumPy's arange: arange(stop) or arange(start, stop, step). float32 unless dtype is given. */
export function arange(start: number, stop?: number, step = 1, options: TensorOptions = {}): Tensor {
  if (stop === undefined) [start, stop] = [0, start];
  for (const [k, v] of [
    ['start', start],
    ['stop', stop],
    ['step', step],
  ] as const) {
    if (!Number.isFinite(v)) throw new TypeError(`arange: argument '${k}' must be a finite number, got ${v}`);
  }
  if (step === 0) throw new RangeError("arange: argument 'step' must not be 0");
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const dtype = checkDType('arange', options.dtype) ?? 'float32';
  const arr = allocArray(dtype, n);
  for (let i = 0; i < n; i++) arr[i] = start + i * step;
  const [backend, device] = resolveDevice(options.device);
  return fromData(backend, device, arr, [n], dtype);
}

export function linspace(start: number, stop: number, num: number, options: TensorOptions = {}): Tensor {
  if (!Number.isInteger(num) || num < 0) throw new TypeError(`linspace: argument 'num' must be a non-negative integer, got ${num}`);
  const dtype = checkDType('linspace', options.dtype) ?? 'float32';
  const arr = allocArray(dtype, num);
  const step = num > 1 ? (stop - start) / (num - 1) : 0;
  for (let i = 0; i < num; i++) arr[i] = i === num - 1 && num > 1 ? stop : start + i * step;
  const [backend, device] = resolveDevice(options.device);
  return fromData(backend, device, arr, [num], dtype);
}

/** Identity matrix n×m (m defaults to n). */
export function eye(n: number, m = n, options: TensorOptions = {}): Tensor {
  checkShape('eye', [n, m], 'n, m');
  const dtype = checkDType('eye', options.dtype) ?? 'float32';
  const arr = allocArray(dtype, n * m);
  for (let i = 0; i < Math.min(n, m); i++) arr[i * m + i] = 1;
  const [backend, device] = resolveDevice(options.device);
  return fromData(backend, device, arr, [n, m], dtype);
}
