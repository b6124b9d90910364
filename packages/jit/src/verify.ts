import type { Tensor } from '@mge/core';
import type { Recording, RecValue } from './recording.js';
import { isRef } from './refs.js';

/*
 * A recording freezes every number the function computes on the host (a learning rate, Adam's
 * bias correction from its step count) as a constant, and every decision it takes from host
 * state as the operators it ran. The second call of a traced function therefore records again
 * and is compared with the first: the same operators with the same attributes, and the same
 * small constants. A difference means a replay would be wrong, and is reported.
 */

/** The non-tensor arguments, and the shapes tensors are read with. */
function argsKey(args: readonly unknown[]): string {
  return JSON.stringify(args, (_, v) => (isRef(v) ? `ref[${v.shape.join(',')}]${v.dtype}` : v));
}

const SMALL = 64;

/** The values of a small constant made from host numbers, when they can be read now. */
function small(v: RecValue): ArrayLike<number> | null {
  const t = v.tensor as Tensor | undefined;
  if (!t || v.kind !== 'const' || t.size > SMALL) return null;
  const s = t.storage as unknown as { buf: unknown; released: boolean };
  if (s.released) return null;
  const b = t.backend;
  return b.readSync ? b.readSync(s.buf, t.dtype, t.size) : t.hostValues;
}

function show(a: ArrayLike<number>): string {
  return a.length === 1 ? String(a[0]) : `[${Array.from(a).join(', ')}]`;
}

/** Why two recordings of one function with inputs of the same shapes differ, or null. */
export function difference(a: Recording, b: Recording): string | null {
  const n = Math.max(a.steps.length, b.steps.length);
  for (let i = 0; i < n; i++) {
    const sa = a.steps[i];
    const sb = b.steps[i];
    if (!sa || !sb) return `it ran ${a.steps.length} kernels and updates on its first call and ${b.steps.length} on its second`;
    if (sa.type !== sb.type)
      return `step ${i} was ${sa.type === 'reset' ? 'an in-place update' : `'${sa.op}'`} on the first call, ${sb.type === 'reset' ? 'an in-place update' : `'${sb.op}'`} on the second`;
    if (sa.type === 'reset' || sb.type === 'reset') continue;
    if (sa.op !== sb.op || sa.method !== sb.method) return `step ${i} ran '${sa.op}' on the first call and '${sb.op}' on the second`;
    if (argsKey(sa.args) !== argsKey(sb.args))
      return `step ${i} ('${sa.op}') had the arguments ${argsKey(sa.args)} on the first call and ${argsKey(sb.args)} on the second`;
    for (let j = 0; j < sa.reads.length; j++) {
      const da = small(a.values[sa.reads[j]]);
      const db = small(b.values[sb.reads[j]]);
      if (!da || !db || da.length !== db.length) continue;
      for (let k = 0; k < da.length; k++) {
        if (!Object.is(da[k], db[k])) {
          return `step ${i} ('${sa.op}') read the constant ${show(da)} on the first call and ${show(db)} on the second — a number computed on the host that changes between calls (a step count, a schedule)`;
        }
      }
    }
  }
  return null;
}
