import { type _trace, type DType, Parameter, type Tensor } from '@mge/core';
import { cloneArgs } from './refs.js';

/** A value of a recording: a trace input, a tensor from outside the function, or a kernel's result. */
export interface RecValue {
  readonly id: number;
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly device: string;
  /** input: fed per call; param: a tensor from outside that the step may update; const: any other outside tensor; op: a kernel's result. */
  kind: 'input' | 'param' | 'const' | 'op';
  /** The outside tensor, read afresh at every replay (a param's buffer changes with each update). */
  readonly tensor?: Tensor;
  /** For a reshape of an outside tensor made inside the function: that tensor, whose buffer a replay reads. */
  readonly readFrom?: Tensor;
  /** The index of the trace input. */
  readonly input?: number;
}

export interface KernelStep {
  readonly type: 'kernel';
  readonly op: string;
  readonly method: string;
  readonly device: string;
  /** The arguments, with private TensorRefs a replay fills in (see refs.ts). */
  readonly args: unknown[];
  readonly refs: { buf: unknown; shape: readonly number[] }[];
  /** The value each of `refs` reads. */
  readonly reads: number[];
  readonly out: number;
}

export interface ResetStep {
  readonly type: 'reset';
  readonly target: Tensor;
  /** The outside value the target held before the step. */
  readonly targetValue: number;
  readonly value: number;
}

export type Step = KernelStep | ResetStep;

export interface Recording {
  readonly values: RecValue[];
  readonly steps: Step[];
  readonly inputs: number[];
}

/** Raised when a traced function does something a replay could not repeat. */
export class TraceError extends Error {
  override name = 'TraceError';
}

/**
 * Watches core's operator calls during the recording call of a traced function and turns
 * them into steps over numbered values: buffers are followed by identity, so reshapes (which
 * share their buffer) need no step, and tensors from outside are found through the inputs
 * core names for each kernel.
 */
export class Recorder implements _trace.OpRecorder {
  readonly values: RecValue[] = [];
  readonly steps: Step[] = [];
  readonly inputs: number[] = [];
  private readonly byBuf = new Map<unknown, number>();
  private readonly outside = new Map<Tensor, number>();
  /** Outside tensors made during the recording (constants such as a new momentum buffer): their first buffer is held. */
  private readonly pinned: { refs: number }[] = [];

  constructor(
    inputs: readonly Tensor[],
    private readonly firstNewId: number,
  ) {
    inputs.forEach((t, i) => {
      const v = this.add({ shape: t.shape, dtype: t.dtype, device: t.device, kind: 'input', input: i });
      this.inputs.push(v);
      this.byBuf.set(t.storage.buf, v);
    });
  }

  private add(v: Omit<RecValue, 'id'>): number {
    const id = this.values.length;
    this.values.push({ ...v, id });
    return id;
  }

  /** The value a buffer holds now, looking among `candidates` (the kernel's input tensors) for an outside one. */
  private valueOf(buf: unknown, candidates: readonly Tensor[], op: string): number {
    const known = this.byBuf.get(buf);
    if (known !== undefined) return known;
    const t = candidates.find((c) => !c.isDisposed && c.storage.buf === buf) ?? candidates.find((c) => c.storage.buf === buf);
    if (!t) throw new TraceError(`trace: ${op} read a buffer that belongs to no tensor the trace knows (an internal error of the tracer)`);
    return this.outsideValue(t);
  }

  private outsideValue(t: Tensor): number {
    const seen = this.outside.get(t);
    if (seen !== undefined && this.byBuf.get(t.storage.buf) === seen) return seen;
    // a reshape made inside the function of a tensor from outside (BatchNorm's weight as
    // [1, C, 1, 1]) is that tensor: a replay reads its buffer of the moment, which an optimizer
    // step (traced or not) replaces
    const base = t.viewOf;
    const src =
      t.id >= this.firstNewId && base && base.id < this.firstNewId && !base.isDisposed && base.storage === t.storage && base.size === t.size
        ? base
        : t;
    const id = this.add({
      shape: t.shape,
      dtype: t.dtype,
      device: t.device,
      kind: src instanceof Parameter ? 'param' : 'const',
      tensor: t,
      ...(src !== t && { readFrom: src }),
    });
    this.outside.set(t, id);
    this.byBuf.set(t.storage.buf, id);
    if (src === t && t.id >= this.firstNewId) {
      // made by the traced function and possibly disposed by it (tidy): keep its buffer
      const s = t.storage as unknown as { refs: number };
      s.refs++;
      this.pinned.push(s);
    }
    return id;
  }

  kernel(call: _trace.KernelCall): void {
    if (!call.method) throw new TraceError(`trace: ${call.op} ran no backend kernel the tracer could see`);
    const { args, refs } = cloneArgs(call.args);
    const reads = refs.map((r) => this.valueOf(r.buf, call.inputs, call.op));
    for (const r of refs) r.buf = null;
    const out = this.add({ shape: call.shape, dtype: call.dtype, device: call.device, kind: 'op' });
    this.byBuf.set(call.out, out);
    this.steps.push({ type: 'kernel', op: call.op, method: call.method, device: call.device, args, refs, reads, out });
  }

  /**
   * A buffer freed during the recording may come back from the backend for a new tensor (an
   * uploaded constant): from now on it is not the old value's.
   */
  released(buf: unknown): void {
    this.byBuf.delete(buf);
  }

  reset(target: Tensor, value: Tensor): void {
    const targetValue = this.valueOf(target.storage.buf, [target], '_reset');
    const v = this.valueOf(value.storage.buf, [value], '_reset');
    const tv = this.values[targetValue];
    if (tv.kind === 'const') tv.kind = 'param';
    if (tv.kind === 'op' || tv.kind === 'input') {
      throw new TraceError(
        `trace: a value computed inside the traced function (or an input) was updated in place with _reset/setValue; only tensors from outside the function (parameters, optimizer state) may be`,
      );
    }
    this.steps.push({ type: 'reset', target, targetValue, value: v });
  }

  read(t: Tensor, how: string): void {
    const v = this.byBuf.get(t.storage.buf);
    if (v !== undefined && this.values[v].kind === 'op') {
      throw new TraceError(
        `trace: the traced function reads a tensor computed inside it on the host (${how}() of a tensor of shape [${t.shape.join(', ')}]), which is data-dependent control flow: a replay cannot repeat a decision taken from it. Return the tensor and read it after the call, or express the decision with tensor operators (where, maximum, …)`,
      );
    }
  }

  random(op: string): void {
    throw new TraceError(
      `trace: the traced function draws random numbers on the host (${op}); a replay would repeat the same numbers. Draw them outside and pass them in as an input`,
    );
  }

  /** The value an output tensor holds at the end of the recording. */
  outputValue(t: Tensor): number {
    return this.valueOf(t.storage.buf, [t], 'trace output');
  }

  /**
   * The parameters the step left a gradient on that it computed (GradManager.backward without
   * a clearGrad after it): a replay sets `.grad` to its own value of that gradient.
   */
  gradients(): { param: Tensor; value: number }[] {
    const out: { param: Tensor; value: number }[] = [];
    const seen = new Set<Tensor>();
    for (const v of this.values) {
      const p = v.tensor;
      if (!(p instanceof Parameter) || seen.has(p)) continue;
      seen.add(p);
      const g = p.grad;
      if (!g || g.isDisposed) continue;
      const id = this.byBuf.get(g.storage.buf);
      if (id !== undefined && this.values[id].kind === 'op') out.push({ param: p, value: id });
    }
    return out;
  }

  /** Gives back the buffers held for constants (the recording failed). */
  unpin(): void {
    for (const s of this.pinned) s.refs--;
    this.pinned.length = 0;
  }
}
