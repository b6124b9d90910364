import type { BackendMemory } from './backend.js';

/**
 * The count behind `memory().liveBuffers/liveBytes` for a backend whose buffers the
 * garbage collector frees (`Backend.buffersCollected`): a buffer counts from the moment
 * it is handed out until it is released or collected. The registry holds each buffer
 * weakly and keeps only its byte count, so counting never delays freeing the memory;
 * a collected buffer leaves the count when its (later) finalization callback runs.
 *
 * Those callbacks run only between tasks, and until then V8 keeps a record of every dead
 * buffer: a synchronous loop that never yields would grow that list without end. So at
 * most MAX_TRACKED buffers are counted at a time; past that, new buffers are not counted
 * (memory() under-reports) until the event loop turns and the callbacks catch up.
 */
export class LiveBuffers {
  static readonly MAX_TRACKED = 8192;
  private count = 0;
  private bytes = 0;
  private readonly registry = new FinalizationRegistry<number>((bytes) => {
    this.count--;
    this.bytes -= bytes;
  });

  add<T extends ArrayBufferView>(buf: T): T {
    if (this.count >= LiveBuffers.MAX_TRACKED) return buf;
    this.count++;
    this.bytes += buf.byteLength;
    this.registry.register(buf, buf.byteLength, buf);
    return buf;
  }

  /** False when `buf` is not counted (never handed out or past the cap, released already, or collected). */
  remove(buf: ArrayBufferView): boolean {
    if (!this.registry.unregister(buf)) return false;
    this.count--;
    this.bytes -= buf.byteLength;
    return true;
  }

  memory(pooledBytes = 0): BackendMemory {
    return { liveBuffers: this.count, liveBytes: this.bytes, pooledBytes };
  }
}
