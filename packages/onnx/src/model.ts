import type { Tensor } from '@mge/core';
import * as core from '@mge/core';
import type { Graph } from '@mge/jit';
import { EXEC } from './exec.js';

export interface RunOptions {
  /** The device to run on (default: core's default device). */
  device?: string;
}

/** An ONNX model loaded as a static Graph of core's operators, runnable on any registered backend. */
export class OnnxModel {
  private readonly consts = new Map<string, Map<number, Tensor>>();

  constructor(
    /** The graph, in the operator names of core and functional (see exec.ts). */
    readonly graph: Graph,
    readonly inputNames: readonly string[],
    readonly outputNames: readonly string[],
    /** The ONNX opset the model was written for. */
    readonly opset: number,
  ) {}

  /** Runs the model: inputs in the order of `inputNames` (or by name); outputs in the order of `outputNames`. */
  run(inputs: readonly Tensor[] | Readonly<Record<string, Tensor>>, options: RunOptions = {}): Tensor[] {
    const list = Array.isArray(inputs)
      ? (inputs as readonly Tensor[])
      : this.inputNames.map((n) => {
          const t = (inputs as Record<string, Tensor>)[n];
          if (t === undefined) throw new Error(`OnnxModel.run: input '${n}' is missing (inputs are ${this.inputNames.join(', ')})`);
          return t;
        });
    if (list.length !== this.graph.inputs.length) {
      throw new Error(
        `OnnxModel.run: the model takes ${this.graph.inputs.length} inputs (${this.inputNames.join(', ')}), got ${list.length}`,
      );
    }
    const device = options.device ?? core.getDefaultDevice();
    return runGraph(this.graph, list, device, this.constsOn(device), this.inputNames);
  }

  private constsOn(device: string): Map<number, Tensor> {
    let m = this.consts.get(device);
    if (!m) {
      m = new Map();
      for (const v of this.graph.values) {
        if ((v.kind === 'const' || v.kind === 'param') && v.data)
          m.set(v.id, core.tensor(v.data, { dtype: v.dtype, device }).reshape([...v.shape]));
      }
      this.consts.set(device, m);
    }
    return m;
  }
}

/**
 * Runs a graph of core's and functional's operators (as the reader builds) on `device`.
 * Const values come from `consts` (uploaded once by the caller) or from their data.
 */
export function runGraph(
  graph: Graph,
  inputs: readonly Tensor[],
  device: string,
  consts?: Map<number, Tensor>,
  names?: readonly string[],
): Tensor[] {
  return core.noGrad(() => {
    const env = new Map<number, Tensor>(consts);
    graph.inputs.forEach((id, i) => {
      const v = graph.values[id];
      const t = inputs[i];
      if (!(t instanceof core.Tensor))
        throw new TypeError(`runGraph: input ${i} (${names?.[i] ?? v.name}) must be a Tensor, got ${typeof t}`);
      if (t.dtype !== v.dtype || t.shape.length !== v.shape.length || t.shape.some((d, j) => d !== v.shape[j])) {
        throw new Error(
          `runGraph: input ${i} (${names?.[i] ?? v.name}) must be ${v.dtype} of shape [${v.shape.join(', ')}], got ${t.dtype} of shape [${t.shape.join(', ')}] (load with { inputShapes } for other shapes)`,
        );
      }
      env.set(id, t.device === device ? t : t.to(device));
    });
    for (const v of graph.values) {
      if ((v.kind === 'const' || v.kind === 'param') && !env.has(v.id) && v.data)
        env.set(v.id, core.tensor(v.data, { dtype: v.dtype, device }).reshape([...v.shape]));
    }
    for (const node of graph.nodes) {
      const exec = EXEC[node.op];
      if (!exec) throw new Error(`runGraph: operator '${node.op}' is not one the ONNX reader's graphs use`);
      const ins = node.inputs.map((id) => {
        const t = env.get(id);
        if (!t) throw new Error(`runGraph: '${node.op}' reads value ${id} before it is made`);
        return t;
      });
      const out = exec(ins, node.attrs);
      const outs = Array.isArray(out) ? out : [out];
      for (const [i, id] of node.outputs.entries()) env.set(id, outs[i]);
    }
    return graph.outputs.map((id) => env.get(id) as Tensor);
  });
}
