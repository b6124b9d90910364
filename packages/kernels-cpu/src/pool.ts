import type { DataArray, DType } from '@mge/core';

/** Makes a new buffer when the pool has none of the kind; contents may be anything. */
export type MakeBuffer = (dtype: DType, size: number) => DataArray;

/**
 * Released buffers, kept by dtype and length for the next buffer of the same kind.
 * Training loops allocate the same shapes every step, so after the first step
 * almost every output comes from here and nothing new is allocated or zeroed.
 */
export class BufferPool {
  private readonly free = new Map<string, DataArray[]>();
  private bytes = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly make: MakeBuffer,
  ) {}

  get pooledBytes(): number {
    return this.bytes;
  }

  /** A buffer of exactly `size` elements with unspecified contents. */
  take(dtype: DType, size: number): DataArray {
    const list = this.free.get(`${dtype}:${size}`);
    const buf = list?.pop();
    if (buf) {
      this.bytes -= buf.byteLength;
      return buf;
    }
    return this.make(dtype, size);
  }

  give(dtype: DType, buf: DataArray): void {
    if (buf.byteLength === 0 || this.bytes + buf.byteLength > this.maxBytes) return; // let the GC have it
    const key = `${dtype}:${buf.length}`;
    let list = this.free.get(key);
    if (!list) {
      list = [];
      this.free.set(key, list);
    }
    list.push(buf);
    this.bytes += buf.byteLength;
  }

  clear(): void {
    this.free.clear();
    this.bytes = 0;
  }
}
