import type { Backend, TensorRef } from './backend.js';
import type { DataArray, DType } from './dtype.js';
import { checkAllocation } from './limits.js';
import { formatTensor } from './print.js';
import { getBackend } from './registry.js';
import { shapesEqual, shapeToString, sizeOf } from './shape.js';
import { Storage } from './storage.js';
import { trackInScope } from './tidy.js';
import { opRecorder } from './trace-hook.js';

let nextId = 1;

/** @internal The id the next tensor will get (ids only grow): a trace tells the tensors it saw made from older ones. */
export function nextTensorId(): number {
  return nextId;
}

export type NestedArray = number | boolean | NestedArray[];

/**
 * An n-dimensional array on a device. Operators return tensors at once (the shape is
 * known without computing); values are read with `await t.data()` or, where the
 * backend can, `t.dataSync()`.
 */
export class Tensor {
  readonly id = nextId++;
  /** Accumulated gradient, set by GradManager.backward (MegEngine's `.grad`). */
  grad: Tensor | null = null;
  private held: Storage | null;
  /**
   * @internal A value not computed yet: computed on first use. Only ops/fused.ts makes
   * these, so that an activation applied next can be fused into the kernel instead.
   */
  deferred: Deferred | null = null;
  /**
   * @internal Counts in-place changes (`_reset`, `setValue`) once autograd has recorded an
   * operator on this tensor, so that backward can refuse a value changed since then.
   */
  version: { n: number } | null = null;
  /**
   * @internal The values, when they came from the host and the device cannot be read
   * synchronously (small tensors only, see `tensor()`): argument checks such as class labels
   * on webgpu read them here instead of waiting for the device.
   */
  hostValues: DataArray | null = null;
  /**
   * @internal The tensor a reshape view was made from (the first one, through views of views):
   * a trace replays a view of a parameter by reading the parameter's current buffer.
   */
  viewOf: Tensor | null = null;
  /** This tensor was disposed (its buffer may live on in views that were not). */
  private disposed = false;
  shape: readonly number[];
  dtype: DType;

  /** @internal Use `tensor()` and the operators to make tensors. */
  constructor(storage: Storage | Deferred, shape: readonly number[], dtype: DType) {
    if (storage instanceof Storage) {
      this.held = storage;
      storage.refs++;
    } else {
      this.held = null;
      this.deferred = storage;
    }
    this.shape = shape;
    this.dtype = dtype;
    trackInScope(this);
  }

  /** @internal The buffer, computing a deferred value first. */
  get storage(): Storage {
    if (this.held) return this.held;
    const d = this.deferred;
    if (!d) return DISPOSED;
    this.deferred = null;
    this.held = d.compute();
    this.held.refs++;
    return this.held;
  }
  set storage(s: Storage) {
    this.held = s;
  }

  get device(): string {
    return this.held ? this.held.device : (this.deferred?.device ?? DISPOSED.device);
  }
  get ndim(): number {
    return this.shape.length;
  }
  get size(): number {
    return sizeOf(this.shape);
  }
  get isDisposed(): boolean {
    return this.disposed || (this.held ? this.held.released : this.deferred === null);
  }

  /** @internal What a backend sees. */
  ref(op: string): TensorRef {
    if (this.disposed || this.storage.released)
      throw new Error(`${op}: a tensor of shape ${shapeToString(this.shape)} was used after dispose()`);
    return { buf: this.storage.buf, shape: this.shape, dtype: this.dtype };
  }

  /** @internal */
  get backend(): Backend {
    return this.storage.backend;
  }

  /** A copy of the values as a typed array (Float32Array, Int32Array, or Uint8Array for bool). */
  async data(): Promise<DataArray> {
    this.ref('data');
    opRecorder()?.read(this, 'data');
    return this.backend.read(this.storage.buf, this.dtype, this.size);
  }

  /** Synchronous read; only backends that can honour it allow it (every one but webgpu in a browser). */
  dataSync(): DataArray {
    this.ref('dataSync');
    opRecorder()?.read(this, 'dataSync');
    const b = this.backend;
    if (!b.readSync) {
      throw new Error(`dataSync: device '${this.device}' cannot read synchronously; use 'await t.data()' instead`);
    }
    return b.readSync(this.storage.buf, this.dtype, this.size);
  }

  /** Nested arrays like NumPy's tolist(); bool values come back as booleans. */
  async numpy(): Promise<NestedArray> {
    return nest(await this.data(), this.shape, this.dtype);
  }
  numpySync(): NestedArray {
    return nest(this.dataSync(), this.shape, this.dtype);
  }
  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new Error(`item: the tensor must hold exactly one element, got shape ${shapeToString(this.shape)}`);
    if (!this.backend.readSync) {
      throw new Error(`item: device '${this.device}' cannot read synchronously; use 'await t.itemAsync()' instead`);
    }
    return this.dataSync()[0];
  }
  async itemAsync(): Promise<number> {
    if (this.size !== 1) throw new Error(`item: the tensor must hold exactly one element, got shape ${shapeToString(this.shape)}`);
    return (await this.data())[0];
  }

  /** A copy on another device (MegEngine's `to`); reads the source synchronously. */
  to(device: string): Tensor {
    const target = getBackend(device);
    if (device === this.device) return this;
    if (!this.backend.readSync) {
      throw new Error(
        `to: device '${this.device}' cannot read synchronously, so a copy to '${device}' must wait for the values; use 'await t.toAsync('${device}')' instead`,
      );
    }
    const values = this.dataSync();
    return fromData(target, device, values, this.shape, this.dtype);
  }
  /** Like `to`, also for sources that can only be read asynchronously (webgpu in a browser). */
  async toAsync(device: string): Promise<Tensor> {
    const target = getBackend(device);
    if (device === this.device) return this;
    return fromData(target, device, await this.data(), this.shape, this.dtype);
  }

  /** Frees the device memory now (it is freed by the garbage collector otherwise). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (!this.held) {
      this.deferred?.dispose?.();
      this.deferred = null;
      return;
    }
    if (this.held.released) return;
    if (--this.held.refs <= 0) this.held.release();
  }

  /**
   * Replaces this tensor's value in place with `value`'s (same shape; cast to this
   * dtype). Optimizers and BatchNorm use it; autograd history is not kept.
   */
  _reset(value: Tensor): this {
    this.ref('_reset');
    value.ref('_reset');
    if (!shapesEqual(value.shape, this.shape)) {
      throw new Error(`_reset: expected a value of shape ${shapeToString(this.shape)}, got ${shapeToString(value.shape)}`);
    }
    if (value.device !== this.device) {
      throw new Error(`_reset: value is on device '${value.device}' but the tensor is on '${this.device}'`);
    }
    if (value.dtype !== this.dtype) {
      throw new Error(`_reset: expected a value of dtype ${this.dtype}, got ${value.dtype}`);
    }
    if (value.storage === this.storage) return this;
    if (this.version) this.version.n++;
    opRecorder()?.reset(this, value);
    this.hostValues = value.hostValues;
    const old = this.storage;
    this.storage = value.storage;
    this.storage.refs++;
    if (--old.refs <= 0) old.release();
    return this;
  }
  /** MegEngine's set_value. */
  setValue(value: Tensor): this {
    return this._reset(value);
  }

  toString(): string {
    return formatTensor(this);
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return formatTensor(this);
  }
}

/** @internal How to compute a deferred tensor's buffer, on `device`. */
export interface Deferred {
  readonly device: string;
  compute(): Storage;
  /** The tensor was disposed before it was computed. */
  dispose?(): void;
}

/** What a disposed deferred tensor holds: a released buffer, so that use after dispose() fails as usual. */
const DISPOSED = Object.assign(Object.create(Storage.prototype) as Storage, { refs: 0, released: true, device: '(disposed)' });

/** @internal A tensor over a freshly made backend buffer. */
export function wrap(backend: Backend, device: string, buf: unknown, shape: readonly number[], dtype: DType): Tensor {
  return new Tensor(new Storage(backend, device, buf, dtype, sizeOf(shape)), shape, dtype);
}

/** @internal */
export function fromData(backend: Backend, device: string, data: DataArray, shape: readonly number[], dtype: DType): Tensor {
  checkAllocation('tensor', backend, device, shape, dtype);
  return wrap(backend, device, backend.upload(data), shape, dtype);
}

/** @internal A new tensor sharing `t`'s buffer under another shape (reshape never copies). */
export function view(t: Tensor, shape: readonly number[]): Tensor {
  t.ref('reshape');
  const v = new Tensor(t.storage, shape, t.dtype);
  v.hostValues = t.hostValues;
  v.viewOf = t.viewOf ?? t;
  return v;
}

function nest(data: DataArray, shape: readonly number[], dtype: DType): NestedArray {
  const conv = dtype === 'bool' ? (v: number) => v !== 0 : (v: number) => v;
  if (shape.length === 0) return conv(data[0]);
  let pos = 0;
  const build = (dim: number): NestedArray[] => {
    const out: NestedArray[] = [];
    for (let i = 0; i < shape[dim]; i++) out.push(dim === shape.length - 1 ? conv(data[pos++]) : build(dim + 1));
    return out;
  };
  return build(0);
}
