import type { DType, Tensor } from '@mge/core';
import type { Graph, GraphNode, GraphValue } from '@mge/jit';
import * as ort from 'onnxruntime-node';

type Data = Float32Array | Int32Array | Uint8Array;

/** Builds a Graph by hand, value by value, as a trace would record it. */
export class GraphBuilder {
  readonly values: GraphValue[] = [];
  readonly nodes: GraphNode[] = [];
  readonly inputs: number[] = [];

  private add(v: Omit<GraphValue, 'id'>): number {
    const id = this.values.length;
    this.values.push({ id, ...v });
    return id;
  }
  input(shape: number[], dtype: DType = 'float32'): number {
    const id = this.add({ shape, dtype, kind: 'input', name: `input${this.inputs.length}` });
    this.inputs.push(id);
    return id;
  }
  param(name: string, shape: number[], data: Data, dtype: DType = 'float32'): number {
    return this.add({ shape, dtype, kind: 'param', name, data });
  }
  op(
    op: string,
    inputs: number[],
    shape: number[],
    attrs: Record<string, unknown> = {},
    dtype: DType = 'float32',
    kernel?: string,
  ): number {
    const out = this.add({ shape, dtype, kind: 'op' });
    this.nodes.push({ op, inputs, outputs: [out], attrs, ...(kernel ? { kernel } : {}) } as GraphNode);
    return out;
  }
  graph(outputs: number[]): Graph {
    return { values: this.values, nodes: this.nodes, inputs: this.inputs, outputs };
  }
}

/** Seeded values in [-1, 1). */
export function randomData(size: number, seed = 1): Float32Array {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: size }, () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

const ORT_TYPE: Record<DType, ort.Tensor.Type> = { float32: 'float32', int32: 'int32', bool: 'bool' };

/** Runs an ONNX model in onnxruntime-node on our tensors; outputs in graph order. */
export async function runOrt(bytes: Uint8Array, inputs: readonly Tensor[]): Promise<Data[]> {
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled' });
  const feeds: Record<string, ort.Tensor> = {};
  for (const [i, name] of session.inputNames.entries()) {
    const t = inputs[i];
    const data = await t.data();
    feeds[name] = new ort.Tensor(ORT_TYPE[t.dtype], t.dtype === 'bool' ? Uint8Array.from(data as Uint8Array) : data, [...t.shape]);
  }
  const result = await session.run(feeds);
  return session.outputNames.map((n) => result[n].data as Data);
}

/** The largest |a − b| / max(1, |b|) over all elements. */
export function maxRelError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return m;
}
