import type { DType } from '@mge/core';
import { BufferPool, type GpuBuffer, StagingPool, USAGE } from './buffer-pool.js';
import { pumpUntil } from './dawn-events.js';
import { PARAM_SLOT_BYTES, PARAM_WORDS, toF16Storage, WG } from './wgsl.js';

/** Kernels in one task (no turn of the event loop) before Node users are warned that Dawn's memory grows. */
const DISPATCHES_WITHOUT_TURN_WARNING = 20_000;
/** Kernels in one task before an error: 65,536 live bind groups crash Dawn on lavapipe. */
const DISPATCHES_WITHOUT_TURN_LIMIT = 60_000;

/** Error-scope promises left pending (see flush) before batches run without a scope of their own. */
const MAX_PENDING_SCOPES = 64;

/** Dispatches recorded before a submit; more would only delay the GPU's start. */
export const DISPATCHES_PER_BATCH = 128;
const MAX_GROUPS_PER_DIM = 65535;

/** A compute kernel: a cache key (op + rank + dtype …) and the WGSL made on first use. */
export interface KernelSource {
  key: string;
  wgsl: () => string;
}

/** Reinterprets a float32 as its bit pattern, for float parameters in the u32 parameter block. */
const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);
export function f32Bits(x: number): number {
  f32Scratch[0] = x;
  return u32Scratch[0];
}

/**
 * Owns the device: pipelines, buffer pools, the parameter arena and the command
 * batch. Every dispatch is recorded into one open compute pass; the batch is
 * submitted when it holds DISPATCHES_PER_BATCH dispatches, on read(), or on sync().
 */
/** Counters for tests and benchmarks: how much work reached the GPU and how often. */
export interface RuntimeStats {
  dispatches: number;
  submits: number;
  pipelines: number;
  buffersCreated: number;
}

export class GpuRuntime {
  readonly stats: RuntimeStats = { dispatches: 0, submits: 0, pipelines: 0, buffersCreated: 0 };
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  /** getBindGroupLayout makes a new object (a round trip in a browser's GPU process) on every call. */
  private readonly layouts = new Map<GPUComputePipeline, GPUBindGroupLayout>();
  readonly pool: BufferPool;
  private readonly staging: StagingPool;
  /** One uniform buffer holds the parameters of every dispatch of a batch, one slot each. */
  private readonly arena: GPUBuffer;
  private readonly arenaWords = new Int32Array((DISPATCHES_PER_BATCH * PARAM_SLOT_BYTES) / 4);
  private slot = 0;
  private encoder: GPUCommandEncoder | undefined;
  private pass: GPUComputePassEncoder | undefined;
  /** Index of the batch being recorded; buffers it touches carry this number. */
  private batch = 0;
  private submittedBatch = -1;
  private lostMessage: string | undefined;
  private readonly errors: string[] = [];
  private readonly pendingScopes: Promise<void>[] = [];
  /** Dispatches since the event loop last turned (Node only; see noteDispatchWithoutTurn). */
  private sinceTurn = 0;
  private warnedNoTurn = false;
  readonly maxBufferBytes: number;

  /**
   * @param f16 float32 tensors live on the GPU as f16 (2 bytes each): every kernel's float
   *   storage bindings are rewritten by toF16Storage when its pipeline is made.
   */
  constructor(
    readonly device: GPUDevice,
    readonly f16 = false,
  ) {
    this.maxBufferBytes = Math.min(device.limits.maxBufferSize, device.limits.maxStorageBufferBindingSize);
    const create = (bytes: number, usage: number) => this.createBuffer(bytes, usage);
    this.pool = new BufferPool(create);
    this.staging = new StagingPool(create);
    this.arena = device.createBuffer({ size: this.arenaWords.byteLength, usage: USAGE.UNIFORM | USAGE.COPY_DST });
    device.lost.then((info) => {
      this.lostMessage = `${info.reason ?? 'unknown'}: ${info.message || 'no message'}`;
    });
    const onError = (ev: Event) => {
      const err = (ev as GPUUncapturedErrorEvent).error;
      this.errors.push(err?.message ?? String(err));
    };
    if (typeof device.addEventListener === 'function') device.addEventListener('uncapturederror', onError);
    else (device as unknown as { onuncapturederror?: (ev: Event) => void }).onuncapturederror = onError;
  }

  assertAlive(op: string): void {
    if (this.lostMessage !== undefined) {
      throw new Error(
        `webgpu: ${op}: the GPU device was lost (${this.lostMessage}); every tensor on 'webgpu' is gone — reload, or use another device`,
      );
    }
  }

  /** Throws the first GPU error recorded since the last check (validation, out-of-memory, shader compilation). */
  private throwRecorded(op: string): void {
    if (this.errors.length === 0) return;
    const msg = this.errors.splice(0).join('; ');
    throw new Error(`webgpu: ${op}: the GPU reported an error: ${msg}`);
  }

  private watch(scope: 'out-of-memory' | 'validation', what: string): void {
    const p = this.device.popErrorScope().then(
      (err) => {
        if (err) {
          this.errors.push(scope === 'out-of-memory' ? `out of GPU memory while ${what}: ${err.message}` : `${what}: ${err.message}`);
        }
      },
      () => undefined,
    );
    this.pendingScopes.push(p);
  }

  private createBuffer(bytes: number, usage: number): GPUBuffer {
    if (bytes > this.maxBufferBytes) {
      throw new Error(`webgpu: cannot allocate ${bytes} bytes: the adapter's largest storage buffer is ${this.maxBufferBytes} bytes`);
    }
    this.device.pushErrorScope('out-of-memory');
    const buf = this.device.createBuffer({ size: bytes, usage });
    this.stats.buffersCreated++;
    this.watch('out-of-memory', `allocating a buffer of ${bytes} bytes`);
    return buf;
  }

  /** Bytes per element on the GPU: 4 for every dtype (bool is u32), float32 2 in f16 mode. */
  bytesPer(dtype: DType): number {
    return this.f16 && dtype === 'float32' ? 2 : 4;
  }

  /** A buffer for `elements` values of `dtype`; `forCpuWrite` when queue.writeBuffer will fill it. */
  acquire(elements: number, dtype: DType, forCpuWrite = false): GpuBuffer {
    this.assertAlive('allocate');
    return this.pool.acquire(elements * this.bytesPer(dtype), this.submittedBatch, forCpuWrite);
  }

  write(buf: GpuBuffer, data: ArrayBufferView): void {
    if (data.byteLength > 0) this.device.queue.writeBuffer(buf.buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  }

  private pipeline(k: KernelSource): GPUComputePipeline {
    let p = this.pipelines.get(k.key);
    if (!p) {
      this.device.pushErrorScope('validation');
      const module = this.device.createShaderModule({ code: this.f16 ? toF16Storage(k.wgsl()) : k.wgsl(), label: k.key });
      p = this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: k.key });
      this.watch('validation', `compiling kernel '${k.key}'`);
      this.pipelines.set(k.key, p);
      this.stats.pipelines++;
    }
    return p;
  }

  /** Workgroup counts for `threads` one-dimensional threads, folded into y past the 65535 limit. */
  static grid(threads: number, perGroup = WG): [number, number] {
    const groups = Math.ceil(threads / perGroup);
    const x = Math.min(groups, MAX_GROUPS_PER_DIM);
    return [x, Math.ceil(groups / x)];
  }

  /**
   * Records one dispatch. Binding 0 is the parameter block, then `buffers` in order
   * (the kernel declares inputs before outputs). Empty grids record nothing.
   */
  dispatch(k: KernelSource, buffers: readonly GpuBuffer[], params: ArrayLike<number>, groups: readonly number[]): void {
    this.assertAlive(k.key);
    const [gx, gy = 1, gz = 1] = groups;
    if (gx === 0 || gy === 0 || gz === 0) return;
    if (gy > MAX_GROUPS_PER_DIM || gz > MAX_GROUPS_PER_DIM) {
      throw new Error(`webgpu: ${k.key}: grid ${gx}×${gy}×${gz} exceeds ${MAX_GROUPS_PER_DIM} workgroups per dimension`);
    }
    if (params.length > PARAM_WORDS) {
      throw new Error(`webgpu: ${k.key}: ${params.length} parameters exceed the ${PARAM_WORDS}-word block (rank too high)`);
    }
    if (this.slot === DISPATCHES_PER_BATCH) this.flush();
    this.noteDispatchWithoutTurn(k.key);
    const pipeline = this.pipeline(k);
    const base = (this.slot * PARAM_SLOT_BYTES) / 4;
    for (let i = 0; i < params.length; i++) this.arenaWords[base + i] = params[i];
    const entries: GPUBindGroupEntry[] = [
      { binding: 0, resource: { buffer: this.arena, offset: this.slot * PARAM_SLOT_BYTES, size: PARAM_SLOT_BYTES } },
    ];
    for (let i = 0; i < buffers.length; i++) {
      buffers[i].lastBatch = this.batch;
      entries.push({ binding: i + 1, resource: { buffer: buffers[i].buffer } });
    }
    let layout = this.layouts.get(pipeline);
    if (!layout) {
      layout = pipeline.getBindGroupLayout(0);
      this.layouts.set(pipeline, layout);
    }
    const bindGroup = this.device.createBindGroup({ layout, entries });
    this.slot++;
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    if (!this.pass) this.pass = this.encoder.beginComputePass();
    this.pass.setPipeline(pipeline);
    this.pass.setBindGroup(0, bindGroup);
    this.pass.dispatchWorkgroups(gx, gy, gz);
    this.stats.dispatches++;
  }

  private commandEncoder(): GPUCommandEncoder {
    if (this.pass) {
      this.pass.end();
      this.pass = undefined;
    }
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    return this.encoder;
  }

  /**
   * Dawn for Node frees bind groups and command buffers only from tasks the event loop runs
   * (N-API finalizers and device ticks are scheduled with setImmediate), so a loop that never
   * yields keeps one bind group per kernel, ~5 KB each, whatever core releases; and past
   * 65,536 of them lavapipe's descriptor-pool allocation segfaults inside Dawn. So, on Node:
   * a warning at DISPATCHES_WITHOUT_TURN_WARNING, an error before the crash.
   */
  private noteDispatchWithoutTurn(key: string): void {
    if (typeof setImmediate !== 'function') return;
    if (this.sinceTurn++ === 0) {
      setImmediate(() => {
        this.sinceTurn = 0;
      });
    } else if (this.sinceTurn === DISPATCHES_WITHOUT_TURN_WARNING && !this.warnedNoTurn) {
      this.warnedNoTurn = true;
      console.warn(
        `webgpu: ${DISPATCHES_WITHOUT_TURN_WARNING} kernels ran without the event loop turning. Dawn frees its bind groups ` +
          'and command buffers only between tasks, so memory grows (~5 KB a kernel) until the loop yields: ' +
          'await something now and then, e.g. `await loss.data()` every 100 steps.',
      );
    } else if (this.sinceTurn > DISPATCHES_WITHOUT_TURN_LIMIT) {
      this.sinceTurn--;
      throw new Error(
        `webgpu: ${key}: ${DISPATCHES_WITHOUT_TURN_LIMIT} kernels ran without the event loop turning; Dawn keeps every ` +
          "kernel's bind group until it turns and crashes past ~65,000 of them. Let the loop yield now and then " +
          '(e.g. `await loss.data()` every 100 steps, or `for await` over the DataLoader)',
      );
    }
  }

  /** Submits the batch being recorded, if any. */
  flush(): void {
    if (!this.encoder) return;
    const encoder = this.commandEncoder();
    // The queue orders this write after the previous batch's submit, so one arena serves every batch.
    if (this.slot > 0) this.device.queue.writeBuffer(this.arena, 0, this.arenaWords.buffer, 0, this.slot * PARAM_SLOT_BYTES);
    // A loop that never reads leaves every scope's promise pending (they settle only when the
    // event loop turns); past a bound, errors reach the 'uncapturederror' listener instead.
    const scoped = this.pendingScopes.length < MAX_PENDING_SCOPES;
    if (scoped) this.device.pushErrorScope('validation');
    this.device.queue.submit([encoder.finish()]);
    this.stats.submits++;
    if (scoped) this.watch('validation', 'running a batch of kernels');
    this.encoder = undefined;
    this.slot = 0;
    this.submittedBatch = this.batch;
    this.batch++;
  }

  private async settleScopes(op: string): Promise<void> {
    const scopes = this.pendingScopes.splice(0);
    await Promise.all(scopes);
    this.throwRecorded(op);
  }

  /** Copies `bytes` of `buf` to the CPU once every queued kernel that writes it has run. */
  async read(buf: GpuBuffer, bytes: number): Promise<ArrayBuffer> {
    this.assertAlive('read');
    const staging = this.staging.acquire(bytes);
    this.commandEncoder().copyBufferToBuffer(buf.buffer, 0, staging, 0, bytes);
    this.flush();
    try {
      await staging.mapAsync(1 /* GPUMapMode.READ */, 0, bytes);
    } catch (e) {
      this.assertAlive('read');
      await this.settleScopes('read');
      throw new Error(`webgpu: read: mapping the result failed: ${(e as Error).message}`);
    }
    const out = staging.getMappedRange(0, bytes).slice(0);
    staging.unmap();
    this.staging.release(staging);
    await this.settleScopes('read');
    return out;
  }

  /**
   * `read` that blocks until the copy is mapped (Dawn for Node only, see dawn-events.ts). GPU errors
   * whose scopes have not settled yet are reported by the next asynchronous read or sync.
   */
  readSync(buf: GpuBuffer, bytes: number): ArrayBuffer {
    this.assertAlive('read');
    this.throwRecorded('read');
    const staging = this.staging.acquire(bytes);
    this.commandEncoder().copyBufferToBuffer(buf.buffer, 0, staging, 0, bytes);
    this.flush();
    // A failed mapping leaves the buffer unmapped, checked below; the rejection itself carries nothing more.
    staging.mapAsync(1 /* GPUMapMode.READ */, 0, bytes).catch(() => undefined);
    pumpUntil(() => staging.mapState !== 'pending', 'read');
    if (staging.mapState !== 'mapped') {
      this.assertAlive('read');
      this.throwRecorded('read');
      throw new Error('webgpu: read: mapping the result failed');
    }
    const out = staging.getMappedRange(0, bytes).slice(0);
    staging.unmap();
    this.staging.release(staging);
    this.throwRecorded('read');
    return out;
  }

  async sync(): Promise<void> {
    this.assertAlive('sync');
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    await this.settleScopes('sync');
  }

  destroy(): void {
    this.pool.trim();
    this.device.destroy();
  }
}
