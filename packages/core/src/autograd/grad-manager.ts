import { add } from '../ops/binary.js';
import { onesLike } from '../ops/creation.js';
import { shapesEqual, shapeToString } from '../shape.js';
import { Tensor, view } from '../tensor.js';
import { trackCreated } from '../tidy.js';
import { noGrad, pushTape, removeTape, Tape } from './tape.js';

/**
 * MegEngine's GradManager: attach the parameters, record the forward pass,
 * call backward; gradients accumulate into each parameter's `.grad`.
 *
 *   const gm = new GradManager().attach(model.parameters());
 *   gm.record(); const loss = ...; gm.backward(loss);      // or gm.scope(() => {...})
 *
 * `attach(params, { callbacks })` runs each callback on every gradient before it is added to
 * `.grad` (MegEngine's callbacks; distributed training all-reduces there). A parameter's
 * callbacks run as soon as its gradient is final, while backward goes on for the layers
 * before it; a callback may return a tensor it finishes later, in a function registered with
 * `registerAfterBackwardCallback`: those run once backward is done and before any gradient is
 * added to `.grad` (MegEngine's futures, flushed after backward).
 */
export type GradCallback = (param: Tensor, grad: Tensor) => Tensor;

export interface AttachOptions {
  /** Called in order with (param, grad) once backward has computed grad; each returns the gradient to pass on. */
  callbacks?: GradCallback | GradCallback[];
}

let backwarding: GradManager | null = null;

/** Tensors some GradManager has attached (kept after detaching: a conservative answer). */
const everAttached = new WeakSet<Tensor>();

/** True when a GradManager attached t: its gradient is then the user's to read, as computed. */
export function isAttached(t: Tensor): boolean {
  return everAttached.has(t);
}

/** The GradManager whose backward is running (MegEngine's get_backwarding_grad_manager), else null. */
export function getBackwardingGradManager(): GradManager | null {
  return backwarding;
}

export class GradManager {
  private readonly attached: Tensor[] = [];
  private readonly attachedIds = new Set<number>();
  private readonly callbacks = new Map<number, GradCallback[]>();
  private readonly afterBackward: (() => void)[] = [];
  private tape: Tape | null = null;

  /** Runs fn at the end of every backward, after the callbacks and before `.grad` is updated. */
  registerAfterBackwardCallback(fn: () => void): this {
    if (typeof fn !== 'function') {
      throw new TypeError(`GradManager.registerAfterBackwardCallback: argument 'fn' must be a function, got ${String(fn)}`);
    }
    this.afterBackward.push(fn);
    return this;
  }

  attach(params: Tensor | Iterable<Tensor>, options: AttachOptions = {}): this {
    const list = params instanceof Tensor ? [params] : params;
    if (list === null || list === undefined || typeof (list as Iterable<Tensor>)[Symbol.iterator] !== 'function') {
      throw new TypeError(`GradManager.attach: argument 'params' must be a Tensor or an iterable of Tensors, got ${String(params)}`);
    }
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`GradManager.attach: argument 'options' must be an object, got ${String(options)}`);
    }
    const cbs = options.callbacks === undefined ? [] : Array.isArray(options.callbacks) ? options.callbacks : [options.callbacks];
    for (const cb of cbs) {
      if (typeof cb !== 'function') throw new TypeError(`GradManager.attach: every callback must be a function, got ${String(cb)}`);
    }
    for (const p of list) {
      if (!(p instanceof Tensor)) throw new TypeError(`GradManager.attach: every item of 'params' must be a Tensor, got ${String(p)}`);
      if (p.dtype !== 'float32') throw new TypeError(`GradManager.attach: only float32 tensors can have gradients, got ${p.dtype}`);
      if ((p as { requiresGrad?: boolean }).requiresGrad === false) continue; // a frozen Parameter
      if (cbs.length > 0) this.callbacks.set(p.id, [...(this.callbacks.get(p.id) ?? []), ...cbs]);
      if (this.attachedIds.has(p.id)) continue;
      this.attached.push(p);
      this.attachedIds.add(p.id);
      everAttached.add(p);
      this.tape?.tracked.add(p.id);
    }
    return this;
  }

  /** The attached tensors, in attach order. */
  attachedTensors(): Tensor[] {
    return [...this.attached];
  }

  get isRecording(): boolean {
    return this.tape !== null;
  }

  /** Starts recording operators on attached tensors (Python: entering `with gm:`). */
  record(): this {
    if (this.tape) throw new Error('GradManager.record: already recording; call release() or backward() first');
    this.tape = new Tape();
    for (const id of this.attachedIds) this.tape.tracked.add(id);
    pushTape(this.tape);
    return this;
  }

  /** Stops recording and drops the history (Python: leaving `with gm:`). */
  release(): this {
    if (this.tape) {
      removeTape(this.tape);
      this.tape = null;
    }
    return this;
  }

  /** `with gm:` — records while fn runs, releases afterwards (also when fn throws or its promise rejects). */
  scope<T>(fn: () => T): T {
    this.record();
    let result: T;
    try {
      result = fn();
    } catch (e) {
      this.release();
      throw e;
    }
    if (result instanceof Promise) return result.finally(() => this.release()) as T;
    this.release();
    return result;
  }

  [Symbol.dispose](): void {
    this.release();
  }

  /**
   * Back-propagates from y (dy defaults to ones) and adds the gradient of every
   * attached tensor y depends on to its `.grad`. Ends the recording, as MegEngine does.
   */
  backward(y: Tensor, dy?: Tensor): void {
    try {
      if (!(y instanceof Tensor)) throw new TypeError(`GradManager.backward: argument 'y' must be a Tensor, got ${String(y)}`);
      const tape = this.tape;
      if (!tape?.tracked.has(y.id)) {
        throw new Error(
          'GradManager.backward: no computation history for y; call gm.record() (or gm.scope) before computing y, and attach the tensors y depends on',
        );
      }
      if (dy !== undefined) {
        if (!(dy instanceof Tensor)) throw new TypeError(`GradManager.backward: argument 'dy' must be a Tensor, got ${String(dy)}`);
        if (!shapesEqual(dy.shape, y.shape)) {
          throw new Error(`GradManager.backward: 'dy' must have y's shape ${shapeToString(y.shape)}, got ${shapeToString(dy.shape)}`);
        }
      }
      // The gradients made here belong to the parameters: an enclosing tidy() must not free them.
      trackCreated(new Set(), () => noGrad(() => this.accumulate(tape, y, dy)));
    } finally {
      this.release();
    }
  }

  private runCallbacks(p: Tensor, grad: Tensor): Tensor {
    let g = grad;
    for (const cb of this.callbacks.get(p.id) ?? []) {
      const out = cb(p, g);
      if (!(out instanceof Tensor) || !shapesEqual(out.shape, p.shape)) {
        throw new TypeError(
          `GradManager.backward: a callback must return a Tensor of the parameter's shape ${shapeToString(p.shape)}, got ${out instanceof Tensor ? shapeToString(out.shape) : String(out)}`,
        );
      }
      g = out;
    }
    return g;
  }

  private accumulate(tape: Tape, y: Tensor, dy: Tensor | undefined): void {
    const seed = dy ?? onesLike(y);
    const byId = new Map(this.attached.map((p) => [p.id, p]));
    const done = new Map<number, Tensor>();
    const onReady = (id: number, g: Tensor) => {
      const p = byId.get(id);
      if (p) done.set(id, this.runCallbacks(p, g));
    };
    backwarding = this;
    let grads: Map<number, Tensor>;
    try {
      grads = tape.backward(y.id, seed, add, this.attachedIds, this.callbacks.size > 0 ? onReady : undefined);
      for (const p of this.attached) {
        let g = grads.get(p.id);
        if (!g || done.has(p.id)) continue;
        if (g === dy) g = view(dy, dy.shape); // .grad is never the caller's own tensor object
        done.set(p.id, this.runCallbacks(p, g));
      }
      for (const fn of this.afterBackward) fn();
    } finally {
      backwarding = null;
    }
    for (const p of this.attached) {
      const g = done.get(p.id);
      if (!g) continue;
      if (!p.grad || p.grad.isDisposed) {
        p.grad = g;
        continue;
      }
      // MegEngine's `grad += g`: in place, so the replaced buffer is freed now
      const sum = add(p.grad, g);
      p.grad._reset(sum);
      sum.dispose();
      g.dispose();
    }
    if (dy === undefined && !this.attachedIds.has(y.id)) seed.dispose();
  }
}
