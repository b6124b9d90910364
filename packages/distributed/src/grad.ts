import { type GradCallback, type GradManager, getBackwardingGradManager, type Tensor, Tensor as TensorClass, tensor } from '@mge/core';
import { allGather, broadcast } from './functional.js';
import { commOf, Group } from './group.js';
import { loadMpi } from './native.js';
import { getWorldSize, requireWorld } from './world.js';

export interface AllreduceCbOptions {
  /**
   * Gradients are packed into buckets of about this many bytes (default 4 MiB; MegEngine and
   * PyTorch DDP use a few MB) and each bucket is all-reduced as one message. A gradient larger
   * than the bucket gets a bucket of its own. 0: one message per gradient.
   */
  bucketBytes?: number;
  /**
   * Start a bucket's all-reduce (MPI_Iallreduce) as soon as it is full, while backward computes
   * the gradients of the earlier layers (default true). false: every bucket starts after backward
   * (the benchmark's baseline for the overlap).
   */
  overlap?: boolean;
}

interface Member {
  grad: Tensor;
  offset: number;
  size: number;
}

interface Bucket {
  members: Member[];
  size: number;
  buf?: Float32Array;
  /** buf is the gradient's own buffer (a gradient that fills a bucket alone): reduced in place, no copy */
  direct?: boolean;
  request?: number;
}

const DEFAULT_BUCKET_BYTES = 4 << 20;

/** What the callback did, summed over every backward since it was made (the benchmark reads it). */
export interface AllreduceStats {
  /** backward passes flushed */
  steps: number;
  /** all-reduce messages (buckets) */
  buckets: number;
  /** buckets whose all-reduce started while backward was still running */
  startedDuringBackward: number;
  /** bytes all-reduced per rank */
  bytes: number;
  /** buckets all-reduced in place in a gradient's own buffer, without a copy */
  inPlace: number;
  /** milliseconds spent at the end of backward waiting for the all-reduces (the communication not hidden by backward) */
  waitMs: number;
}

export type AllreduceCallback = GradCallback & { readonly stats: AllreduceStats };

/**
 * MegEngine's make_allreduce_cb: all-reduces every gradient across ranks before it is added to
 * `.grad`. Use it as `gm.attach(model.parameters(), { callbacks: [makeAllreduceCb('mean')] })`.
 * 'mean' makes N ranks with per-rank batch B step like one process on a batch of N·B when the
 * loss is a per-rank mean.
 *
 * GradManager calls it for each parameter as soon as that gradient is final (the last layer's
 * first). The gradient is copied into the open bucket; a full bucket starts its all-reduce at
 * once (MPI_Iallreduce, in place on the bucket), and every later call lets MPI progress the
 * pending ones. At the end of backward the open bucket is started, all are waited for, and each
 * gradient takes its reduced slice back, into its own buffer. A gradient as large as a bucket is
 * all-reduced in place in its own buffer, without any copy (on cpu and js, when the buffer is
 * the gradient's alone). Buckets fill in the order
 * gradients become ready, which is the same on every rank because every rank runs the same
 * model, so the bucket boundaries agree without any exchange.
 */
export function makeAllreduceCb(reduceMethod: 'sum' | 'mean' = 'mean', group?: Group, options: AllreduceCbOptions = {}): AllreduceCallback {
  if (reduceMethod !== 'sum' && reduceMethod !== 'mean') {
    throw new TypeError(`makeAllreduceCb: argument 'reduceMethod' must be 'sum' or 'mean', got ${String(reduceMethod)}`);
  }
  if (group !== undefined && !(group instanceof Group)) {
    throw new TypeError(`makeAllreduceCb: argument 'group' must be a Group (newGroup) or undefined, got ${String(group)}`);
  }
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`makeAllreduceCb: argument 'options' must be an object, got ${String(options)}`);
  }
  const bucketBytes = options.bucketBytes ?? DEFAULT_BUCKET_BYTES;
  if (typeof bucketBytes !== 'number' || !Number.isInteger(bucketBytes) || bucketBytes < 0) {
    throw new TypeError(`makeAllreduceCb: option 'bucketBytes' must be a non-negative integer, got ${String(options.bucketBytes)}`);
  }
  const overlap = options.overlap ?? true;
  if (typeof overlap !== 'boolean')
    throw new TypeError(`makeAllreduceCb: option 'overlap' must be a boolean, got ${String(options.overlap)}`);
  const capacity = Math.max(1, Math.floor(bucketBytes / 4));

  const stats: AllreduceStats = { steps: 0, buckets: 0, startedDuringBackward: 0, bytes: 0, inPlace: 0, waitMs: 0 };
  let flushing = false;
  const registered = new WeakSet<GradManager>();
  let open: Bucket = { members: [], size: 0 };
  let started: Bucket[] = [];
  // bucket buffers by position in the step: the buckets are the same every step, so reused
  const buffers: Float32Array[] = [];

  const start = (b: Bucket) => {
    if (b.members.length === 0) return;
    const i = started.length;
    const own = b.members.length === 1 && b.size >= capacity ? ownFloats(b.members[0].grad) : null;
    let buf: Float32Array;
    if (own) {
      buf = own;
      b.direct = true;
      stats.inPlace++;
    } else {
      if (buffers[i]?.length !== b.size) buffers[i] = new Float32Array(new ArrayBuffer(b.size * 4));
      buf = buffers[i];
      for (const m of b.members) buf.set(hostFloats(m.grad), m.offset);
    }
    b.buf = buf;
    started.push(b);
    stats.buckets++;
    stats.bytes += b.size * 4;
    if (overlap && !flushing) stats.startedDuringBackward++;
    if (overlap) b.request = loadMpi('makeAllreduceCb').iallReduce(buf, 0, commOf('makeAllreduceCb', group).handle);
  };

  const flush = () => {
    flushing = true;
    try {
      start(open);
    } finally {
      flushing = false;
    }
    open = { members: [], size: 0 };
    const buckets = started;
    started = [];
    if (buckets.length === 0) return;
    stats.steps++;
    const t0 = performance.now();
    const mpi = loadMpi('makeAllreduceCb');
    const { size, handle } = commOf('makeAllreduceCb', group);
    const scale = reduceMethod === 'mean' ? 1 / size : 1;
    for (const b of buckets) {
      const buf = b.buf as Float32Array;
      if (b.request !== undefined) mpi.wait(b.request);
      else if (!overlap) mpi.allReduce(buf, 0, handle);
      if (scale !== 1) for (let k = 0; k < buf.length; k++) buf[k] *= scale;
      if (b.direct) continue;
      for (const m of b.members) {
        const slice = buf.subarray(m.offset, m.offset + m.size);
        const own = ownFloats(m.grad);
        if (own) {
          own.set(slice);
          continue;
        }
        const reduced = tensor(slice, { shape: m.grad.shape, device: m.grad.device });
        m.grad._reset(reduced);
        reduced.dispose();
      }
    }
    stats.waitMs += performance.now() - t0;
  };

  const callback = (_param: Tensor, grad: Tensor): Tensor => {
    // a plain process (not launched by MPI) is a world of one and never loads MPI
    const size = group === undefined ? getWorldSize() : commOf('makeAllreduceCb', group).size;
    if (size === 1) return grad;
    const gm = getBackwardingGradManager();
    if (!gm) throw new Error('makeAllreduceCb: the callback must be called by GradManager.backward (pass it to gm.attach)');
    if (!registered.has(gm)) {
      gm.registerAfterBackwardCallback(flush);
      registered.add(gm);
    }
    if (open.size > 0 && open.size + grad.size > capacity) {
      start(open);
      open = { members: [], size: 0 };
    }
    open.members.push({ grad, offset: open.size, size: grad.size });
    open.size += grad.size;
    if (open.size >= capacity) {
      start(open);
      open = { members: [], size: 0 };
    }
    // Open MPI moves a non-blocking collective forward only inside an MPI call
    if (overlap) {
      const mpi = loadMpi('makeAllreduceCb');
      for (const b of started) if (b.request !== undefined && mpi.test(b.request)) b.request = undefined;
    }
    return grad;
  };
  return Object.assign(callback, { stats });
}

/**
 * The gradient's own buffer, when the all-reduce may read and write it in place: its device keeps
 * values in a Float32Array (cpu, js) and no other tensor shares it (a gradient rule may pass one
 * buffer to two inputs, or return a tensor it also keeps).
 */
function ownFloats(t: Tensor): Float32Array | null {
  const storage = (t as unknown as { storage: { refs: number } }).storage;
  if (storage.refs !== 1) return null;
  const { buf } = t.ref('makeAllreduceCb');
  if (!(buf instanceof Float32Array)) return null;
  return buf.length === t.size ? buf : buf.subarray(0, t.size);
}

/** A gradient's values without a copy when its device keeps them in a Float32Array (cpu, js). */
function hostFloats(t: Tensor): Float32Array {
  const { buf } = t.ref('makeAllreduceCb');
  if (buf instanceof Float32Array) return buf.length === t.size ? buf : buf.subarray(0, t.size);
  return t.dataSync() as Float32Array;
}

/**
 * Copies rank 0's values into every tensor of `params` on every rank (MegEngine's
 * bcast_list_). First checks that all ranks hold the same number of tensors with the same
 * shapes, so a mismatched model fails with a clear error instead of corrupting memory.
 */
export function bcastListToRank0(params: Iterable<Tensor>, op = 'bcastListToRank0'): void {
  if (params === null || params === undefined || typeof (params as Iterable<Tensor>)[Symbol.iterator] !== 'function') {
    throw new TypeError(`${op}: argument 'params' must be an iterable of Tensors, got ${String(params)}`);
  }
  const list = [...params];
  for (const p of list) if (!(p instanceof TensorClass)) throw new TypeError(`${op}: every item must be a Tensor, got ${String(p)}`);
  const { rank, size } = requireWorld(op);
  if (size === 1) return;
  // signature: count, then an FNV-1a hash of every shape and dtype
  let h = 0x811c9dc5;
  const mix = (v: number) => {
    h = Math.imul(h ^ v, 0x01000193) >>> 0;
  };
  for (const p of list) {
    mix(p.ndim);
    for (const d of p.shape) mix(d);
    mix(p.dtype === 'float32' ? 1 : p.dtype === 'int32' ? 2 : 3);
  }
  const sig = allGather(tensorOfInts([list.length, h | 0])).dataSync();
  for (let r = 1; r < size; r++) {
    if (sig[2 * r] !== sig[0] || sig[2 * r + 1] !== sig[1]) {
      throw new Error(
        `${op}: the model on rank ${r} differs from rank 0's (${sig[2 * r]} tensors vs ${sig[0]}, or different shapes/dtypes); every rank must build the same model (this is rank ${rank})`,
      );
    }
  }
  for (const p of list) {
    const v = broadcast(p, 0);
    p._reset(v);
    v.dispose();
  }
}

/** Broadcasts a module's parameters and buffers from rank 0 (call once, before training). */
export function broadcastParameters(module: { parameters(): Iterable<Tensor>; buffers?(): Iterable<Tensor> }): void {
  // a Module is callable, so typeof may be 'function'
  if (module === null || (typeof module !== 'object' && typeof module !== 'function') || typeof module.parameters !== 'function') {
    throw new TypeError(`broadcastParameters: argument 'module' must be a Module, got ${module === null ? 'null' : typeof module}`);
  }
  const all = [...module.parameters(), ...(typeof module.buffers === 'function' ? module.buffers() : [])];
  bcastListToRank0(all, 'broadcastParameters');
}

function tensorOfInts(values: number[]): Tensor {
  return tensor(Int32Array.from(values), { dtype: 'int32' });
}
