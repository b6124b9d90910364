import type { TensorRef } from '@mge/core';

export function isRef(v: unknown): v is TensorRef {
  return typeof v === 'object' && v !== null && 'buf' in v && 'shape' in v && 'dtype' in v;
}

/**
 * A private copy of a kernel's arguments with every TensorRef copied too, and the copied
 * refs in the order met: a replay writes each step's buffers into those refs and calls the
 * method again with the same argument objects, so a step allocates nothing on the host.
 */
export function cloneArgs(args: readonly unknown[]): { args: unknown[]; refs: { buf: unknown; shape: readonly number[] }[] } {
  const refs: { buf: unknown; shape: readonly number[] }[] = [];
  const copy = (v: unknown): unknown => {
    if (isRef(v)) {
      const r = { buf: v.buf, shape: v.shape, dtype: v.dtype };
      refs.push(r);
      return r;
    }
    if (Array.isArray(v)) return v.some((x) => typeof x === 'object' && x !== null) ? v.map(copy) : v;
    if (typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype) {
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) o[k] = copy(x);
      return o;
    }
    return v;
  };
  return { args: args.map(copy), refs };
}
