import type { DataArray, DType } from '@mge/core';

/** Makes a new buffer when the pool has none of the kind; contents may be anything. */
export type MakeBuffer = (dtype: DType, size: number) => DataArray;

/**
 * Released buffers, kept by dtype and length for the next buffer of the same kind.
 * Training loops allocate the same shapes every step, so after the first steps
 * almost every output comes from here and nothing new is allocated or page-faulted.
 * Buffers of collected tensors come back in bursts after each collection (through
 * core's collection watcher); what the bound turns away goes to the GC.
 */
export class BufferPool {
  // Keyed by dtype, then by length (numbers, so a lookup builds no string).
  private readonly free: Record<DType, Map<number, DataArray[]>> = { float32: new Map(), int32: new Map(), bool: new Map() };
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
    const list = this.free[dtype].get(size);
    const buf = list?.pop();
    if (buf) {
      this.bytes -= buf.byteLength;
      return buf;
    }
    return this.make(dtype, size);
  }

  give(dtype: DType, buf: DataArray): void {
    if (buf.byteLength === 0 || this.bytes + buf.byteLength > this.maxBytes) return; // let the GC have it
    const byLength = this.free[dtype];
    let list = byLength.get(buf.length);
    if (!list) {
      list = [];
      byLength.set(buf.length, list);
    }
    list.push(buf);
    this.bytes += buf.byteLength;
  }

  clear(): void {
    for (const byLength of Object.values(this.free)) byLength.clear();
    this.bytes = 0;
  }
}
