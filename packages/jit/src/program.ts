import { _trace, type Backend, type DType, getBackend, reshape, type Tensor } from '@mge/core';
import { type FusedStep, lower } from './fuse.js';
import type { KernelStep, Recording, ResetStep, Step } from './recording.js';
import { TraceError } from './recording.js';
import { batchingBackends, inReplay } from './replay-batch.js';

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

interface RunKernel {
  readonly type: 'kernel';
  readonly step: KernelStep;
  readonly backend: Backend;
  readonly fn: (...args: unknown[]) => unknown;
  /** Values whose last reader is this step (or that nobody reads): released right after it. */
  readonly frees: number[];
  /** The output's buffer in the plan (see BufferPlan), or null: the backend allocates it. */
  planned: unknown;
}
interface RunFused {
  readonly type: 'fused';
  readonly step: FusedStep;
  readonly backend: Backend;
  /** The input buffers, filled at each run. */
  readonly ins: unknown[];
  readonly frees: number[];
  planned: unknown;
}
interface RunReset {
  readonly type: 'reset';
  readonly step: ResetStep;
}

/**
 * A recording made runnable: each step calls its backend method directly with argument
 * objects made once, every buffer is given back to its backend right after its last reader
 * (so a backend's reuse pool hands the same memory to the next step, and a step's memory is
 * what its live values need, planned once from the recording), and no autograd, argument
 * check or Tensor is involved until the results are wrapped.
 */
export class Program {
  private readonly run: (RunKernel | RunFused | RunReset)[] = [];
  /** How many fused elementwise loops replace recorded steps (symbolic). */
  readonly fusedSteps: number;
  private readonly bufs: unknown[];
  /** Outside tensors captured as constants: their buffer at trace time, held. */
  private readonly frozen = new Map<number, unknown>();
  /** Backends that take a replay's kernels as one batch (webgpu: one command buffer). */
  private readonly batching: Backend[];
  /** Where each planned intermediate lives; its buffers are made at the first replay. */
  private readonly plan: BufferPlan;
  /** By value id: true while the value's buffer is the plan's (not released to the backend). */
  private readonly inPlan: boolean[];

  constructor(
    readonly recording: Recording,
    /** The values the caller gets back as tensors. */
    readonly outputs: readonly number[],
    /** The shape each output has (a reshape of its value shares the value's buffer). */
    private readonly outShapes: readonly (readonly number[])[],
    /** Outside tensors frozen at their traced values (captureAsConst). */
    readonly captured: boolean,
    readonly symbolic = false,
    /** Inference-only rewrites that depend on the backend (optimizeForInference; see fuse.ts `lower`). */
    readonly inference = false,
  ) {
    const { values } = recording;
    const steps: (Step | FusedStep)[] = lower(recording, outputs, { symbolic, inference });
    this.bufs = new Array(values.length).fill(null);
    this.inPlan = new Array(values.length).fill(false);
    const escapes = new Set<number>(outputs);
    for (const s of steps) if (s.type === 'reset') escapes.add(s.value);
    const last = new Array<number>(values.length).fill(-1);
    steps.forEach((s, i) => {
      if (s.type !== 'reset') for (const v of s.reads) last[v] = i;
    });
    const freesAt: number[][] = steps.map(() => []);
    steps.forEach((s, i) => {
      if (s.type !== 'reset' && values[s.out].kind === 'op' && !escapes.has(s.out)) freesAt[Math.max(last[s.out], i)].push(s.out);
    });
    steps.forEach((s, i) => {
      if (s.type === 'reset') {
        this.run.push({ type: 'reset', step: s });
        return;
      }
      const backend = getBackend(s.device);
      if (s.type === 'fused') {
        this.run.push({ type: 'fused', step: s, backend, ins: new Array(s.reads.length).fill(null), frees: freesAt[i], planned: null });
        return;
      }
      const method = (backend as unknown as Record<string, (...a: unknown[]) => unknown>)[s.method];
      this.run.push({ type: 'kernel', step: s, backend, fn: method.bind(backend), frees: freesAt[i], planned: null });
    });
    this.batching = batchingBackends(this.run.flatMap((r) => (r.type === 'reset' ? [] : [r.backend])));
    this.fusedSteps = steps.filter((s) => s.type === 'fused' || (s.type === 'kernel' && s.method === 'elementwiseProgram')).length;
    // the most bytes of intermediate buffers alive at once: what a backend's pool must keep for
    // a replayed step to take every buffer from it
    const live = new Map<string, number>();
    const peak = new Map<string, number>();
    const bytes = (id: number) => values[id].shape.reduce((a, b) => a * b, 1) * 4;
    steps.forEach((s, i) => {
      if (s.type === 'reset') return;
      const d = s.device;
      live.set(d, (live.get(d) ?? 0) + bytes(s.out));
      peak.set(d, Math.max(peak.get(d) ?? 0, live.get(d) ?? 0));
      for (const f of freesAt[i]) live.set(d, (live.get(d) ?? 0) - bytes(f));
    });
    for (const [d, b] of peak) if (!planned(getBackend(d))) getBackend(d).reserve?.(b);
    this.plan = planBuffers(steps, values, freesAt, (id) => !escapes.has(id) && values[id].kind === 'op');
    if (captured) {
      for (const v of values) {
        if ((v.kind === 'param' || v.kind === 'const') && v.tensor) {
          const s = v.tensor.storage as unknown as { refs: number; buf: unknown };
          s.refs++;
          this.frozen.set(v.id, s.buf);
        }
      }
    }
  }

  /** The buffer an outside value reads now (or its frozen one). */
  constBuf(id: number): unknown {
    const frozen = this.frozen.get(id);
    if (frozen !== undefined) return frozen;
    const v = this.recording.values[id];
    const t = (v.readFrom ?? v.tensor) as Tensor;
    const s = t.storage as unknown as { released: boolean; buf: unknown };
    if (s.released) {
      throw new TraceError(
        `trace: a tensor of shape [${t.shape.join(', ')}] the traced function reads from outside was disposed since it was traced; trace again after replacing it`,
      );
    }
    return s.buf;
  }

  /** How many steps write into planned buffers (0 before the first replay). */
  get plannedSteps(): number {
    let n = 0;
    for (const r of this.run) if (r.type !== 'reset' && r.planned !== null) n++;
    return n;
  }

  /** Bytes of the planned buffers (0 before the first replay, or on backends that do not plan). */
  get plannedBytes(): number {
    return this.plan.made ? this.plan.bytes : 0;
  }

  /** Makes the plan's buffers once and gives each planned step its output view. */
  private makePlan(): void {
    const plan = this.plan;
    plan.made = true;
    const slots = plan.slots.map((s) => s.backend.planBuffer?.(s.dtype, s.length));
    for (const r of this.run) {
      if (r.type === 'reset') continue;
      const a = plan.at.get(r.step.out);
      const slot = a && slots[a.slot];
      if (!a || !slot) continue;
      r.planned = a.length === plan.slots[a.slot].length ? slot : r.backend.planView?.(slot, a.length);
      if (r.planned === undefined) {
        r.planned = null;
        continue;
      }
      this.inPlan[r.step.out] = true;
    }
  }

  /** Runs the steps on the inputs' buffers; returns a tensor for each output value. */
  execute(inputs: readonly Tensor[]): Tensor[] {
    try {
      return inReplay(this.batching, () => this.executeSteps(inputs));
    } catch (e) {
      // a step that threw before taking its planned output must not hand it to the next eager op
      for (const s of this.plan.slots) s.backend.planOutput?.(null);
      throw e;
    }
  }

  private executeSteps(inputs: readonly Tensor[]): Tensor[] {
    const { values, inputs: inputIds } = this.recording;
    const bufs = this.bufs;
    const inPlan = this.inPlan;
    if (!this.plan.made) this.makePlan();
    for (let i = 0; i < inputIds.length; i++) bufs[inputIds[i]] = inputs[i].storage.buf;
    const wrapped = new Map<number, Tensor>();
    const tensorOf = (id: number): Tensor => {
      let t = wrapped.get(id);
      if (!t) {
        const v = values[id];
        t = _trace.wrap(getBackend(v.device), v.device, bufs[id], v.shape, v.dtype);
        wrapped.set(id, t);
      }
      return t;
    };
    for (const r of this.run) {
      if (r.type === 'reset') {
        r.step.target._reset(tensorOf(r.step.value));
        continue;
      }
      if (r.type === 'fused') {
        const { reads, out } = r.step;
        for (let i = 0; i < reads.length; i++) {
          const v = reads[i];
          const kind = values[v].kind;
          r.ins[i] = kind === 'op' || kind === 'input' ? bufs[v] : this.constBuf(v);
        }
        if (r.planned !== null) r.backend.planOutput?.(r.planned);
        bufs[out] = r.step.run(r.ins);
      } else {
        const { refs, reads, out } = r.step;
        for (let i = 0; i < refs.length; i++) {
          const v = reads[i];
          const kind = values[v].kind;
          refs[i].buf = kind === 'op' || kind === 'input' ? bufs[v] : this.constBuf(v);
        }
        if (r.planned !== null) r.backend.planOutput?.(r.planned);
        bufs[out] = r.fn(...r.step.args);
      }
      if (r.planned !== null && bufs[r.step.out] !== r.planned) {
        // the kernel made its output elsewhere (an output of another kind came first): this
        // step leaves the plan, and its buffer is released as any other
        r.backend.planOutput?.(null);
        r.planned = null;
        inPlan[r.step.out] = false;
      }
      for (const f of r.frees) {
        if (!inPlan[f]) r.backend.release(bufs[f]);
        bufs[f] = null;
      }
    }
    const result = this.outputs.map((id, i) => {
      const v = values[id];
      const shape = this.outShapes[i];
      const t = v.kind === 'input' ? inputs[v.input as number] : v.kind === 'op' ? tensorOf(id) : (v.tensor as Tensor);
      return sameShape(t.shape, shape) ? t : reshape(t, shape);
    });
    // the wrappers the results do not hold are dropped (a reshaped result holds its own ref)
    const kept = new Set(result);
    for (const t of wrapped.values()) if (!kept.has(t)) t.dispose();
    for (const r of this.run) {
      if (r.type === 'kernel') for (const ref of r.step.refs) ref.buf = null;
      else if (r.type === 'fused') r.ins.fill(null);
    }
    bufs.fill(null);
    return result;
  }
}

/** Whether a backend can run a replay on planned buffers. */
const planned = (b: Backend) => typeof b.planBuffer === 'function' && typeof b.planOutput === 'function';

/** One buffer of a plan: every value assigned to it is dead before the next one is made. */
interface Slot {
  backend: Backend;
  dtype: DType;
  length: number;
  /** Bytes per element. */
  width: number;
}

interface BufferPlan {
  slots: Slot[];
  /** By value id: its slot and length (a view of that many elements when the slot is longer). */
  at: Map<number, { slot: number; length: number }>;
  bytes: number;
  made: boolean;
}

/**
 * Liveness-based buffer reuse, planned once from the recording. Each intermediate lives from the
 * step that makes it to its last reader; taking the values largest first, each goes to the first
 * slot of its backend and dtype whose values' lifetimes do not overlap its own (the slot was made
 * for a value at least as large), else to a new slot — greedy by size, which comes close to the
 * peak of live intermediates (a backend without `planView` shares a slot only among values of its
 * length). A replay then holds those slots for the program's life and allocates
 * nothing per step. Values that escape the step (results, gradients left on parameters, in-place
 * updates) are not planned: the caller keeps them.
 */
function planBuffers(
  steps: readonly (Step | FusedStep)[],
  values: Recording['values'],
  freesAt: readonly number[][],
  plannable: (id: number) => boolean,
): BufferPlan {
  const lives: { id: number; backend: Backend; dtype: DType; length: number; from: number; to: number }[] = [];
  const byId = new Map<number, (typeof lives)[number]>();
  steps.forEach((s, i) => {
    if (s.type === 'reset') return;
    const backend = getBackend(s.device);
    const v = values[s.out];
    const length = v.shape.reduce((a, b) => a * b, 1);
    if (planned(backend) && plannable(s.out) && length > 0) {
      const life = { id: s.out, backend, dtype: v.dtype, length, from: i, to: i };
      lives.push(life);
      byId.set(s.out, life);
    }
    for (const f of freesAt[i]) {
      const life = byId.get(f);
      if (life) life.to = i;
    }
  });
  lives.sort((a, b) => b.length - a.length || a.from - b.from);
  const slots: Slot[] = [];
  const taken: { from: number; to: number }[][] = [];
  const at = new Map<number, { slot: number; length: number }>();
  for (const life of lives) {
    let id = slots.findIndex(
      (slot, k) =>
        slot.backend === life.backend &&
        slot.dtype === life.dtype &&
        (slot.length === life.length || typeof life.backend.planView === 'function') &&
        taken[k].every((t) => t.to < life.from || t.from > life.to),
    );
    if (id < 0) {
      id = slots.length;
      slots.push({ backend: life.backend, dtype: life.dtype, length: life.length, width: life.dtype === 'bool' ? 1 : 4 });
      taken.push([]);
    }
    taken[id].push({ from: life.from, to: life.to });
    at.set(life.id, { slot: id, length: life.length });
  }
  const bytes = slots.reduce((n, s) => n + s.length * s.width, 0);
  return { slots, at, bytes, made: false };
}
