import type { Backend } from '../backend.js';
import type { DType } from '../dtype.js';
import { checkAllocation } from '../limits.js';
import { getBackend, getDefaultDevice } from '../registry.js';
import { shapeToString } from '../shape.js';
import { Tensor, wrap } from '../tensor.js';
import { opRecorder, recordKernel } from '../trace-hook.js';

/** The device all inputs share; an error naming both devices otherwise. */
export function commonDevice(op: string, inputs: readonly Tensor[]): string {
  const device = inputs[0].device;
  for (let i = 1; i < inputs.length; i++) {
    if (inputs[i].device !== device) {
      throw new Error(
        `${op}: inputs are on different devices, '${device}' and '${inputs[i].device}'; move one with t.to('${device}') (await t.toAsync('${device}') from a device that reads asynchronously, such as webgpu)`,
      );
    }
  }
  return device;
}

/** Runs a backend kernel over inputs on one device and wraps its result. */
export function runKernel(
  op: string,
  inputs: readonly Tensor[],
  shape: readonly number[],
  dtype: DType,
  kernel: (backend: Backend) => unknown,
): Tensor {
  const device = commonDevice(op, inputs);
  for (const x of inputs) x.ref(op);
  const backend = getBackend(device);
  checkAllocation(op, backend, device, shape, dtype);
  const r = opRecorder();
  const buf = r ? recordKernel(r, op, inputs, backend, device, shape, dtype, kernel) : kernel(backend);
  return wrap(backend, device, buf, shape, dtype);
}

/** False when the backend says it has no kernel for `op` (Backend.hasKernel); absent means it has all. */
export function backendHasKernel(backend: Backend, op: string): boolean {
  return backend.hasKernel ? backend.hasKernel(op) : true;
}

/** The error for an operator a backend lacks and cannot compose: it names both. */
export function missingKernel(op: string, backend: Backend): Error {
  return new Error(
    `${op}: not supported by the '${backend.name}' backend (it has no kernel for '${op}' and the operator has no composed default)`,
  );
}

export function assertTensor(op: string, x: unknown, arg: string): asserts x is Tensor {
  if (!(x instanceof Tensor)) {
    throw new TypeError(`${op}: argument '${arg}' must be a Tensor, got ${x === null ? 'null' : typeof x}`);
  }
}

export function assertFloat(op: string, x: Tensor, arg: string): void {
  if (x.dtype !== 'float32') throw new TypeError(`${op}: argument '${arg}' must be float32, got ${x.dtype}`);
}

export function assertRank(op: string, x: Tensor, arg: string, rank: number): void {
  if (x.ndim !== rank) {
    throw new Error(`${op}: argument '${arg}' must be ${rank}-d, got shape ${shapeToString(x.shape)}`);
  }
}

export function resolveDevice(device: string | undefined): [Backend, string] {
  const name = device ?? getDefaultDevice();
  return [getBackend(name), name];
}
