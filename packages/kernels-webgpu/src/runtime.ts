import type { DType } from '@mge/core';
import { Arena } from './arena.js';
import { BufferPool, type GpuBuffer, StagingPool, USAGE } from './buffer-pool.js';
import { canPump, pollDawn, pumpStats, pumpUntil, type WaitEstimate } from './dawn-events.js';
import { elementwiseMain, PARAM_SLOT_BYTES, PARAM_WORDS, PARAMS, storage, toF16Storage, WG } from './wgsl.js';

/** New bind groups in one task (no turn of the event loop) before Node users are warned that Dawn's memory grows. */
const BIND_GROUPS_WITHOUT_TURN_WARNING = 20_000;
/** New bind groups in one task before an error: 65,536 live bind groups crash Dawn on lavapipe. */
const BIND_GROUPS_WITHOUT_TURN_LIMIT = 60_000;
/** Storage bindings with dynamic offsets asked of the device; kernels with more bind per dispatch. */
export const WANTED_DYNAMIC_STORAGE_BINDINGS = 8;

/** Error-scope promises left pending (see flush) before batches run without a scope of their own. */
const MAX_PENDING_SCOPES = 64;

/** Submitted batches the GPU may still be running before a submit waits until one is left (Node only, see GpuRuntime.nextFence). */
const MAX_BATCHES_IN_FLIGHT = 4;

/** The most dispatches a replay's single command buffer holds (its parameter block is this many slots). */
const MAX_REPLAY_SLOTS = 2048;

/** Dispatches recorded before a submit; more would only delay the GPU's start. */
export const DISPATCHES_PER_BATCH = 128;
const MAX_GROUPS_PER_DIM = 65535;

/** A compute kernel: a cache key (op + rank + dtype …) and the WGSL made on first use. */
export interface KernelSource {
  key: string;
  wgsl: () => string;
}

/** Copies P[0] 32-bit words: a second binding of an operand given twice to one kernel. */
const COPY_WORDS: KernelSource = {
  key: 'copy-words',
  wgsl: () => `${PARAMS}
${storage(1, 'Src', 'u32')}
${storage(2, 'Dst', 'u32', true)}
${elementwiseMain('  Dst[i] = Src[i];')}`,
};

/** Reinterprets a float32 as its bit pattern, for float parameters in the u32 parameter block. */
const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);
export function f32Bits(x: number): number {
  f32Scratch[0] = x;
  return u32Scratch[0];
}

/**
 * Owns the device: pipelines, the tensor arena and its pool, the parameter block and the command
 * batch. Every dispatch is recorded into one open compute pass; the batch is
 * submitted when it holds DISPATCHES_PER_BATCH dispatches, on read(), or on sync().
 */
/** Counters for tests and benchmarks: how much work reached the GPU and how often. */
export interface RuntimeStats {
  dispatches: number;
  submits: number;
  pipelines: number;
  buffersCreated: number;
  /** Bind groups made (cached ones count once). */
  bindGroups: number;
}

export class GpuRuntime {
  /** Synchronous waits on the GPU and their polls (Node). */
  readonly pumpStats = pumpStats;
  readonly stats: RuntimeStats = { dispatches: 0, submits: 0, pipelines: 0, buffersCreated: 0, bindGroups: 0 };
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  /** Explicit layouts by storage-binding count (shared by every kernel with that count), and their pipeline layouts. */
  private readonly layouts = new Map<number, { group: GPUBindGroupLayout; pipeline: GPUPipelineLayout; dynamic: boolean }>();
  /** Bind groups by layout, chunks and windows of their operands. */
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  private readonly maxDynamicStorage: number;
  /** Cached bind groups kept, the least recently used dropped first (a bound for shapes that never repeat; tests lower it). */
  bindGroupCacheLimit = 4096;
  readonly arena: Arena;
  readonly pool: BufferPool;
  private readonly staging: StagingPool;
  /** One uniform buffer holds the parameters of every dispatch of a batch, one slot each. */
  private params: GPUBuffer;
  private arenaWords = new Int32Array((DISPATCHES_PER_BATCH * PARAM_SLOT_BYTES) / 4);
  /** Dispatches a batch holds before it is submitted: DISPATCHES_PER_BATCH, more for a replay (see beginReplay). */
  private slots = DISPATCHES_PER_BATCH;
  private slot = 0;
  /** Inside beginReplay/endReplay: the dispatches recorded so far, to size the next replay's batch. */
  private replayDispatches = -1;
  private replaySlots = 0;
  private encoder: GPUCommandEncoder | undefined;
  private pass: GPUComputePassEncoder | undefined;
  /** Index of the batch being recorded; buffers it touches carry this number. */
  private batch = 0;
  private submittedBatch = -1;
  private lostMessage: string | undefined;
  private readonly errors: string[] = [];
  /**
   * Node (Dawn): a batch's last command copies 4 bytes into a fence buffer that is then mapped;
   * the mapping settles once the GPU has run the batch. A loop that never yields records work
   * much faster than a software GPU runs it (lavapipe: 60 LeNet steps queued in 6 s took 90 s to
   * run), and every queued batch keeps its commands and upload staging: past MAX_BATCHES_IN_FLIGHT
   * the next submit waits for the oldest batch, so memory stays bounded.
   */
  private readonly throttle = canPump();
  private readonly inFlight: GPUBuffer[] = [];
  /** Dispatches of each batch in `inFlight`: how much work a synchronous read waits for. */
  private readonly inFlightDispatches: number[] = [];
  /** How long recent throttling waits and synchronous reads took: the next one sleeps through most of it before polling. */
  private readonly throttleWait: WaitEstimate = { ms: 0 };
  private readonly readWait: WaitEstimate = { ms: 0 };
  private readonly freeFences: GPUBuffer[] = [];
  private readonly pendingScopes: Promise<void>[] = [];
  /** Bind groups made since the event loop last turned (Node only; see noteBindGroupWithoutTurn). */
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
    this.maxDynamicStorage = device.limits.maxDynamicStorageBuffersPerPipelineLayout ?? 4;
    this.arena = new Arena(
      (bytes) => create(bytes, USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST),
      Math.max(16, device.limits.minStorageBufferOffsetAlignment ?? 256),
      this.maxBufferBytes,
    );
    this.pool = new BufferPool((bytes) => this.arena.carve(bytes));
    this.staging = new StagingPool(create);
    this.params = device.createBuffer({ size: this.arenaWords.byteLength, usage: USAGE.UNIFORM | USAGE.COPY_DST | USAGE.COPY_SRC });
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
    const bytes = elements * this.bytesPer(dtype);
    const planned = this.nextPlanned;
    if (planned !== null) {
      // a replay's planned output (plan.ts): taken by the next acquire if it fits, else dropped
      this.nextPlanned = null;
      if (!forCpuWrite && planned.bytes === bytes) return planned;
    }
    return this.pool.acquire(bytes, this.submittedBatch, forCpuWrite);
  }
  /** The buffer the next `acquire` returns (a replay's buffer plan: plan.ts). */
  nextPlanned: GpuBuffer | null = null;

  write(buf: GpuBuffer, data: ArrayBufferView): void {
    if (data.byteLength > 0) this.device.queue.writeBuffer(buf.buffer, buf.offset, data.buffer, data.byteOffset, data.byteLength);
  }

  /**
   * The layout of every kernel with `n` storage bindings: the parameter slot and each operand
   * bound with a dynamic offset, so bind groups name chunks, not tensors. Past the device's
   * dynamic-binding limit, operands are bound at fixed offsets (a bind group per dispatch).
   */
  private layout(n: number): { group: GPUBindGroupLayout; pipeline: GPUPipelineLayout; dynamic: boolean } {
    let l = this.layouts.get(n);
    if (!l) {
      const dynamic = n <= this.maxDynamicStorage;
      const COMPUTE = 4; // GPUShaderStage.COMPUTE
      const entries: GPUBindGroupLayoutEntry[] = [
        { binding: 0, visibility: COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true, minBindingSize: PARAM_SLOT_BYTES } },
      ];
      for (let i = 1; i <= n; i++)
        entries.push({ binding: i, visibility: COMPUTE, buffer: { type: 'storage', hasDynamicOffset: dynamic } });
      const group = this.device.createBindGroupLayout({ entries });
      l = { group, pipeline: this.device.createPipelineLayout({ bindGroupLayouts: [group] }), dynamic };
      this.layouts.set(n, l);
    }
    return l;
  }

  private pipeline(k: KernelSource, n: number): GPUComputePipeline {
    const key = `${k.key}|${n}`;
    let p = this.pipelines.get(key);
    if (!p) {
      this.device.pushErrorScope('validation');
      const module = this.device.createShaderModule({ code: this.f16 ? toF16Storage(k.wgsl()) : k.wgsl(), label: k.key });
      p = this.device.createComputePipeline({ layout: this.layout(n).pipeline, compute: { module, entryPoint: 'main' }, label: k.key });
      this.watch('validation', `compiling kernel '${k.key}'`);
      this.pipelines.set(key, p);
      this.stats.pipelines++;
    }
    return p;
  }

  /**
   * The bind group for `buffers`: cached by their chunks and windows when the layout has dynamic
   * offsets (the offsets go to setBindGroup), made for this dispatch otherwise.
   */
  private bindGroup(buffers: readonly GpuBuffer[], key: string): GPUBindGroup {
    const l = this.layout(buffers.length);
    let cacheKey = '';
    const cached = l.dynamic && this.bindGroupCacheLimit > 0;
    if (cached) {
      cacheKey = `${buffers.length}`;
      for (const b of buffers) cacheKey += `|${b.chunk}:${b.capacity}`;
      const hit = this.bindGroups.get(cacheKey);
      if (hit) {
        // Least recently used last: the Map's order is the eviction order.
        this.bindGroups.delete(cacheKey);
        this.bindGroups.set(cacheKey, hit);
        return hit;
      }
      // Only the least recently used goes: clearing the whole cache made every kernel of the next
      // step make its bind group again, and Dawn for Node frees the dropped ones only when the loop turns.
      if (this.bindGroups.size >= this.bindGroupCacheLimit) this.bindGroups.delete(this.bindGroups.keys().next().value as string);
    }
    this.noteBindGroupWithoutTurn(key);
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: this.params, offset: 0, size: PARAM_SLOT_BYTES } }];
    for (let i = 0; i < buffers.length; i++) {
      const b = buffers[i];
      entries.push({ binding: i + 1, resource: { buffer: b.buffer, offset: l.dynamic ? 0 : b.offset, size: b.capacity } });
    }
    const group = this.device.createBindGroup({ layout: l.group, entries });
    this.stats.bindGroups++;
    if (cached) this.bindGroups.set(cacheKey, group);
    return group;
  }

  /**
   * WebGPU refuses two writable bindings over the same bytes in one dispatch, and every binding
   * is writable here (see storage()): an operand given twice (x·x) is bound once as itself and
   * then as a copy.
   */
  private distinct(buffers: readonly GpuBuffer[]): { buffers: readonly GpuBuffer[]; copies: GpuBuffer[] } {
    let out: GpuBuffer[] | undefined;
    const copies: GpuBuffer[] = [];
    for (let i = 1; i < buffers.length; i++) {
      const b = buffers[i];
      if (buffers.indexOf(b) === i) continue;
      out ??= [...buffers];
      const copy = this.pool.acquire(b.capacity, this.submittedBatch, false);
      // Not copyBufferToBuffer: both blocks may lie in one chunk, and a copy within a buffer is refused.
      this.dispatch(COPY_WORDS, [b, copy], [b.capacity / 4], GpuRuntime.grid(b.capacity / 4));
      out[i] = copy;
      copies.push(copy);
    }
    return { buffers: out ?? buffers, copies };
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
    if (this.slot === (this.replayDispatches >= 0 ? this.slots : DISPATCHES_PER_BATCH)) this.flush();
    if (this.replayDispatches >= 0) this.replayDispatches++;
    const pipeline = this.pipeline(k, buffers.length);
    const { buffers: bound, copies } = this.distinct(buffers);
    const base = (this.slot * PARAM_SLOT_BYTES) / 4;
    for (let i = 0; i < params.length; i++) this.arenaWords[base + i] = params[i];
    const bindGroup = this.bindGroup(bound, k.key);
    const offsets = [this.slot * PARAM_SLOT_BYTES];
    const dynamic = this.layout(bound.length).dynamic;
    for (const b of bound) {
      b.lastBatch = this.batch;
      if (dynamic) offsets.push(b.offset);
    }
    this.slot++;
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    if (!this.pass) this.pass = this.encoder.beginComputePass();
    this.pass.setPipeline(pipeline);
    this.pass.setBindGroup(0, bindGroup, offsets);
    this.pass.dispatchWorkgroups(gx, gy, gz);
    this.stats.dispatches++;
    for (const c of copies) this.pool.release(c);
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
   * Dawn for Node frees bind groups only from tasks the event loop runs (N-API finalizers are
   * scheduled with setImmediate), and past 65,536 live ones lavapipe's descriptor-pool allocation
   * segfaults inside Dawn. Cached bind groups make a repeated step create none; shapes that
   * never repeat still do. So, on Node: a warning at BIND_GROUPS_WITHOUT_TURN_WARNING new bind
   * groups in one task, an error before the crash.
   */
  private noteBindGroupWithoutTurn(key: string): void {
    if (typeof setImmediate !== 'function') return;
    if (this.sinceTurn++ === 0) {
      setImmediate(() => {
        this.sinceTurn = 0;
      });
    } else if (this.sinceTurn === BIND_GROUPS_WITHOUT_TURN_WARNING && !this.warnedNoTurn) {
      this.warnedNoTurn = true;
      console.warn(
        `webgpu: ${BIND_GROUPS_WITHOUT_TURN_WARNING} bind groups were made without the event loop turning (operand shapes ` +
          'that keep changing). Dawn frees them only between tasks, so memory grows (~5 KB each) until the loop yields: ' +
          'await something now and then, e.g. `await loss.data()` every 100 steps.',
      );
    } else if (this.sinceTurn > BIND_GROUPS_WITHOUT_TURN_LIMIT) {
      this.sinceTurn--;
      throw new Error(
        `webgpu: ${key}: ${BIND_GROUPS_WITHOUT_TURN_LIMIT} bind groups were made without the event loop turning; Dawn keeps ` +
          'each until it turns and crashes past ~65,000 of them. Let the loop yield now and then ' +
          '(e.g. `await loss.data()` every 100 steps, or `for await` over the DataLoader)',
      );
    }
  }

  /** Submits the batch being recorded, if any. */
  flush(): void {
    if (!this.encoder) return;
    const encoder = this.commandEncoder();
    // The queue orders this write after the previous batch's submit, so one arena serves every batch.
    if (this.slot > 0) this.device.queue.writeBuffer(this.params, 0, this.arenaWords.buffer, 0, this.slot * PARAM_SLOT_BYTES);
    // A loop that never reads leaves every scope's promise pending (they settle only when the
    // event loop turns); past a bound, errors reach the 'uncapturederror' listener instead.
    const scoped = this.pendingScopes.length < MAX_PENDING_SCOPES;
    const fence = this.throttle ? this.nextFence(encoder) : undefined;
    if (scoped) this.device.pushErrorScope('validation');
    this.device.queue.submit([encoder.finish()]);
    this.stats.submits++;
    if (scoped) this.watch('validation', 'running a batch of kernels');
    this.encoder = undefined;
    const dispatches = this.slot;
    this.slot = 0;
    this.submittedBatch = this.batch;
    this.batch++;
    if (fence) {
      this.inFlight.push(fence);
      this.inFlightDispatches.push(Math.max(1, dispatches));
      // Its settling is observed through mapState; the rejection of a lost device carries nothing more.
      fence.mapAsync(1 /* GPUMapMode.READ */, 0, 4).catch(() => undefined);
    }
  }

  /**
   * A fence buffer for the batch `encoder` ends. Once MAX_BATCHES_IN_FLIGHT batches are queued,
   * waits until one is left: every poll of a synchronous wait leaves a native callback behind
   * until the event loop turns (see dawn-events.ts), so waits are rare (one per
   * MAX_BATCHES_IN_FLIGHT − 1 submits) and start by sleeping through most of the time the
   * previous waits took.
   */
  private nextFence(encoder: GPUCommandEncoder): GPUBuffer {
    if (this.inFlight.length >= MAX_BATCHES_IN_FLIGHT) {
      const target = this.inFlight[this.inFlight.length - 2];
      // A lost device rejects the mapping, which ends the wait too; the next operation reports the loss.
      pumpUntil(() => target.mapState !== 'pending', 'waiting for queued kernels', undefined, this.throttleWait);
      this.retireFences();
    }
    const fence = this.freeFences.pop() ?? this.device.createBuffer({ size: 4, usage: USAGE.MAP_READ | USAGE.COPY_DST });
    encoder.copyBufferToBuffer(this.params, 0, fence, 0, 4);
    return fence;
  }

  /** Takes the fences of finished batches off `inFlight` (batches finish in order) for reuse. */
  private retireFences(): void {
    while (this.inFlight.length > 0 && this.inFlight[0].mapState !== 'pending') {
      const done = this.inFlight.shift() as GPUBuffer;
      this.inFlightDispatches.shift();
      if (done.mapState === 'mapped') done.unmap();
      this.freeFences.push(done);
    }
  }

  /**
   * A replay (jit.trace) starts: its kernels go into one command buffer, submitted once by
   * endReplay. The parameter block is sized from the previous replay's dispatch count (the first
   * replay of a program still submits every DISPATCHES_PER_BATCH); bind groups, cached by chunk
   * and size class, are the ones earlier replays made, since the pool hands out the same blocks.
   */
  beginReplay(): void {
    this.flush();
    if (this.replaySlots > this.slots) this.resizeParams(this.replaySlots);
    this.replayDispatches = 0;
  }

  endReplay(): void {
    if (this.replayDispatches < 0) return;
    // room for the largest replay seen, within a bound (a uniform buffer of 2,048 slots is 1 MiB)
    this.replaySlots = Math.min(Math.max(this.replaySlots, this.replayDispatches), MAX_REPLAY_SLOTS);
    this.replayDispatches = -1;
    this.flush();
  }

  /** A parameter block of `slots` slots: the bind groups naming the old one are dropped with it. */
  private resizeParams(slots: number): void {
    this.params.destroy();
    this.params = this.device.createBuffer({ size: slots * PARAM_SLOT_BYTES, usage: USAGE.UNIFORM | USAGE.COPY_DST | USAGE.COPY_SRC });
    this.arenaWords = new Int32Array((slots * PARAM_SLOT_BYTES) / 4);
    this.slots = slots;
    this.bindGroups.clear();
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
    this.commandEncoder().copyBufferToBuffer(buf.buffer, buf.offset, staging, 0, bytes);
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
    this.commandEncoder().copyBufferToBuffer(buf.buffer, buf.offset, staging, 0, bytes);
    this.flush();
    // A failed mapping leaves the buffer unmapped, checked below; the rejection itself carries nothing more.
    staging.mapAsync(1 /* GPUMapMode.READ */, 0, bytes).catch(() => undefined);
    // A read waits for every queued batch, so its expected time is per dispatch still queued
    // (after one poll, so that batches finished while nothing polled do not count): a small
    // read after a long step must not sleep as long as the step.
    pollDawn();
    this.retireFences();
    let queued = 0;
    for (const d of this.inFlightDispatches) queued += d;
    pumpUntil(() => staging.mapState !== 'pending', 'read', undefined, this.readWait, Math.max(1, queued));
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
    this.arena.destroy();
    this.device.destroy();
  }
}
