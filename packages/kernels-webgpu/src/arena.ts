/**
 * Tensor memory as blocks of a few large GPU buffers ("chunks"). A kernel binds each chunk
 * with a dynamic offset and a window the size of the block, so one bind group serves every
 * dispatch whose operands have the same chunks and size classes: a training step, repeated,
 * makes no new bind group. (Dawn for Node frees a bind group only when the event loop turns,
 * so one per kernel grew memory without bound in a loop that never yields.)
 */

/** A block of a chunk: where a tensor's bytes live. */
export interface Block {
  buffer: GPUBuffer;
  offset: number;
  /** Index of the chunk, part of bind-group cache keys. */
  chunk: number;
}

/** The first chunk's size; each later one doubles, up to the cap. */
const FIRST_CHUNK_BYTES = 4 * 2 ** 20;
const MAX_CHUNK_BYTES = 256 * 2 ** 20;

export class Arena {
  private readonly chunks: GPUBuffer[] = [];
  /** The chunk blocks are carved from, and its first free byte. */
  private current = -1;
  private top = 0;
  private nextBytes = FIRST_CHUNK_BYTES;
  private readonly cap: number;
  /** Bytes handed out as blocks so far (they are pooled for reuse, never returned). */
  carvedBytes = 0;

  /**
   * @param align every block starts at a multiple of this (the device's minStorageBufferOffsetAlignment,
   *   at least 16 so vec4 views line up)
   * @param maxBytes the largest buffer the device allows
   */
  constructor(
    private readonly create: (bytes: number) => GPUBuffer,
    readonly align: number,
    maxBytes: number,
  ) {
    this.cap = Math.max(Math.min(MAX_CHUNK_BYTES, maxBytes), 16);
    this.nextBytes = Math.min(FIRST_CHUNK_BYTES, this.cap);
  }

  /** Bytes of GPU memory held by the chunks. */
  get reservedBytes(): number {
    let s = 0;
    for (const c of this.chunks) s += c.size;
    return s;
  }

  get chunkCount(): number {
    return this.chunks.length;
  }

  /** A new block of `bytes` (a size class: never returned, the pool keeps it for reuse). */
  carve(bytes: number): Block {
    const size = Math.ceil(bytes / this.align) * this.align;
    this.carvedBytes += size;
    // Blocks of a quarter of a chunk or more get a chunk of their own, so large tensors do not strand the rest.
    if (size * 4 > this.nextBytes) return { buffer: this.newChunk(size), offset: 0, chunk: this.chunks.length - 1 };
    if (this.current < 0 || this.top + size > this.chunks[this.current].size) {
      this.newChunk(this.nextBytes);
      this.current = this.chunks.length - 1;
      this.top = 0;
      this.nextBytes = Math.min(this.nextBytes * 2, this.cap);
    }
    const block = { buffer: this.chunks[this.current], offset: this.top, chunk: this.current };
    this.top += size;
    return block;
  }

  private newChunk(bytes: number): GPUBuffer {
    const buf = this.create(bytes);
    this.chunks.push(buf);
    return buf;
  }

  destroy(): void {
    for (const c of this.chunks) c.destroy();
    this.chunks.length = 0;
    this.current = -1;
  }
}
