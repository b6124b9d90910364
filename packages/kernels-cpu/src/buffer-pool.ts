import type { DataArray, DType } from '@mge/core';

/** Makes a new buffer when the pool has none of the kind; contents may be anything. */
export type MakeBuffer = (dtype: DType, size: number) => DataArray;

/** Released buffers of one dtype and length; `lastAsked` is when one was last asked for (in bytes taken). */
interface Shelf {
  bufs: DataArray[];
  lastAsked: number;
}

/**
 * Released buffers, kept by dtype and length for the next buffer of the same kind.
 * Training loops allocate the same shapes every step, so after the first steps
 * almost every output comes from here and nothing new is allocated or page-faulted.
 * When the bound is reached, the shapes asked for least recently make room: buffers of a
 * workload that has ended (training's shapes once inference runs) must not keep the
 * current one from pooling. A shape asked for within the last quarter of the bound's worth of
 * takes is the running workload's own: a small training step's buffers come back from the
 * garbage collector in a burst of many steps' worth, and turning them away would make the next
 * steps allocate afresh (and that fresh memory brings the next collection sooner). Such
 * buffers are kept past the bound, up to twice it.
 */
export class BufferPool {
  // Keyed by dtype, then by length (numbers, so a lookup builds no string).
  private readonly free: Record<DType, Map<number, Shelf>> = { float32: new Map(), int32: new Map(), bool: new Map() };
  private bytes = 0;
  /** Bytes handed out so far: the clock of `lastAsked`. */
  private clock = 0;
  /** A replay's planned buffer for the next output (see `plan`). */
  private next: DataArray | null = null;

  constructor(
    private maxBytes: number,
    private readonly make: MakeBuffer,
  ) {}

  get pooledBytes(): number {
    return this.bytes;
  }

  private shelf(dtype: DType, size: number): Shelf {
    const byLength = this.free[dtype];
    let shelf = byLength.get(size);
    if (!shelf) {
      shelf = { bufs: [], lastAsked: 0 };
      byLength.set(size, shelf);
    }
    return shelf;
  }

  /** A buffer of exactly `size` elements with unspecified contents. */
  take(dtype: DType, size: number): DataArray {
    const shelf = this.shelf(dtype, size);
    this.clock += (dtype === 'bool' ? 1 : 4) * size + 1;
    shelf.lastAsked = this.clock;
    const buf = shelf.bufs.pop();
    if (buf) {
      this.bytes -= buf.byteLength;
      return buf;
    }
    return this.make(dtype, size);
  }

  give(dtype: DType, buf: DataArray): void {
    if (buf.byteLength === 0 || buf.byteLength > this.maxBytes) return; // let the GC have it
    const shelf = this.shelf(dtype, buf.length);
    const recent = this.clock - this.maxBytes / 4;
    while (this.bytes + buf.byteLength > this.maxBytes) {
      const stale = this.stalest();
      if (!stale || stale.lastAsked >= shelf.lastAsked || stale.lastAsked > recent) {
        // Nothing staler than the buffer's own shape, or only the running workload's shapes: keep
        // a recent one up to twice the bound, else let the GC have it.
        if (shelf.lastAsked > recent && this.bytes + buf.byteLength <= 2 * this.maxBytes) break;
        return;
      }
      this.bytes -= (stale.bufs.pop() as DataArray).byteLength;
    }
    shelf.bufs.push(buf);
    this.bytes += buf.byteLength;
  }

  /**
   * The buffer the next `planned` call of its dtype and length returns (a replay's buffer plan:
   * jit/program.ts). Planned buffers are the plan's own: never pooled, never counted live.
   */
  plan(buf: DataArray | null): void {
    this.next = buf;
  }

  /** The planned buffer when it fits an output of `dtype` and `size` elements, else null; either way the plan is used up. */
  planned(dtype: DType, size: number): DataArray | null {
    const p = this.next;
    if (p === null) return null;
    this.next = null;
    const kind = p instanceof Float32Array ? 'float32' : p instanceof Int32Array ? 'int32' : 'bool';
    return kind === dtype && p.length === size ? p : null;
  }

  /** Keeps at least `bytes` from now on (a replayed step's buffers). */
  reserve(bytes: number): void {
    this.maxBytes = Math.max(this.maxBytes, bytes);
  }

  /** The non-empty shelf asked for least recently. */
  private stalest(): Shelf | undefined {
    let best: Shelf | undefined;
    for (const byLength of Object.values(this.free)) {
      for (const shelf of byLength.values()) {
        if (shelf.bufs.length > 0 && (!best || shelf.lastAsked < best.lastAsked)) best = shelf;
      }
    }
    return best;
  }

  clear(): void {
    for (const byLength of Object.values(this.free)) byLength.clear();
    this.bytes = 0;
  }
}
