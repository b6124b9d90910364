import type { Backend } from './backend.js';
import { bytesPerElement, type DType } from './dtype.js';
import { opRecorder } from './trace-hook.js';

interface Held {
  backend: Backend;
  buf: unknown;
}

/** Device memory of tensors nobody can reach any more goes back to its backend. */
const finalizer = new FinalizationRegistry<Held>((held) => held.backend.release(held.buf));

/**
 * A signal that an object was garbage-collected which, unlike a FinalizationRegistry,
 * needs no turn of the event loop (on Node, `@mge/kernels-cpu` installs one built on
 * N-API finalizers that run inside the collection). Contract: after `target` is collected,
 * `drain` eventually returns `id` exactly once; it must never return an id whose target
 * is alive.
 */
export interface CollectionWatcher {
  watch(target: object, id: number): void;
  /** Moves collected ids into `out` and returns how many (oldest first). */
  drain(out: Int32Array): number;
  /** Optional: `pending[0]` is 0 when `drain` has nothing, so core can skip the call. */
  readonly pending?: Int32Array;
}

let watcher: CollectionWatcher | undefined;
// By id: what to release when the storage with that id is collected; null once it was
// released by dispose (the id stays taken until its collection is reported).
const heldById: (Held | null | undefined)[] = [];
const freeIds: number[] = [];
const drained = new Int32Array(1024);

/**
 * Installs the collection watcher (once; later calls keep the first). From then on every
 * storage of a backend whose buffers the GC cannot free itself is released at core's next
 * allocation after the storage was collected — also in a loop that never yields.
 */
export function setCollectionWatcher(w: CollectionWatcher): void {
  if (typeof w !== 'object' || w === null || typeof w.watch !== 'function' || typeof w.drain !== 'function') {
    throw new TypeError(`setCollectionWatcher: argument 'w' expected an object with watch() and drain(), got ${String(w)}`);
  }
  if (w.pending !== undefined && !(w.pending instanceof Int32Array && w.pending.length >= 1)) {
    throw new TypeError(`setCollectionWatcher: argument 'w.pending' expected an Int32Array of at least 1 element or undefined`);
  }
  watcher ??= w;
}

/** True once a collection watcher is installed (backends pool their buffers only then). */
export function hasCollectionWatcher(): boolean {
  return watcher !== undefined;
}

/**
 * Gives the buffers of collected storages back to their backends. Runs before every new
 * storage: the release point that does not depend on the event loop.
 */
export function reclaimCollected(): void {
  const w = watcher;
  if (!w || (w.pending !== undefined && w.pending[0] === 0)) return;
  for (;;) {
    const n = w.drain(drained);
    for (let i = 0; i < n; i++) {
      const id = drained[i] as number;
      const held = heldById[id];
      heldById[id] = undefined;
      freeIds.push(id);
      if (held) {
        held.backend.release(held.buf);
        opRecorder()?.released?.(held.buf);
      }
    }
    if (n < drained.length) return;
  }
}

/**
 * One backend buffer shared by a tensor and its reshapes. `refs` counts the
 * tensors that hold it and were not disposed; at zero the buffer is released
 * at once, otherwise the garbage collector releases it.
 */
export class Storage {
  refs = 0;
  released = false;
  /** ≥ 0 when the collection watcher reports this storage's collection. */
  private readonly watchId: number = -1;

  constructor(
    readonly backend: Backend,
    readonly device: string,
    readonly buf: unknown,
    readonly dtype: DType,
    readonly size: number,
  ) {
    reclaimCollected();
    if (backend.buffersCollected) return;
    if (watcher) {
      const id = freeIds.pop() ?? heldById.length;
      heldById[id] = { backend, buf };
      watcher.watch(this, id);
      this.watchId = id;
    } else {
      finalizer.register(this, { backend, buf }, this);
    }
  }

  get bytes(): number {
    return this.size * bytesPerElement(this.dtype);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    if (this.watchId >= 0) heldById[this.watchId] = null;
    else if (!this.backend.buffersCollected) finalizer.unregister(this);
    this.backend.release(this.buf);
    opRecorder()?.released?.(this.buf);
  }
}
