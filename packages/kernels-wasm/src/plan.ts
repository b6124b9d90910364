import { type DType, isDType } from '@mge/core';
import type { WasmBuffer } from './wasm-backend.js';

const elemSize = (dtype: DType): number => (dtype === 'bool' ? 1 : 4);

/**
 * The wasm backend's side of a replay's buffer plan (jit/program.ts). Planned blocks belong to the
 * plan, not to the backend: they are not live buffers (release refuses them) and not pooled; a
 * kernel accepts them as arguments, and the block goes back to the module when the program that
 * holds it is collected.
 */
export class WasmPlan {
  /** Planned buffers and their views; weak, so a dropped program's blocks can be collected. */
  private readonly held = new WeakSet<WasmBuffer>();
  /** Each view's planned buffer, kept alive by the view: a block is freed once all its views are unreachable. */
  private readonly roots = new WeakMap<WasmBuffer, WasmBuffer>();
  private next: WasmBuffer | null = null;
  private readonly freed: FinalizationRegistry<{ ptr: number; bytes: number }>;
  /** Bytes of planned blocks not yet freed. */
  bytes = 0;

  /**
   * @param alloc a block of module memory (the backend's pool first)
   * @param free gives a block back to the module's allocator
   * @param make a buffer handle
   */
  constructor(
    private readonly make: (ptr: number, length: number, dtype: DType) => WasmBuffer,
    private readonly alloc: (bytes: number) => number,
    free: (ptr: number) => void,
  ) {
    this.freed = new FinalizationRegistry(({ ptr, bytes }) => {
      this.bytes -= bytes;
      free(ptr);
    });
  }

  buffer(dtype: DType, length: number, maxElements: number): WasmBuffer {
    if (!isDType(dtype)) throw new TypeError(`WasmBackend.planBuffer: argument 'dtype' expected float32|int32|bool, got ${String(dtype)}`);
    if (!Number.isInteger(length) || length < 1 || length > maxElements) {
      throw new RangeError(`WasmBackend.planBuffer: argument 'length' expected an integer in [1, ${maxElements}], got ${length}`);
    }
    const bytes = length * elemSize(dtype);
    const ptr = this.alloc(bytes);
    const buf = this.make(ptr, length, dtype);
    this.held.add(buf);
    this.bytes += bytes;
    this.freed.register(buf, { ptr, bytes });
    return buf;
  }

  view(buf: WasmBuffer, length: number): WasmBuffer {
    if (!this.held.has(buf) || this.roots.has(buf)) {
      throw new TypeError(`WasmBackend.planView: argument 'buf' expected a buffer of planBuffer, got ${describe(buf)}`);
    }
    if (!Number.isInteger(length) || length < 1 || length > buf.length) {
      throw new RangeError(`WasmBackend.planView: argument 'length' expected an integer in [1, ${buf.length}], got ${length}`);
    }
    const view = this.make(buf.ptr, length, buf.dtype);
    this.held.add(view);
    this.roots.set(view, buf);
    return view;
  }

  output(buf: WasmBuffer | null): void {
    if (buf !== null && !this.held.has(buf)) {
      throw new TypeError(`WasmBackend.planOutput: argument 'buf' expected a planned buffer or null, got ${describe(buf)}`);
    }
    this.next = buf;
  }

  /** The planned buffer when it fits the next output (`dtype`, `size` elements), else null; either way the plan is used up. */
  take(dtype: DType, size: number): WasmBuffer | null {
    const p = this.next;
    if (p === null) return null;
    this.next = null;
    return p.dtype === dtype && p.length === size ? p : null;
  }

  holds(buf: WasmBuffer): boolean {
    return this.held.has(buf);
  }
}

function describe(buf: unknown): string {
  const b = buf as Partial<WasmBuffer> | null;
  if (b !== null && typeof b === 'object' && typeof b.ptr === 'number') return `a ${b.dtype} wasm buffer of ${b.length} elements`;
  return b === null ? 'null' : typeof b;
}
