import { _trace, add, getBackend, mul, reshape, sub, type Tensor } from '@mge/core';
import type { KernelStep, Recording, RecValue, Step } from './recording.js';

/*
 * Rewrites of a recording for inference (trace's `optimizeForInference`, with frozen
 * parameters): constant subgraphs computed once, and per-channel scale and shift after a
 * convolution (an inference BatchNorm) folded into its weight and bias, with a following relu
 * taken into its epilogue. Each rewrite keeps the program's values and outputs.
 */

type Values = RecValue[];

const isConst = (v: RecValue) => (v.kind === 'param' || v.kind === 'const') && v.tensor !== undefined;

function addConst(values: Values, t: Tensor): number {
  const id = values.length;
  values.push({ id, shape: t.shape, dtype: t.dtype, device: t.device, kind: 'const', tensor: t });
  return id;
}

function runNow(values: Values, s: KernelStep): Tensor {
  s.refs.forEach((r, i) => {
    r.buf = (values[s.reads[i]].tensor as Tensor).storage.buf;
  });
  const backend = getBackend(s.device) as unknown as Record<string, (...a: unknown[]) => unknown>;
  const buf = backend[s.method](...s.args);
  for (const r of s.refs) r.buf = null;
  const v = values[s.out];
  return _trace.wrap(getBackend(s.device), s.device, buf, v.shape, v.dtype);
}

/** Steps whose every input is constant run once now; their results become constants. */
export function foldConstants(rec: Recording): Recording {
  const values = [...rec.values];
  const steps: Step[] = [];
  for (const s of rec.steps) {
    if (s.type === 'kernel' && s.reads.length > 0 && s.reads.every((v) => isConst(values[v]))) {
      values[s.out] = { ...values[s.out], kind: 'const', tensor: runNow(values, s) };
    } else steps.push(s);
  }
  return { ...rec, values, steps };
}

function readersOf(steps: readonly Step[]): Map<number, number[]> {
  const m = new Map<number, number[]>();
  steps.forEach((s, i) => {
    const reads = s.type === 'kernel' ? s.reads : [s.value];
    for (const v of reads) m.set(v, [...(m.get(v) ?? []), i]);
  });
  return m;
}

/** The per-channel vector (length o) a binary step applies to the conv output `c`, or null. */
function channelOperand(values: Values, s: KernelStep, c: number, o: number): { other: number; cFirst: boolean } | null {
  if (s.method !== 'binary' || s.reads.length !== 2) return null;
  const ci = s.reads.indexOf(c);
  if (ci < 0 || s.reads[1 - ci] === c) return null;
  const other = s.reads[1 - ci];
  const shape = s.refs[1 - ci].shape;
  const v = values[other];
  if (!isConst(v) || v.dtype !== 'float32') return null;
  const perChannel = shape.length === 4 && shape[1] === o && shape[0] === 1 && shape[2] === 1 && shape[3] === 1;
  const outShape = s.args[3] as readonly number[];
  const sameOut = values[c].shape.every((d, i) => d === outShape[i]);
  return perChannel && sameOut ? { other, cFirst: ci === 0 } : null;
}

/**
 * conv2d → ×scale → +shift (→ relu), with per-channel constant scale and shift, becomes one
 * conv2d with weight·scale, bias·scale + shift and relu in its epilogue: an inference
 * BatchNorm costs nothing. The convolution's output must be read by the next step only.
 */
export function foldIntoConv(rec: Recording, outputs: readonly number[]): Recording {
  const values = [...rec.values];
  let steps: (Step | null)[] = rec.steps.map((s) =>
    s.type === 'kernel' ? { ...s, reads: [...s.reads], refs: [...s.refs], args: [...s.args] } : s,
  );
  const kept = new Set(outputs);
  let changed = true;
  while (changed) {
    changed = false;
    const live = steps.filter((s): s is Step => s !== null);
    steps = live;
    const readers = readersOf(live);
    for (let i = 0; i < live.length; i++) {
      const conv = live[i];
      if (conv.type !== 'kernel' || conv.method !== 'conv2d') continue;
      const epilogue = conv.args[3] as { bias?: { shape: readonly number[] }; activation?: string } | undefined;
      if (epilogue?.activation) continue;
      const r = readers.get(conv.out) ?? [];
      if (r.length !== 1 || kept.has(conv.out)) continue;
      const next = live[r[0]];
      if (next.type !== 'kernel') continue;
      const p = conv.args[2] as { o: number };
      const wRef = conv.args[1];
      const wi = conv.refs.indexOf(wRef as never);
      const biasRef = epilogue?.bias;
      const bi = biasRef ? conv.refs.indexOf(biasRef as never) : -1;
      const weight = values[conv.reads[wi]];
      const bias = bi >= 0 ? values[conv.reads[bi]] : null;
      if (!isConst(weight) || (bias && !isConst(bias))) continue;
      const op = next.method === 'binary' ? (next.args[0] as string) : next.method === 'unary' ? (next.args[0] as string) : '';
      let newW: Tensor | null = null;
      let newB: Tensor | null = null;
      let activation: string | undefined;
      if (op === 'relu') {
        activation = 'relu';
      } else {
        const ch = channelOperand(values, next, conv.out, p.o);
        if (!ch) continue;
        const k = reshape(values[ch.other].tensor as Tensor, [p.o]);
        const b = bias ? reshape(bias.tensor as Tensor, [p.o]) : null;
        if (op === 'mul') {
          newW = mul(weight.tensor as Tensor, reshape(k, [p.o, 1, 1, 1]));
          newB = b && mul(b, k);
        } else if (op === 'add' || (op === 'sub' && ch.cFirst)) {
          newB = b ? (op === 'add' ? add(b, k) : sub(b, k)) : op === 'add' ? k : mul(k, -1);
        } else continue;
      }
      const args = [...conv.args];
      const refs = [...conv.refs];
      const reads = [...conv.reads];
      if (newW) reads[wi] = addConst(values, newW);
      let bRef = biasRef;
      if (newB) {
        const b = addConst(values, newB);
        if (bi >= 0) reads[bi] = b;
        else {
          bRef = { buf: null, shape: [p.o], dtype: 'float32' } as never;
          refs.push(bRef as never);
          reads.push(b);
        }
      }
      args[3] = bRef || activation ? { bias: bRef, activation } : undefined;
      steps = live.map((s, j) => (j === i ? { ...conv, args, refs, reads, out: next.out } : j === r[0] ? null : s));
      changed = true;
      break;
    }
  }
  return { ...rec, values, steps: steps.filter((s): s is Step => s !== null) };
}
