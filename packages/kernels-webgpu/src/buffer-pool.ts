import type { Block } from './arena.js';

/** WebGPU usage flags as numbers, so that Node needs no `GPUBufferUsage` global. */
export const USAGE = {
  MAP_READ: 0x0001,
  COPY_SRC: 0x0004,
  COPY_DST: 0x0008,
  UNIFORM: 0x0040,
  STORAGE: 0x0080,
} as const;

/** The smallest buffer handed out: zero-size bindings are invalid, and 16 bytes keeps vec4 access legal. */
const MIN_BYTES = 16;

/**
 * Size classes are powers of two split into quarters (…, 1024, 1280, 1536, 1792, 2048, …),
 * so a pooled buffer wastes at most 25% while similar sizes still share buffers.
 */
export function sizeClass(bytes: number): number {
  const b = Math.max(MIN_BYTES, bytes);
  if (b <= 64) return Math.ceil(b / 16) * 16;
  const p = 2 ** Math.floor(Math.log2(b));
  const quarter = p / 4;
  return Math.ceil(b / quarter) * quarter;
}

/** A tensor's storage on the GPU: a block of an arena chunk, 4 bytes per element for every dtype (bool is u32). */
export class GpuBuffer {
  /** Index of the last command batch that used this buffer (read or write). */
  lastBatch = -1;
  released = false;
  /** Bytes the current owner asked for (≤ capacity); what memory().liveBytes counts. */
  bytes = 0;
  /**
   * @param buffer the chunk holding the block
   * @param offset where the block starts in it
   * @param chunk the chunk's index in its arena (0 for a buffer of its own)
   */
  constructor(
    readonly buffer: GPUBuffer,
    readonly capacity: number,
    readonly offset = 0,
    readonly chunk = 0,
  ) {}
}

/**
 * Buffers released by core, kept by size class for reuse. A released buffer may
 * still be read by commands that are recorded but not yet submitted; everything
 * the queue runs later is ordered after those commands, so reuse as the output of
 * a later dispatch is safe at once. A write from the CPU (queue.writeBuffer) is
 * ordered only after what was already *submitted*, so upload() asks for a buffer
 * whose last batch has been submitted.
 */
export class BufferPool {
  private readonly free = new Map<number, GpuBuffer[]>();
  /** Capacity of the buffers waiting in the pool. */
  pooledBytes = 0;
  liveBuffers = 0;
  /** Bytes of tensor data in live buffers (4 per element on the GPU, bool included). */
  liveBytes = 0;

  constructor(private readonly carve: (bytes: number) => Block) {}

  acquire(bytes: number, submittedBatch: number, forCpuWrite: boolean): GpuBuffer {
    const cls = sizeClass(bytes);
    const list = this.free.get(cls);
    let buf: GpuBuffer | undefined;
    if (list && list.length > 0) {
      // The block in the lowest chunk: which chunk serves a role then varies less from step to
      // step (collected tensors come back in varying order), so fewer chunk combinations, and
      // bind groups, are ever made. An upload takes only a block no unsubmitted batch uses.
      let best = -1;
      for (let i = list.length - 1; i >= 0; i--) {
        const b = list[i];
        if ((!forCpuWrite || b.lastBatch <= submittedBatch) && (best < 0 || b.chunk < list[best].chunk)) best = i;
        if (best >= 0 && list[best].chunk === 0) break;
      }
      if (best >= 0) buf = best === list.length - 1 ? list.pop() : list.splice(best, 1)[0];
    }
    if (buf) {
      this.pooledBytes -= cls;
      buf.released = false;
    } else {
      const block = this.carve(cls);
      buf = new GpuBuffer(block.buffer, cls, block.offset, block.chunk);
    }
    buf.bytes = bytes;
    this.liveBuffers++;
    this.liveBytes += bytes;
    return buf;
  }

  release(buf: GpuBuffer): void {
    if (buf.released) throw new Error('webgpu: release: buffer was already released');
    buf.released = true;
    this.liveBuffers--;
    this.liveBytes -= buf.bytes;
    let list = this.free.get(buf.capacity);
    if (!list) this.free.set(buf.capacity, (list = []));
    list.push(buf);
    this.pooledBytes += buf.capacity;
  }

  /** Forgets the pooled blocks (their chunks are destroyed with the arena). */
  trim(): void {
    this.free.clear();
    this.pooledBytes = 0;
  }
}

/** MAP_READ staging buffers for read(), reused once unmapped. */
export class StagingPool {
  private readonly free = new Map<number, GPUBuffer[]>();

  constructor(private readonly create: (bytes: number, usage: number) => GPUBuffer) {}

  acquire(bytes: number): GPUBuffer {
    const cls = sizeClass(bytes);
    return this.free.get(cls)?.pop() ?? this.create(cls, USAGE.MAP_READ | USAGE.COPY_DST);
  }

  release(buf: GPUBuffer): void {
    const cls = buf.size;
    let list = this.free.get(cls);
    if (!list) this.free.set(cls, (list = []));
    // Staging memory is only needed while reads are in flight; keep a few per class.
    if (list.length < 4) list.push(buf);
    else buf.destroy();
  }
}
