import type { DType } from './dtype.js';
import type { Tensor } from './tensor.js';

/**
 * @internal The one place a trace (@mge/jit) observes eager execution. Core reports every
 * backend kernel call (the operator, the Backend method and its arguments, the input tensors
 * and the buffer it returned), every in-place value change (`_reset`) and every value read.
 * Nothing is recorded and nothing is allocated while no recorder is set: eager code pays one
 * null check per operator.
 */
export interface KernelCall {
  /** The operator's name as core reports it ('add', 'conv2d', 'conv2d backward', …). */
  readonly op: string;
  /** The Backend method that ran ('binary', 'conv2d', 'conv2dBackwardInput', …). */
  readonly method: string;
  /** The method's arguments as passed; TensorRefs among them hold the input buffers. */
  readonly args: readonly unknown[];
  readonly inputs: readonly Tensor[];
  /** The buffer the kernel returned. */
  readonly out: unknown;
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly device: string;
}

export interface OpRecorder {
  kernel(call: KernelCall): void;
  /** `target` took `value`'s buffer in place (optimizer steps, BatchNorm statistics). */
  reset(target: Tensor, value: Tensor): void;
  /** A tensor's values were read on the host (`how` names the method, e.g. 'item'). */
  read(t: Tensor, how: string): void;
  /** Random numbers were drawn on the host (`op` names the generator): a replay would repeat them. */
  random(op: string): void;
  /**
   * Optional: a buffer went back to its backend (its tensors were disposed or collected), which
   * may hand it out again for a new tensor: the recorder must stop taking it for the old value.
   */
  released?(buf: unknown): void;
}

let current: OpRecorder | null = null;

export function opRecorder(): OpRecorder | null {
  return current;
}

/** Sets (or clears, with null) the recorder; returns the previous one. */
export function setOpRecorder(r: OpRecorder | null): OpRecorder | null {
  const prev = current;
  current = r;
  return prev;
}

/**
 * Runs `kernel` against `backend` while recording: the first method it calls on the backend
 * is captured with its arguments (a kernel closure calls exactly one).
 */
export function recordKernel<B extends object>(
  r: OpRecorder,
  op: string,
  inputs: readonly Tensor[],
  backend: B,
  device: string,
  shape: readonly number[],
  dtype: DType,
  kernel: (backend: B) => unknown,
): unknown {
  let method = '';
  let args: unknown[] = [];
  const spy = new Proxy(backend, {
    get(target, key, receiver) {
      const v = Reflect.get(target, key, receiver);
      if (typeof v !== 'function' || typeof key !== 'string') return v;
      return (...a: unknown[]) => {
        if (!method) {
          method = key;
          args = a;
        }
        return v.apply(target, a);
      };
    },
  });
  const out = kernel(spy);
  r.kernel({ op, method, args, inputs, out, shape, dtype, device });
  return out;
}
