import { type Backend, type ConvEpilogue, getBackend, type Tensor } from '@mge/core';
import type { KernelStep, Recording, RecValue, Step } from './recording.js';

/*
 * A convolution's tail taken into its epilogue, on backends with the optional
 * `conv2dEpilogue`: conv (+ bias) → + shortcut → relu | relu6 | hardswish becomes one kernel,
 * which writes each block of its output once while it is in cache. relu6 is recorded as
 * maximum(x, 0) → minimum(·, 6) and hardswish as x · (relu6(x + 3) · 1/6) (functional's
 * compositions). The fused step takes the place of the tail's last step, where the shortcut
 * (computed after the convolution in MegEngine's ResNet blocks) is ready.
 */

type Activation = NonNullable<ConvEpilogue['activation']>;

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** The scalar a constant value holds (a single float32 element), or null. */
function scalarOf(values: readonly RecValue[], id: number): number | null {
  const v = values[id];
  if ((v.kind !== 'const' && v.kind !== 'param') || !v.tensor || v.dtype !== 'float32') return null;
  if (v.shape.reduce((a, b) => a * b, 1) !== 1) return null;
  const t = v.tensor as Tensor;
  const b = getBackend(t.device) as Backend;
  if (!b.readSync) return null;
  return (b.readSync(t.storage.buf, 'float32', 1) as Float32Array)[0];
}

interface Match {
  /** The steps the tail consumes, in order. */
  steps: number[];
  out: number;
  activation?: Activation;
  residual?: number;
}

/**
 * The epilogue fusions of a recording's steps where the backend allows it. `outputs` (and
 * the values in-place updates read) must stay materialised.
 */
export function fuseConvEpilogues(rec: Recording, outputs: readonly number[]): Step[] {
  const { values, steps } = rec;
  const escapes = new Set(outputs);
  const readers = new Map<number, number[]>();
  steps.forEach((s, i) => {
    if (s.type === 'reset') escapes.add(s.value);
    else for (const v of new Set(s.reads)) readers.set(v, [...(readers.get(v) ?? []), i]);
  });
  const kernel = (i: number): KernelStep | null => {
    const s = steps[i];
    return s.type === 'kernel' ? s : null;
  };
  /** The only reader of v, if it has exactly one and v may stay unmaterialised. */
  const soleReader = (v: number): number | null => {
    const r = readers.get(v);
    return r && r.length === 1 && !escapes.has(v) ? r[0] : null;
  };
  /** The other operand of a binary step `op` that reads v with a scalar constant equal to c. */
  const scalarBinary = (i: number | null, op: string, v: number, c: number): boolean => {
    if (i === null) return false;
    const s = kernel(i);
    if (s?.method !== 'binary' || s.args[0] !== op || s.reads.length !== 2) return false;
    const k = s.reads.indexOf(v);
    if (k < 0 || s.reads[1 - k] === v) return false;
    const x = scalarOf(values, s.reads[1 - k]);
    return x !== null && x === Math.fround(c) && sameShape(values[s.out].shape, values[v].shape);
  };
  /** relu6 of v: maximum(v, 0) → minimum(·, 6), each read once; its steps and result. */
  const relu6 = (v: number): { steps: number[]; out: number } | null => {
    const a = soleReader(v);
    if (a === null || !scalarBinary(a, 'maximum', v, 0)) return null;
    const ma = steps[a] as KernelStep;
    const b = soleReader(ma.out);
    if (b === null || !scalarBinary(b, 'minimum', ma.out, 6)) return null;
    return { steps: [a, b], out: (steps[b] as KernelStep).out };
  };
  const activationAfter = (v: number): Omit<Match, 'residual'> | null => {
    const one = soleReader(v);
    const s = one === null ? null : kernel(one);
    if (s && s.method === 'unary' && s.args[0] === 'relu') return { steps: [one as number], out: s.out, activation: 'relu' };
    const r6 = relu6(v);
    if (r6) return { ...r6, activation: 'relu6' };
    // hardswish: v read by add(v, 3) (→ relu6 → · 1/6) and by the final mul(v, ·)
    const r = readers.get(v);
    if (r?.length !== 2 || escapes.has(v)) return null;
    const [i3, im] = r;
    if (!scalarBinary(i3, 'add', v, 3)) return null;
    const p3 = (steps[i3] as KernelStep).out;
    const h6 = relu6(p3);
    if (!h6) return null;
    const i6 = soleReader(h6.out);
    if (i6 === null || !scalarBinary(i6, 'mul', h6.out, 1 / 6)) return null;
    const hs = (steps[i6] as KernelStep).out;
    const fin = kernel(im);
    if (fin?.method !== 'binary' || fin.args[0] !== 'mul' || soleReader(hs) !== im) return null;
    if (!((fin.reads[0] === v && fin.reads[1] === hs) || (fin.reads[0] === hs && fin.reads[1] === v))) return null;
    if (!sameShape(values[fin.out].shape, values[v].shape)) return null;
    return { steps: [i3, ...h6.steps, i6, im], out: fin.out, activation: 'hardswish' };
  };
  /** conv's tail: + residual (when it has no activation yet), then an activation. */
  const tailOf = (conv: KernelStep): Match | null => {
    const epilogue = conv.args[3] as { activation?: string } | undefined;
    if (epilogue?.activation) return null;
    let out = conv.out;
    const taken: number[] = [];
    let residual: number | undefined;
    const one = soleReader(out);
    const add = one === null ? null : kernel(one);
    if (add && add.method === 'binary' && add.args[0] === 'add' && add.reads.length === 2) {
      const k = add.reads.indexOf(out);
      const other = add.reads[1 - k];
      const shape = values[out].shape;
      if (
        other !== out &&
        values[other].dtype === 'float32' &&
        sameShape(add.refs[1 - k].shape, shape) &&
        sameShape(values[add.out].shape, shape)
      ) {
        residual = other;
        taken.push(one as number);
        out = add.out;
      }
    }
    const act = activationAfter(out);
    if (act) {
      taken.push(...act.steps);
      out = act.out;
    }
    return taken.length ? { steps: taken, out, activation: act?.activation, residual } : null;
  };

  const replace = new Map<number, Step>();
  const drop = new Set<number>();
  steps.forEach((s, i) => {
    if (s.type !== 'kernel' || s.method !== 'conv2d' || values[s.out].dtype !== 'float32') return;
    if (!getBackend(s.device).conv2dEpilogue || drop.has(i)) return;
    const m = tailOf(s);
    if (!m || m.steps.some((j) => drop.has(j) || replace.has(j))) return;
    const old = s.args[3] as { bias?: { buf: unknown; shape: readonly number[] } } | undefined;
    const refs = [...s.refs];
    const reads = [...s.reads];
    let residualRef: { buf: unknown; shape: readonly number[]; dtype: string } | undefined;
    if (m.residual !== undefined) {
      const add = steps[m.steps[0]] as KernelStep;
      residualRef = { buf: null, shape: add.refs[add.reads.indexOf(m.residual)].shape, dtype: 'float32' };
      refs.push(residualRef);
      reads.push(m.residual);
    }
    const epilogue = { bias: old?.bias, residual: residualRef, activation: m.activation };
    const fused: KernelStep = {
      ...s,
      method: 'conv2dEpilogue',
      args: [s.args[0], s.args[1], s.args[2], epilogue],
      refs,
      reads,
      out: m.out,
    };
    drop.add(i);
    for (const j of m.steps) drop.add(j);
    const last = Math.max(...m.steps);
    drop.delete(last);
    replace.set(last, fused);
  });
  if (replace.size === 0) return steps;
  const result: Step[] = [];
  steps.forEach((s, i) => {
    if (drop.has(i)) return;
    result.push(replace.get(i) ?? s);
  });
  return result;
}
