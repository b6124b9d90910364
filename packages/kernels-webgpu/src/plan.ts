import { type DType, isDType } from '@mge/core';
import { GpuBuffer } from './buffer-pool.js';
import type { GpuRuntime } from './runtime.js';

/**
 * A buffer of a replay's buffer plan (jit.trace), or a view of one. All views of a planned block
 * bind the block's whole window (its chunk, offset and capacity, so they share bind groups); a
 * kernel reads and writes only the elements its parameters name. `root` keeps the block's owner
 * alive while any view is.
 */
class PlannedGpuBuffer extends GpuBuffer {
  constructor(
    block: GpuBuffer,
    readonly dtype: DType,
    readonly length: number,
    bytes: number,
    readonly root: PlannedGpuBuffer | null,
  ) {
    super(block.buffer, block.capacity, block.offset, block.chunk);
    this.bytes = bytes;
  }
}

/**
 * The webgpu backend's side of a replay's buffer plan (jit/program.ts). A planned block is taken
 * from the pool once, counted live while the program holding it lives (memory() shows what the
 * plan holds), and given back to the pool when that program is collected. The runtime hands the
 * planned buffer to the next output it acquires (`GpuRuntime.nextPlanned`).
 */
export class GpuPlan {
  private readonly held = new WeakSet<GpuBuffer>();
  private readonly freed: FinalizationRegistry<GpuBuffer>;
  /** Bytes of planned blocks not yet given back to the pool. */
  bytes = 0;

  constructor(private readonly runtime: GpuRuntime) {
    this.freed = new FinalizationRegistry((block) => {
      // the views carried the dispatches' batch numbers: until the block is next written by a
      // kernel, no upload (queue.writeBuffer) may take it (after destroy() the pool only forgets it)
      block.lastBatch = Number.MAX_SAFE_INTEGER;
      this.bytes -= block.capacity;
      runtime.pool.release(block);
    });
  }

  buffer(dtype: DType, length: number, maxElements: number): GpuBuffer {
    if (!isDType(dtype)) throw new TypeError(`webgpu.planBuffer: argument 'dtype' expected float32|int32|bool, got ${String(dtype)}`);
    if (!Number.isInteger(length) || length < 1 || length > maxElements) {
      throw new RangeError(`webgpu.planBuffer: argument 'length' expected an integer in [1, ${maxElements}], got ${length}`);
    }
    const block = this.runtime.acquire(length, dtype);
    const buf = new PlannedGpuBuffer(block, dtype, length, block.bytes, null);
    this.held.add(buf);
    this.bytes += block.capacity;
    this.freed.register(buf, block);
    return buf;
  }

  view(buf: GpuBuffer, length: number): GpuBuffer {
    if (!(buf instanceof PlannedGpuBuffer) || buf.root !== null || !this.held.has(buf)) {
      throw new TypeError("webgpu.planView: argument 'buf' expected a buffer of planBuffer");
    }
    if (!Number.isInteger(length) || length < 1 || length > buf.length) {
      throw new RangeError(`webgpu.planView: argument 'length' expected an integer in [1, ${buf.length}], got ${length}`);
    }
    const view = new PlannedGpuBuffer(buf, buf.dtype, length, length * this.runtime.bytesPer(buf.dtype), buf);
    this.held.add(view);
    return view;
  }

  output(buf: GpuBuffer | null): void {
    if (buf !== null && !this.held.has(buf)) {
      throw new TypeError("webgpu.planOutput: argument 'buf' expected a planned buffer or null");
    }
    this.runtime.nextPlanned = buf;
  }
}

/** Whether `buf` is a planned buffer or a view of one (the plan keeps it: never released to the pool). */
export function isPlanned(buf: GpuBuffer): boolean {
  return buf instanceof PlannedGpuBuffer;
}
