import type { DataArray, DType } from '@mge/core';

/** Makes a new buffer when the pool has none of the kind; contents may be anything. */
export type MakeBuffer = (dtype: DType, size: number) => DataArray;

/** Released buffers of one dtype and length; `low` is the fewest waiting since the last trim. */
interface Shelf {
  bufs: DataArray[];
  low: number;
}

/** Takes between two trims (a few training steps). */
const TRIM_EVERY = 2048;

/**
 * Released buffers, kept by dtype and length for the next buffer of the same kind.
 * Training loops allocate the same shapes every step, so after the first steps
 * almost every output comes from here and nothing new is allocated or page-faulted.
 * Buffers of collected tensors come back in bursts after each collection; what a burst
 * leaves over — buffers nobody took between two trims (`low`), or of a shape no longer
 * asked for — is dropped to the GC, so the pool holds the loop's working set, not its peaks.
 */
export class BufferPool {
  // Keyed by dtype, then by length (numbers, so a lookup builds no string).
  private readonly free: Record<DType, Map<number, Shelf>> = { float32: new Map(), int32: new Map(), bool: new Map() };
  private bytes = 0;
  private takes = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly make: MakeBuffer,
  ) {}

  get pooledBytes(): number {
    return this.bytes;
  }

  /** A buffer of exactly `size` elements with unspecified contents. */
  take(dtype: DType, size: number): DataArray {
    if (++this.takes === TRIM_EVERY) this.trim();
    const shelf = this.free[dtype].get(size);
    const buf = shelf?.bufs.pop();
    if (shelf && buf) {
      if (shelf.bufs.length < shelf.low) shelf.low = shelf.bufs.length;
      this.bytes -= buf.byteLength;
      return buf;
    }
    return this.make(dtype, size);
  }

  give(dtype: DType, buf: DataArray): void {
    if (buf.byteLength === 0 || this.bytes + buf.byteLength > this.maxBytes) return; // let the GC have it
    const byLength = this.free[dtype];
    let shelf = byLength.get(buf.length);
    if (!shelf) {
      shelf = { bufs: [], low: 0 };
      byLength.set(buf.length, shelf);
    }
    shelf.bufs.push(buf);
    this.bytes += buf.byteLength;
  }

  /** Drops the buffers that waited through a whole trim period untaken (the oldest first). */
  private trim(): void {
    this.takes = 0;
    for (const byLength of Object.values(this.free)) {
      for (const [length, shelf] of byLength) {
        if (shelf.low > 0) {
          for (const b of shelf.bufs.splice(0, shelf.low)) this.bytes -= b.byteLength;
        }
        if (shelf.bufs.length === 0) byLength.delete(length);
        else shelf.low = shelf.bufs.length;
      }
    }
  }

  clear(): void {
    for (const byLength of Object.values(this.free)) byLength.clear();
    this.bytes = 0;
  }
}
