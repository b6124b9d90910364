import type { Backend } from './backend.js';
import { bytesPerElement, type DType } from './dtype.js';

interface Held {
  backend: Backend;
  buf: unknown;
}

/** Device memory of tensors nobody can reach any more goes back to its backend. */
const finalizer = new FinalizationRegistry<Held>((held) => held.backend.release(held.buf));

/**
 * One backend buffer shared by a tensor and its reshapes. `refs` counts the
 * tensors that hold it and were not disposed; at zero the buffer is released
 * at once, otherwise the garbage collector releases it.
 */
export class Storage {
  refs = 0;
  released = false;

  constructor(
    readonly backend: Backend,
    readonly device: string,
    readonly buf: unknown,
    readonly dtype: DType,
    readonly size: number,
  ) {
    if (!backend.buffersCollected) finalizer.register(this, { backend, buf }, this);
  }

  get bytes(): number {
    return this.size * bytesPerElement(this.dtype);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    if (!this.backend.buffersCollected) finalizer.unregister(this);
    this.backend.release(this.buf);
  }
}
