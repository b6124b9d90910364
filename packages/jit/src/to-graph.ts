import { getBackend, type Tensor } from '@mge/core';
import { METHOD_PARAMS } from './attrs.js';
import type { Graph, GraphNode, GraphValue } from './graph.js';
import type { Program } from './program.js';
import { isRef } from './refs.js';
import type { NamedTensors } from './trace.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** A JSON-friendly copy of an attribute: TensorRefs become null (they are node inputs). */
function plain(v: unknown): unknown {
  if (isRef(v)) return null;
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === 'object' && v !== null) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (!isRef(x)) o[k] = plain(x);
    return o;
  }
  return v;
}

/**
 * The static graph of a program: one node per kernel (named by core's operator, with the
 * Backend method's non-tensor arguments as attrs), a 'reshape' node wherever a value is read
 * under another shape, and the in-place updates as `updates`. Param and const values carry
 * their data (read now, or as frozen by captureAsConst).
 */
export async function toGraph(program: Program, names?: NamedTensors): Promise<Graph> {
  const rec = program.recording;
  const nameOf = new Map<Tensor, string>();
  if (names?.namedParameters) for (const [k, t] of names.namedParameters()) nameOf.set(t, k);
  if (names?.namedBuffers) for (const [k, t] of names.namedBuffers()) nameOf.set(t, k);
  const values: Mutable<GraphValue>[] = [];
  for (const v of rec.values) {
    const g: Mutable<GraphValue> = { id: v.id, shape: [...v.shape], dtype: v.dtype, kind: v.kind };
    if (v.kind === 'input') g.name = `input${v.input}`;
    if (v.tensor) {
      const name = nameOf.get(v.tensor);
      if (name) g.name = name;
      const buf = program.constBuf(v.id);
      const size = v.shape.reduce((a, b) => a * b, 1);
      g.data = (await getBackend(v.device).read(buf, v.dtype, size)) as GraphValue['data'];
      if (program.captured) g.kind = 'const';
    }
    values.push(g);
  }
  const nodes: GraphNode[] = [];
  const reshaped = new Map<string, number>();
  const input = (id: number, shape: readonly number[]): number => {
    if (sameShape(values[id].shape, shape)) return id;
    const key = `${id}:${shape.join(',')}`;
    const seen = reshaped.get(key);
    if (seen !== undefined) return seen;
    const out = values.length;
    values.push({ id: out, shape: [...shape], dtype: values[id].dtype, kind: 'op' });
    nodes.push({ op: 'reshape', inputs: [id], outputs: [out], attrs: { shape: [...shape] } });
    reshaped.set(key, out);
    return out;
  };
  const updates: { target: number; value: number }[] = [];
  for (const s of rec.steps) {
    if (s.type === 'reset') {
      updates.push({ target: s.targetValue, value: s.value });
      continue;
    }
    const inputs = s.refs.map((r, i) => input(s.reads[i], r.shape));
    const params = METHOD_PARAMS[s.method] ?? s.args.map((_, i) => `arg${i}`);
    const attrs: Record<string, unknown> = {};
    s.args.forEach((a, i) => {
      const name = params[i] ?? `arg${i}`;
      if (isRef(a) || name === 'op' || a === undefined) return;
      if (Array.isArray(a) && a.length > 0 && a.every(isRef)) return;
      if (name === 'epilogue') {
        const e = a as { activation?: string };
        if (e.activation) attrs.activation = e.activation;
        return;
      }
      attrs[name] = plain(a);
    });
    nodes.push({ op: s.op, kernel: s.method, inputs, outputs: [s.out], attrs });
  }
  return { values, nodes, inputs: [...rec.inputs], outputs: [...program.outputs], ...(updates.length ? { updates } : {}) };
}
