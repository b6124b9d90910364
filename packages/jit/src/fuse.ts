import { type Backend, BINARY, getBackend, UNARY } from '@mge/core';
import { fuseConvEpilogues } from './epilogues.js';
import { prepackWeights } from './prepack.js';
import type { KernelStep, Recording, RecValue, Step } from './recording.js';

/**
 * Elementwise chains fused into one loop (trace's `symbolic`): float32 unary and binary steps
 * whose operands are the full output or a single value, joined where an intermediate value has
 * one reader and nothing else holds it. The loop is generated from core's elementwise table
 * (each row's `js` function, rounded to float32 after every operator exactly as the js backend
 * stores it), so a fused chain computes what its operators computed one by one, in one pass and
 * one output buffer. It runs on backends whose buffers are host typed arrays.
 */

/**
 * Backends where a generated JS loop beats their own kernels one by one. Not cpu: its native
 * kernels (SIMD, threads) ran a 6-operator chain over 2M elements in 120–154 ms against the
 * fused JS loop's 314–369 ms (same run, 2 threads). A backend with the optional
 * `elementwiseProgram` (cpu, webgpu) gets the chain as one program of table operators instead.
 */
const FUSE_ON = new Set(['js']);

/** How a backend runs a fused chain: a generated JS loop, its own program kernel, or not at all. */
function fuseMode(device: string): 'js' | 'program' | null {
  const b = getBackend(device);
  if (FUSE_ON.has(b.name)) return 'js';
  return b.elementwiseProgram ? 'program' : null;
}

export interface FusedStep {
  readonly type: 'fused';
  readonly device: string;
  readonly reads: number[];
  readonly out: number;
  /** Computes the output buffer from the input buffers (in `reads` order). */
  readonly run: (inputs: unknown[]) => unknown;
  /** How many recorded steps it replaces. */
  readonly size: number;
}

interface Member {
  step: KernelStep;
  fn: (...a: number[]) => number;
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

function fusable(values: readonly RecValue[], s: Step): Member | null {
  if (s.type !== 'kernel' || (s.method !== 'unary' && s.method !== 'binary')) return null;
  const out = values[s.out];
  if (out.dtype !== 'float32') return null;
  const name = s.args[0] as string;
  const row = s.method === 'unary' ? UNARY[name as keyof typeof UNARY] : BINARY[name as keyof typeof BINARY];
  if (!row || (row.dtype !== 'float' && row.dtype !== 'arith' && row.dtype !== 'signed' && row.dtype !== 'rounding')) return null;
  for (let i = 0; i < s.reads.length; i++) {
    const v = values[s.reads[i]];
    if (v.dtype !== 'float32') return null;
    const shape = s.refs[i].shape;
    if (!sameShape(shape, out.shape) && !shape.every((d) => d === 1)) return null;
  }
  return { step: s, fn: row.js as (...a: number[]) => number };
}

/** The generated loop of a group, members in order; `inputs` lists the outside values read. */
function compile(values: readonly RecValue[], members: Member[], inputs: number[], device: string): FusedStep['run'] {
  const inside = new Map<number, string>();
  const n = values[members[members.length - 1].step.out].shape.reduce((a, b) => a * b, 1);
  const lines: string[] = [];
  const pre: string[] = [];
  const operand = (v: number, shape: readonly number[]): string => {
    const t = inside.get(v);
    if (t) return t;
    let k = inputs.indexOf(v);
    if (k < 0) {
      k = inputs.length;
      inputs.push(v);
      pre.push(`const x${k} = ins[${k}];`);
    }
    return shape.every((d) => d === 1) && n !== 1 ? `x${k}[0]` : `x${k}[i]`;
  };
  members.forEach((m, j) => {
    const args = m.step.reads.map((v, i) => operand(v, m.step.refs[i].shape));
    lines.push(`const t${j} = fround(f${j}(${args.join(', ')}));`);
    inside.set(m.step.out, `t${j}`);
  });
  const body = `${pre.join('\n')}\nfor (let i = 0; i < n; i++) {\n${lines.join('\n')}\nout[i] = t${members.length - 1};\n}`;
  const fns = members.map((m) => m.fn);
  const loop = new Function('fround', ...fns.map((_, j) => `f${j}`), `return (ins, out, n) => {\n${body}\n};`)(Math.fround, ...fns) as (
    ins: unknown[],
    out: Float32Array,
    n: number,
  ) => void;
  const backend: Backend = getBackend(device);
  return (ins) => {
    const out = backend.allocate('float32', n) as Float32Array;
    loop(ins, out, n);
    return out;
  };
}

/**
 * A group as one `elementwiseProgram` step of its backend: the same operators, each reading
 * earlier results of the group or the outside values (`inputs`, full size or one element).
 */
function programStep(values: readonly RecValue[], members: Member[]): KernelStep {
  const inside = new Map<number, number>();
  const inputs: number[] = [];
  const refs: { buf: unknown; shape: readonly number[]; dtype: string }[] = [];
  const program = members.map((m, j) => {
    const args = m.step.reads.map((v, i) => {
      const k = inside.get(v);
      if (k !== undefined) return k;
      let at = inputs.indexOf(v);
      if (at < 0) {
        at = inputs.length;
        inputs.push(v);
        refs.push({ buf: null, shape: m.step.refs[i].shape, dtype: 'float32' });
      }
      return -1 - at;
    });
    inside.set(m.step.out, j);
    return { kind: m.step.method as 'unary' | 'binary', op: m.step.args[0] as string, args };
  });
  const last = members[members.length - 1].step;
  const size = values[last.out].shape.reduce((a, b) => a * b, 1);
  return {
    type: 'kernel',
    op: 'elementwiseProgram',
    method: 'elementwiseProgram',
    device: last.device,
    args: [program, refs, size],
    refs,
    reads: inputs,
    out: last.out,
  };
}

/** The recording's steps with elementwise chains fused, on the backends that gain from it. */
export function fuseElementwise(rec: Recording, outputs: readonly number[]): (Step | FusedStep)[] {
  const { values, steps } = rec;
  const escapes = new Set(outputs);
  const readers = new Map<number, number>();
  for (const s of steps) {
    if (s.type === 'reset') escapes.add(s.value);
    else for (const v of new Set(s.reads)) readers.set(v, (readers.get(v) ?? 0) + 1);
  }
  // the member whose output feeds the next member of its group
  const groupOf = new Map<number, Member[]>();
  const result: (Step | FusedStep)[] = [];
  const open = new Map<number, Member[]>(); // value → the group that produced it, still open
  const flush = (g: Member[]) => {
    const last = g[g.length - 1].step;
    if (g.length === 1) {
      result.push(last);
      return;
    }
    if (fuseMode(last.device) === 'program') {
      const step = programStep(values, g);
      // the addon takes up to 64 instructions and 64 inputs: a longer chain stays unfused
      if (g.length <= 64 && step.reads.length <= 64) result.push(step);
      else for (const m of g) result.push(m.step);
      return;
    }
    const inputs: number[] = [];
    let run: FusedStep['run'];
    try {
      run = compile(values, g, inputs, last.device);
    } catch {
      for (const m of g) result.push(m.step); // no code generation here (a strict CSP): unfused
      return;
    }
    result.push({ type: 'fused', device: last.device, reads: inputs, out: last.out, run, size: g.length });
  };
  for (const s of steps) {
    if (s.type === 'reset') {
      // a reset may change what an outside value reads: groups do not cross it
      for (const g of new Set(open.values())) flush(g);
      open.clear();
      result.push(s);
      continue;
    }
    const m = fuseMode(s.device) ? fusable(values, s) : null;
    // inputs from open groups: a single-reader intermediate of the same size joins its group
    const joined = new Set<Member[]>();
    if (m) {
      for (const v of s.reads) {
        const g = open.get(v);
        if (g && readers.get(v) === 1 && !escapes.has(v) && sameShape(values[v].shape, values[s.out].shape)) joined.add(g);
      }
    }
    // every open group this step reads but does not join is finished first
    for (const v of s.reads) {
      const g = open.get(v);
      if (g && !joined.has(g)) {
        for (const [k, h] of open) if (h === g) open.delete(k);
        flush(g);
      }
    }
    if (!m) {
      result.push(s);
      continue;
    }
    const group: Member[] = [];
    for (const g of joined) {
      for (const [k, h] of open) if (h === g) open.delete(k);
      group.push(...g);
    }
    group.push(m);
    open.set(s.out, group);
    groupOf.set(s.out, group);
  }
  for (const g of new Set(open.values())) flush(g);
  return result;
}

/**
 * The steps a program runs: with `inference` (trace's optimizeForInference), convolution tails
 * taken into the convolution's epilogue where the backend can (epilogues.ts) and constant
 * weights prepared once for the backend's kernel (prepack.ts); with either,
 * elementwise chains fused.
 */
export function lower(rec: Recording, outputs: readonly number[], o: { symbolic: boolean; inference: boolean }): (Step | FusedStep)[] {
  const r = o.inference ? { ...rec, steps: prepackWeights(rec, fuseConvEpilogues(rec, outputs)) } : rec;
  return o.symbolic || o.inference ? fuseElementwise(r, outputs) : r.steps;
}
