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
/**
 * Blocks up to this size come from chunks of their own (the first 2 MiB). Carved beside large
 * blocks, the small ones of a size class ended up spread over every chunk the workload's warm-up
 * went through, and which of them a kernel got varied with the collector's timing: each new mix
 * of chunks was a new bind group (LeNet b64: ~0.2 a step, still growing after 1,500 steps).
 */
const SMALL_BLOCK_BYTES = 64 * 2 ** 10;
const FIRST_SMALL_CHUNK_BYTES = 2 * 2 ** 20;

/** Where blocks of one kind are carved: its current chunk and first free byte. */
interface Region {
  current: number;
  top: number;
  nextBytes: number;
}

export class Arena {
  private readonly chunks: GPUBuffer[] = [];
  private readonly small: Region;
  private readonly large: Region;
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
    this.small = { current: -1, top: 0, nextBytes: Math.min(FIRST_SMALL_CHUNK_BYTES, this.cap) };
    this.large = { current: -1, top: 0, nextBytes: Math.min(FIRST_CHUNK_BYTES, this.cap) };
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
    const r = size <= SMALL_BLOCK_BYTES ? this.small : this.large;
    // Blocks of a quarter of a chunk or more get a chunk of their own, so large tensors do not strand the rest.
    if (size * 4 > r.nextBytes) return { buffer: this.newChunk(size), offset: 0, chunk: this.chunks.length - 1 };
    if (r.current < 0 || r.top + size > this.chunks[r.current].size) {
      this.newChunk(r.nextBytes);
      r.current = this.chunks.length - 1;
      r.top = 0;
      r.nextBytes = Math.min(r.nextBytes * 2, this.cap);
    }
    const block = { buffer: this.chunks[r.current], offset: r.top, chunk: r.current };
    r.top += size;
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
    this.small.current = -1;
    this.large.current = -1;
  }
}
