import type { Tensor } from '@mge/core';
import * as core from '@mge/core';
import type { GraphNode, GraphValue } from '@mge/jit';
import { EXEC } from './exec.js';
import { type AttrValue, attrValue, type Ctx, currentBuildDevice, fromProto, HANDLERS, onBuildDevice, type Val } from './import-ops.js';
import { OnnxModel } from './model.js';
import { type ModelProto, onnx, ourDType } from './proto.js';

export interface LoadOnnxOptions {
  /**
   * Concrete shapes for inputs whose ONNX shape has symbolic or unknown dimensions (by input
   * name). Without it such a dimension is 1. The loaded graph is static: a run takes exactly these shapes.
   */
  inputShapes?: Readonly<Record<string, readonly number[]>>;
  /**
   * Where the reader runs the model once while it builds the graph: a device that reads
   * synchronously, 'js' (default) or 'cpu' (much faster for large inputs). Runs use any device.
   */
  buildDevice?: string;
}

/** Parses an ONNX model (bytes of a .onnx file). */
export function parseOnnx(bytes: Uint8Array): ModelProto {
  if (!(bytes instanceof Uint8Array))
    throw new TypeError(
      `loadOnnx: argument 'bytes' must be a Uint8Array (the .onnx file's contents), got ${bytes === null ? 'null' : typeof bytes}`,
    );
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new Error(`loadOnnx: the bytes are not an ONNX model (protobuf decoding failed: ${(e as Error).message})`);
  }
  if (!model.graph) throw new Error('loadOnnx: the model has no graph');
  return onnx.ModelProto.toObject(model, { longs: Number, defaults: false }) as ModelProto;
}

/**
 * An ONNX model as a runnable OnnxModel. The graph is built once, for the inputs' declared
 * shapes: constant parts (shape arithmetic, Constant nodes) are folded, and every other
 * node becomes one of core's or functional's operators. The first operator it cannot run
 * is an error that names it (its ONNX op type and node name).
 */
export function loadOnnx(bytes: Uint8Array, options: LoadOnnxOptions = {}): OnnxModel {
  const model = parseOnnx(bytes);
  const g = model.graph!;
  const opsetEntry = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  const opset = Number(opsetEntry?.version ?? 0);
  const nodes = g.node ?? [];
  // every operator is checked before any is run, so the first one missing is the one named
  for (const n of nodes) {
    if (n.domain && n.domain !== 'ai.onnx')
      throw new Error(
        `loadOnnx: operator '${n.domain}.${n.opType}' (node '${n.name}') cannot be run: only the default ONNX domain is supported`,
      );
    if (!Object.hasOwn(HANDLERS, n.opType ?? ''))
      throw new Error(
        `loadOnnx: operator '${n.opType}' (node '${n.name ?? ''}') cannot be run: it has no mapping to MegEngine.ts operators`,
      );
  }
  const device = options.buildDevice ?? 'js';
  if (typeof device !== 'string' || !core.getBackend(device).readSync) {
    throw new Error(
      `loadOnnx: option 'buildDevice' must name a device that reads synchronously ('js' or 'cpu'), got ${JSON.stringify(device)}`,
    );
  }
  return onBuildDevice(device, () => core.noGrad(() => build(g, opset, options)));
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function build(g: NonNullable<ModelProto['graph']>, opset: number, options: LoadOnnxOptions): OnnxModel {
  const values: Mutable<GraphValue>[] = [];
  const graphNodes: GraphNode[] = [];
  const byName = new Map<string, Val>();
  const tensors: Tensor[] = [];
  const newVal = (t: Tensor, kind: GraphValue['kind'], name?: string): Val => {
    const id = values.length;
    values.push({ id, shape: [...t.shape], dtype: t.dtype, kind, ...(name ? { name } : {}) });
    tensors.push(t);
    return { id, tensor: t, constant: kind === 'const', name };
  };
  for (const init of g.initializer ?? [])
    byName.set(init.name ?? '', newVal(fromProto('initializer', init), 'const', init.name ?? undefined));
  const inputNames: string[] = [];
  const inputs: number[] = [];
  for (const vi of g.input ?? []) {
    const name = vi.name ?? '';
    if (byName.has(name)) continue; // an initializer listed as an input (IR < 4 style): a constant
    const tt = vi.type?.tensorType;
    if (!tt) throw new Error(`loadOnnx: input '${name}' is not a tensor`);
    const dtype = ourDType(`input '${name}'`, tt.elemType ?? 0);
    const given = options.inputShapes?.[name];
    const declared = (tt.shape?.dim ?? []).map((d) =>
      d.dimValue !== undefined && d.dimValue !== null && Number(d.dimValue) > 0 ? Number(d.dimValue) : 1,
    );
    const shape = given ? [...given] : declared;
    if (given && given.length !== declared.length)
      throw new Error(`loadOnnx: option inputShapes['${name}'] has rank ${given.length}, the model's input has rank ${declared.length}`);
    const v = newVal(core.zeros(shape, { dtype, device: currentBuildDevice() }), 'input', name);
    byName.set(name, v);
    inputNames.push(name);
    inputs.push(v.id);
  }
  if (options.inputShapes) {
    for (const k of Object.keys(options.inputShapes))
      if (!inputNames.includes(k))
        throw new Error(`loadOnnx: option inputShapes names '${k}', which is not an input (inputs are ${inputNames.join(', ')})`);
  }

  for (const n of g.node ?? []) {
    const op = n.opType ?? '';
    const where = `loadOnnx: ${op} (node '${n.name ?? ''}')`;
    const fail = (m: string) => new Error(`${where}: ${m}`);
    const attrs: Record<string, AttrValue> = {};
    for (const a of n.attribute ?? []) attrs[a.name ?? ''] = attrValue(a);
    const inNames = n.input ?? [];
    const get = (i: number): Val => {
      const name = inNames[i];
      if (!name) throw fail(`input ${i} is missing`);
      const v = byName.get(name);
      if (!v) throw fail(`input '${name}' is not produced by any earlier node`);
      return v;
    };
    const record = (opName: string, ins: readonly Val[], a: Record<string, unknown>, count: number): Val[] => {
      const exec = EXEC[opName];
      let out: Tensor | Tensor[];
      try {
        out = exec(
          ins.map((v) => v.tensor),
          a,
        );
      } catch (e) {
        throw fail((e as Error).message);
      }
      const outs = Array.isArray(out) ? out : [out];
      if (outs.length !== count) throw fail(`'${opName}' gave ${outs.length} outputs, expected ${count}`);
      if (ins.every((v) => v.constant)) return outs.map((t) => newVal(t, 'const'));
      const vals = outs.map((t) => newVal(t, 'op'));
      graphNodes.push({ op: opName, inputs: ins.map((v) => v.id), outputs: vals.map((v) => v.id), attrs: a });
      return vals;
    };
    const ctx: Ctx = {
      op,
      opset,
      attrs,
      outputs: (n.output ?? []).length,
      arity: inNames.length,
      has: (i) => !!inNames[i],
      in: get,
      shape: (i) => get(i).tensor.shape,
      host: (i, what) => {
        const v = get(i);
        if (!v.constant)
          throw fail(`input '${what}' must be a constant (computed from initializers and shapes), it depends on the model's inputs`);
        return Array.from(v.tensor.dataSync() as ArrayLike<number>);
      },
      int: (name, fallback) => {
        const v = attrs[name] ?? fallback;
        if (typeof v !== 'number') throw fail(`attribute '${name}' must be an integer, got ${JSON.stringify(v)}`);
        return v;
      },
      float: (name, fallback) => {
        const v = attrs[name] ?? fallback;
        if (typeof v !== 'number') throw fail(`attribute '${name}' must be a number, got ${JSON.stringify(v)}`);
        return v;
      },
      ints: (name, fallback) => {
        const v = attrs[name] ?? fallback;
        if (!Array.isArray(v)) throw fail(`attribute '${name}' must be a list of integers, got ${JSON.stringify(v)}`);
        return v as number[];
      },
      call: (opName, ins, a = {}) => record(opName, ins, a, 1)[0],
      callMany: (opName, ins, a, count) => record(opName, ins, a, count),
      constant: (t) => newVal(t, 'const'),
      fail,
    };
    const result = HANDLERS[op](ctx);
    const outs = Array.isArray(result) ? result : [result];
    (n.output ?? []).forEach((name, i) => {
      if (!name) return;
      if (!outs[i]) throw fail(`output ${i} ('${name}') is not supported`);
      byName.set(name, outs[i]);
    });
  }

  const outputNames: string[] = [];
  const outputs = (g.output ?? []).map((vi) => {
    const v = byName.get(vi.name ?? '');
    if (!v) throw new Error(`loadOnnx: output '${vi.name}' is not produced by the graph`);
    outputNames.push(vi.name ?? '');
    return v.id;
  });
  // constants read by operators (or returned) keep their data; folded intermediates are dropped
  const needed = new Set<number>([...graphNodes.flatMap((n) => n.inputs), ...outputs]);
  for (const v of values) {
    if (v.kind === 'const' && needed.has(v.id)) v.data = tensors[v.id].dataSync() as GraphValue['data'];
  }
  return new OnnxModel({ values, nodes: graphNodes, inputs, outputs }, inputNames, outputNames, opset);
}
