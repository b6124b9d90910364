import { bytesPerElement, type DType } from './dtype.js';
import { type Shape, shapeToString, sizeOf } from './shape.js';

/** Most elements one tensor may hold on any backend: kernels index with 32-bit signed integers. */
export const MAX_ELEMENTS = 2 ** 31 - 1;

function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${bytes} bytes` : `${v.toFixed(1)} ${units[u]} (${bytes} bytes)`;
}

/** What checkAllocation needs of a backend (structural, so this file imports no backend type and makes no cycle). */
interface SizedBackend {
  maxElements?(dtype: DType): number;
}

/**
 * Refuses, before anything is allocated or filled, a tensor `device` cannot hold: more than
 * MAX_ELEMENTS elements, or more than the backend's own `maxElements(dtype)`. Every path that
 * makes a buffer (creation, upload, every kernel's output) asks here first.
 */
export function checkAllocation(op: string, backend: SizedBackend, device: string, shape: Shape, dtype: DType): void {
  const n = sizeOf(shape);
  const max = Math.min(MAX_ELEMENTS, backend.maxElements?.(dtype) ?? MAX_ELEMENTS);
  if (n <= max) {
    for (const d of shape) {
      // an empty tensor may still carry a dimension no 32-bit kernel argument can hold
      if (d > MAX_ELEMENTS)
        throw new RangeError(`${op}: the result would have shape ${shapeToString(shape)}; a dimension may be at most ${MAX_ELEMENTS}`);
    }
    return;
  }
  throw new RangeError(
    `${op}: a ${dtype} tensor of shape ${shapeToString(shape)} holds ${n} elements, ${formatBytes(n * bytesPerElement(dtype))}; ` +
      `device '${device}' holds at most ${max} elements per ${dtype} tensor`,
  );
}

/**
 * Integer arguments travel to kernels as 32-bit integers (the native addon and WGSL take
 * int32/u32): anything larger would be silently truncated there, so it is refused here.
 */
export function checkInt32Arg(op: string, arg: string, v: number, min = 0): void {
  if (!Number.isInteger(v) || v < min || v > MAX_ELEMENTS) {
    throw new RangeError(`${op}: argument '${arg}' must be an integer in [${min}, ${MAX_ELEMENTS}], got ${v}`);
  }
}

/** A size derived from integer arguments (a padded input, a dilated kernel) must fit 32 bits too. */
export function checkInt32Extent(op: string, what: string, v: number): void {
  if (v > MAX_ELEMENTS)
    throw new RangeError(`${op}: ${what} is ${v}; kernels index with 32-bit integers, so it may be at most ${MAX_ELEMENTS}`);
}
