import { BINARY_OPS, type Conv2dParams, type DType, type MatmulParams, type Pool2dParams, UNARY_OPS } from '@mge/core';
import type { Graph, GraphNode, GraphValue } from '@mge/jit';
import { attribute, type NodeProto, onnx, onnxDType, type TensorProto, tensorProto } from './proto.js';
import { stridedSteps } from './strided.js';

/** The opset the writer targets: the first with LayerNormalization, as the issue asks (≥ 17). */
export const OPSET = 17;
/** ONNX IR version 8 goes with opset 17 (ONNX 1.12). */
const IR_VERSION = 8;

export interface ToOnnxOptions {
  /** Names of the graph inputs, in order (default: the graph's value names, else input0, input1, …). */
  inputNames?: readonly string[];
  /** Names of the graph outputs, in order (default: output0, output1, …). */
  outputNames?: readonly string[];
  /** The graph's name inside the model (default 'megengine'). */
  graphName?: string;
  /** Written as the model's doc string. */
  docString?: string;
}

const UNARY_ONNX: Readonly<Record<string, string>> = {
  neg: 'Neg',
  abs: 'Abs',
  sign: 'Sign',
  exp: 'Exp',
  log: 'Log',
  sqrt: 'Sqrt',
  sigmoid: 'Sigmoid',
  tanh: 'Tanh',
  relu: 'Relu',
  floor: 'Floor',
  ceil: 'Ceil',
  round: 'Round',
  sin: 'Sin',
  cos: 'Cos',
  tan: 'Tan',
  erf: 'Erf',
  logicalNot: 'Not',
  softplus: 'Softplus',
};
const BINARY_ONNX: Readonly<Record<string, string>> = {
  add: 'Add',
  sub: 'Sub',
  mul: 'Mul',
  div: 'Div',
  pow: 'Pow',
  maximum: 'Max',
  minimum: 'Min',
  eq: 'Equal',
  lt: 'Less',
  le: 'LessOrEqual',
  gt: 'Greater',
  ge: 'GreaterOrEqual',
  logicalAnd: 'And',
  logicalOr: 'Or',
};
const REDUCE_ONNX: Readonly<Record<string, string>> = { sum: 'ReduceSum', prod: 'ReduceProd', max: 'ReduceMax', min: 'ReduceMin' };

/** The Backend method that ran a node: the trace says so; otherwise it follows from the op name. */
export function nodeKernel(node: GraphNode): string {
  const k = (node as { kernel?: string }).kernel;
  if (k) return k;
  const op = node.op;
  if ((UNARY_OPS as readonly string[]).includes(op)) return 'unary';
  if ((BINARY_OPS as readonly string[]).includes(op)) return 'binary';
  if (op in REDUCE_ONNX) return 'reduce';
  if (op === 'argmax' || op === 'argmin') return 'argReduce';
  if (op === 'astype') return 'cast';
  if (op === 'linear') return 'matmul';
  if (op === 'maxPool2d' || op === 'avgPool2d') return 'pool2d';
  if (op === 'transpose' || op === 'broadcastTo' || op === 'index') return 'strided';
  if (op === 'convTranspose2d') return 'conv2dBackwardInput';
  return op;
}

class Builder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private readonly names = new Map<number, string>();
  private readonly used = new Set<string>();
  private counter = 0;

  constructor(readonly graph: Graph) {}

  /** `exact` when that name is free, else `exact_N`; the names of helper nodes and tensors. */
  fresh(prefix: string, exact = false): string {
    if (exact && !this.used.has(prefix)) {
      this.used.add(prefix);
      return prefix;
    }
    let name = `${prefix}_${this.counter++}`;
    while (this.used.has(name)) name = `${prefix}_${this.counter++}`;
    this.used.add(name);
    return name;
  }

  claim(id: number, wanted: string | undefined): string {
    let name = wanted && !this.used.has(wanted) ? wanted : `v${id}`;
    while (this.used.has(name)) name = `${name}_`;
    this.used.add(name);
    this.names.set(id, name);
    return name;
  }

  named(id: number): boolean {
    return this.names.has(id);
  }

  name(id: number): string {
    const n = this.names.get(id);
    if (n !== undefined) return n;
    const v = this.value(id);
    if (v.kind === 'param' || v.kind === 'const') {
      if (!v.data)
        throw new Error(`toOnnx: ${v.kind} value ${id}${v.name ? ` ('${v.name}')` : ''} carries no data; the graph must hold its weights`);
      const name = this.claim(id, v.name);
      this.initializers.push(tensorProto(name, v.shape, v.dtype, v.data));
      return name;
    }
    return this.claim(id, undefined);
  }

  value(id: number): GraphValue {
    const v = this.graph.values[id];
    if (!v || v.id !== id) throw new Error(`toOnnx: the graph has no value ${id} (values must be indexed by id)`);
    return v;
  }

  constant(prefix: string, dims: readonly number[], dtype: DType | 'int64', data: ArrayLike<number>): string {
    const name = this.fresh(prefix);
    this.initializers.push(tensorProto(name, dims, dtype, data));
    return name;
  }

  node(
    opType: string,
    inputs: readonly string[],
    output: string | string[],
    attrs: Record<string, number | string | readonly number[]> = {},
  ): string {
    const outputs = Array.isArray(output) ? output : [output];
    this.nodes.push({
      opType,
      name: this.fresh(opType),
      input: [...inputs],
      output: outputs,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return outputs[0];
  }

  /** A node whose output is a fresh intermediate name. */
  temp(opType: string, inputs: readonly string[], attrs: Record<string, number | string | readonly number[]> = {}): string {
    return this.node(opType, inputs, this.fresh(opType.toLowerCase()), attrs);
  }

  reshape(x: string, shape: readonly number[], out?: string): string {
    const s = this.constant('shape', [shape.length], 'int64', shape);
    return out ? this.node('Reshape', [x, s], out) : this.temp('Reshape', [x, s]);
  }
}

/**
 * A Graph (a trace of an inference function, or any graph of core's operators) as an ONNX
 * model (opset 17) with every weight inside as an initializer. An operator without an ONNX
 * form is an error that names it.
 */
export function toOnnx(graph: Graph, options: ToOnnxOptions = {}): Uint8Array {
  checkGraph(graph);
  if (options === null || typeof options !== 'object')
    throw new TypeError(`toOnnx: argument 'options' must be an object, got ${options === null ? 'null' : typeof options}`);
  for (const key of ['inputNames', 'outputNames'] as const) {
    const names = options[key];
    const want = key === 'inputNames' ? graph.inputs.length : graph.outputs.length;
    if (names !== undefined && (!Array.isArray(names) || names.length !== want || names.some((n) => typeof n !== 'string' || n === ''))) {
      throw new TypeError(`toOnnx: option '${key}' must be ${want} non-empty strings, got ${JSON.stringify(names)}`);
    }
  }
  const b = new Builder(graph);
  const inputs = graph.inputs.map((id, i) => {
    const v = b.value(id);
    const name = b.claim(id, options.inputNames?.[i] ?? v.name ?? `input${i}`);
    return valueInfo(name, v);
  });
  // an output made by a node takes its name before the nodes run; an output that is an input,
  // a weight or an earlier output gets an Identity node of its own
  const producedBy = new Set(graph.nodes.flatMap((n) => n.outputs));
  const outputNames: string[] = [];
  const aliases: [number, string][] = [];
  graph.outputs.forEach((id, i) => {
    const wanted = options.outputNames?.[i] ?? `output${i}`;
    if (producedBy.has(id) && !b.named(id)) outputNames.push(b.claim(id, wanted));
    else {
      const name = b.fresh(wanted, true);
      aliases.push([id, name]);
      outputNames.push(name);
    }
  });
  for (const node of graph.nodes) emit(b, node);
  for (const [id, name] of aliases) b.node('Identity', [b.name(id)], name);
  const outputs = graph.outputs.map((id, i) => valueInfo(outputNames[i], b.value(id)));
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    producerName: 'MegEngine.ts',
    producerVersion: '0.1.0',
    docString: options.docString ?? '',
    opsetImport: [{ domain: '', version: OPSET }],
    graph: {
      name: options.graphName ?? 'megengine',
      node: b.nodes,
      initializer: b.initializers,
      input: inputs,
      output: outputs,
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

function valueInfo(name: string, v: GraphValue) {
  return {
    name,
    type: { tensorType: { elemType: onnxDType(v.dtype), shape: { dim: v.shape.map((d) => ({ dimValue: d })) } } },
  };
}

function checkGraph(graph: Graph): void {
  if (graph === null || typeof graph !== 'object' || !Array.isArray(graph.values) || !Array.isArray(graph.nodes)) {
    throw new TypeError(
      `toOnnx: argument 'graph' must be a Graph ({ values, nodes, inputs, outputs }), got ${graph === null ? 'null' : typeof graph}`,
    );
  }
  if (!Array.isArray(graph.inputs) || !Array.isArray(graph.outputs) || graph.outputs.length === 0) {
    throw new TypeError("toOnnx: argument 'graph' must list its inputs and at least one output");
  }
  const updates = (graph as { updates?: readonly unknown[] }).updates;
  if (updates && updates.length > 0) {
    throw new Error(
      `toOnnx: the graph updates ${updates.length} value(s) in place (an optimizer step, or BatchNorm statistics in training mode); ONNX holds inference only — trace the model in eval mode without the step`,
    );
  }
}

function emit(b: Builder, node: GraphNode): void {
  const kernel = nodeKernel(node);
  const at = (i: number) => {
    const id = node.inputs[i];
    if (id === undefined) throw new Error(`toOnnx: '${node.op}' node needs input ${i}, it has ${node.inputs.length}`);
    return b.name(id);
  };
  const shapeOf = (i: number) => b.value(node.inputs[i]).shape;
  const outId = node.outputs[0];
  const out = b.name(outId);
  const outValue = b.value(outId);
  const a = node.attrs as Record<string, unknown>;
  switch (kernel) {
    case 'unary': {
      if (node.op === 'log1p') {
        b.node('Log', [b.temp('Add', [at(0), b.constant('one', [], 'float32', [1])])], out);
      } else if (node.op === 'expm1') {
        b.node('Sub', [b.temp('Exp', [at(0)]), b.constant('one', [], 'float32', [1])], out);
      } else {
        const t = UNARY_ONNX[node.op];
        if (!t) throw unsupported(node);
        b.node(t, [at(0)], out);
      }
      return;
    }
    case 'binary': {
      if (node.op === 'ne') {
        b.node('Not', [b.temp('Equal', [at(0), at(1)])], out);
        return;
      }
      const t = BINARY_ONNX[node.op];
      if (!t) throw unsupported(node);
      b.node(t, [at(0), at(1)], out);
      return;
    }
    case 'where':
      b.node('Where', [at(0), at(1), at(2)], out);
      return;
    case 'cast':
      b.node('Cast', [at(0)], out, { to: onnxDType(outValue.dtype) });
      return;
    case 'reduce': {
      const axes = numbers(node, 'axes');
      const t = REDUCE_ONNX[node.op];
      if (!t) throw unsupported(node);
      if (t === 'ReduceSum') b.node(t, [at(0), b.constant('axes', [axes.length], 'int64', axes)], out, { keepdims: 1 });
      else b.node(t, [at(0)], out, { axes, keepdims: 1 });
      return;
    }
    case 'argReduce': {
      const axis = number(node, 'axis');
      const t = node.op === 'argmin' ? 'ArgMin' : 'ArgMax';
      b.node('Cast', [b.temp(t, [at(0)], { axis, keepdims: 1 })], out, { to: onnxDType('int32') });
      return;
    }
    case 'reshape':
      b.reshape(at(0), outValue.shape, out);
      return;
    case 'strided': {
      const outShape = numbers(node, 'outShape');
      const strides = numbers(node, 'strides');
      const offset = number(node, 'offset');
      emitStrided(b, at(0), shapeOf(0), outShape, strides, offset, out);
      return;
    }
    case 'concat':
      b.node(
        'Concat',
        node.inputs.map((_, i) => at(i)),
        out,
        { axis: number(node, 'axis') },
      );
      return;
    case 'pad': {
      const pads = a.pads as readonly (readonly [number, number])[];
      if (!Array.isArray(pads)) throw badAttr(node, 'pads', '[before, after] pairs', pads);
      const flat = [...pads.map((p) => p[0]), ...pads.map((p) => p[1])];
      const value = typeof a.value === 'number' ? a.value : 0;
      b.node(
        'Pad',
        [at(0), b.constant('pads', [flat.length], 'int64', flat), b.constant('pad_value', [], b.value(node.inputs[0]).dtype, [value])],
        out,
        {
          mode: 'constant',
        },
      );
      return;
    }
    case 'matmul':
      emitMatmul(b, node, at, shapeOf, out, outValue.shape);
      return;
    case 'conv2d': {
      const p = params<Conv2dParams>(node, ['kh', 'kw', 'sh', 'sw', 'ph', 'pw', 'dh', 'dw', 'groups']);
      const ins = [at(0), at(1)];
      if (node.inputs.length > 2) ins.push(shapeOf(2).length === 1 ? at(2) : b.reshape(at(2), [p.o]));
      const conv = {
        kernel_shape: [p.kh, p.kw],
        strides: [p.sh, p.sw],
        pads: [p.ph, p.pw, p.ph, p.pw],
        dilations: [p.dh, p.dw],
        group: p.groups,
      };
      if (a.activation === 'relu') b.node('Relu', [b.temp('Conv', ins, conv)], out);
      else if (a.activation === undefined) b.node('Conv', ins, out, conv);
      else throw badAttr(node, 'activation', "'relu' or none", a.activation);
      return;
    }
    case 'pool2d': {
      const p = params<Pool2dParams>(node, ['h', 'w', 'kh', 'kw', 'oh', 'ow', 'sh', 'sw', 'ph', 'pw']);
      const floorH = Math.floor((p.h + 2 * p.ph - p.kh) / p.sh) + 1;
      const floorW = Math.floor((p.w + 2 * p.pw - p.kw) / p.sw) + 1;
      const pool: Record<string, number | readonly number[]> = {
        kernel_shape: [p.kh, p.kw],
        strides: [p.sh, p.sw],
        pads: [p.ph, p.pw, p.ph, p.pw],
        ceil_mode: p.oh !== floorH || p.ow !== floorW ? 1 : 0,
      };
      if (node.op === 'avgPool2d') b.node('AveragePool', [at(0)], out, { ...pool, count_include_pad: 0 });
      else if (node.op === 'maxPool2d') b.node('MaxPool', [at(0)], out, pool);
      else throw unsupported(node);
      return;
    }
    case 'conv2dBackwardInput': {
      // a transposed convolution's forward; the input-gradient of a training step is not inference
      if (node.op !== 'convTranspose2d') throw unsupported(node);
      const p = params<Conv2dParams>(node, ['h', 'w', 'oh', 'ow', 'kh', 'kw', 'sh', 'sw', 'ph', 'pw', 'dh', 'dw', 'groups']);
      const outputPadding = [
        p.h - (p.sh * (p.oh - 1) + (p.kh - 1) * p.dh + 1 - 2 * p.ph),
        p.w - (p.sw * (p.ow - 1) + (p.kw - 1) * p.dw + 1 - 2 * p.pw),
      ];
      b.node('ConvTranspose', [at(0), at(1)], out, {
        kernel_shape: [p.kh, p.kw],
        strides: [p.sh, p.sw],
        pads: [p.ph, p.pw, p.ph, p.pw],
        dilations: [p.dh, p.dw],
        group: p.groups,
        output_padding: outputPadding,
      });
      return;
    }
    case 'gather':
      b.node('GatherElements', [at(0), at(1)], out, { axis: number(node, 'axis') });
      return;
    case 'gelu': {
      // x·(1 + erf(x/√2))/2 (ONNX's own Gelu arrives with opset 20)
      const f = (v: number) => b.constant('c', [], 'float32', [v]);
      const cdf2 = b.temp('Add', [b.temp('Erf', [b.temp('Mul', [at(0), f(Math.SQRT1_2)])]), f(1)]);
      b.node('Mul', [b.temp('Mul', [at(0), f(0.5)]), cdf2], out);
      return;
    }
    case 'standardize': {
      // LayerNormalization over the trailing axes holding `cols` elements, scale 1, no bias
      const p = params<{ cols: number; eps: number }>(node, ['cols', 'eps']);
      const shape = shapeOf(0);
      let axis = shape.length;
      for (let size = 1; axis > 0 && size < p.cols; ) size *= shape[--axis];
      const tail = shape.slice(axis);
      const ones = b.constant('ones', tail, 'float32', new Float32Array(p.cols).fill(1));
      b.node('LayerNormalization', [at(0), ones], out, { axis, epsilon: p.eps });
      return;
    }
    case 'standardizeAffine': {
      // LayerNormalization over the trailing axes holding `cols` elements, which weight and bias are shaped like
      const p = params<{ cols: number; eps: number }>(node, ['cols', 'eps']);
      const shape = shapeOf(0);
      const axis = shape.length - shapeOf(1).length;
      if (shapeOf(1).reduce((n, d) => n * d, 1) !== p.cols) throw unsupported(node);
      b.node('LayerNormalization', [at(0), at(1), at(2)], out, { axis, epsilon: p.eps });
      return;
    }
    case 'softmaxCrossEntropy': {
      // log Σ exp over the classes (shifted by the row max) − the label's logit, per row
      const rows = shapeOf(0)[0];
      const axes = b.constant('axes', [1], 'int64', [1]);
      const m = b.temp('ReduceMax', [at(0)], { axes: [1], keepdims: 1 });
      const sumExp = b.temp('ReduceSum', [b.temp('Exp', [b.temp('Sub', [at(0), m])]), axes], { keepdims: 1 });
      const lse = b.temp('Add', [b.temp('Log', [sumExp]), m]);
      const picked = b.temp('GatherElements', [at(0), b.reshape(at(1), [rows, 1])], { axis: 1 });
      b.reshape(b.temp('Sub', [lse, picked]), [rows], out);
      return;
    }
    case 'selfAttention':
      emitSelfAttention(b, node, at(0), out);
      return;
    default:
      throw unsupported(node);
  }
}

function emitStrided(
  b: Builder,
  x: string,
  inShape: readonly number[],
  outShape: number[],
  strides: number[],
  offset: number,
  out: string,
): void {
  const steps = stridedSteps(inShape, outShape, strides, offset);
  if (steps.length === 0) {
    b.node('Identity', [x], out);
    return;
  }
  let cur = x;
  steps.forEach((s, i) => {
    const last = i === steps.length - 1;
    const emitNode = (op: string, inputs: string[], attrs: Record<string, number | readonly number[]> = {}) =>
      last ? b.node(op, inputs, out, attrs) : b.temp(op, inputs, attrs);
    switch (s.op) {
      case 'reshape':
        cur = emitNode('Reshape', [cur, b.constant('shape', [s.shape.length], 'int64', s.shape)]);
        break;
      case 'slice': {
        const c = (v: number[]) => b.constant('slice', [v.length], 'int64', v);
        cur = emitNode('Slice', [cur, c(s.starts), c(s.ends), c(s.axes), c(s.steps)]);
        break;
      }
      case 'padEnd':
        cur = emitNode('Pad', [cur, b.constant('pads', [2], 'int64', [0, s.count])]);
        break;
      case 'transpose':
        cur = emitNode('Transpose', [cur], { perm: s.perm });
        break;
      case 'expand':
        cur = emitNode('Expand', [cur, b.constant('shape', [s.shape.length], 'int64', s.shape)]);
        break;
      case 'gather': {
        const flat = b.reshape(cur, [-1]);
        cur = emitNode('Gather', [flat, b.constant('indices', s.shape, 'int32', s.indices)], { axis: 0 });
        break;
      }
    }
  });
}

function emitMatmul(
  b: Builder,
  node: GraphNode,
  at: (i: number) => string,
  shapeOf: (i: number) => readonly number[],
  out: string,
  outShape: readonly number[],
): void {
  const p = params<MatmulParams>(node, ['batch', 'm', 'n', 'k', 'batchA', 'batchB']);
  const a = node.attrs as Record<string, unknown>;
  const activation = a.activation;
  if (activation !== undefined && activation !== 'relu') throw badAttr(node, 'activation', "'relu' or none", activation);
  const fit = (i: number, dims: number[]) => {
    const s = shapeOf(i);
    return s.length === dims.length && s.every((d, j) => d === dims[j]) ? at(i) : b.reshape(at(i), dims);
  };
  const aDims = p.transA ? [p.k, p.m] : [p.m, p.k];
  const bDims = p.transB ? [p.n, p.k] : [p.k, p.n];
  const bias = node.inputs.length > 2 ? fit(2, [p.n]) : null;
  const finalShape = outShape.length === 2 && outShape[0] === p.m && outShape[1] === p.n && p.batch === 1;
  let y: string;
  const lastStep = activation === undefined && finalShape;
  if (p.batch === 1) {
    const ins = [fit(0, aDims), fit(1, bDims)];
    if (bias) ins.push(bias);
    const attrs = { transA: p.transA ? 1 : 0, transB: p.transB ? 1 : 0 };
    y = lastStep ? b.node('Gemm', ins, out, attrs) : b.temp('Gemm', ins, attrs);
  } else {
    let x = fit(0, [p.batchA, ...aDims]);
    let w = fit(1, [p.batchB, ...bDims]);
    if (p.transA) x = b.temp('Transpose', [x], { perm: [0, 2, 1] });
    if (p.transB) w = b.temp('Transpose', [w], { perm: [0, 2, 1] });
    y = b.temp('MatMul', [x, w]);
    if (bias) y = b.temp('Add', [y, bias]);
  }
  if (activation === 'relu') y = finalShape ? b.node('Relu', [y], out) : b.temp('Relu', [y]);
  if (y !== out) b.reshape(y, outShape, out);
}

/** core's selfAttention as ONNX operators: split the heads, softmax(q·kᵀ·scale (+ mask))·v, join them. */
function emitSelfAttention(b: Builder, node: GraphNode, qkv: string, out: string): void {
  const p = params<{ batch: number; seq: number; heads: number; headDim: number; scale: number }>(node, [
    'batch',
    'seq',
    'heads',
    'headDim',
    'scale',
  ]);
  const { batch, seq: t, heads: h, headDim: e } = p;
  const causal = ((node.attrs as Record<string, unknown>).p as { causal?: unknown }).causal === true;
  const parts = b.temp('Transpose', [b.reshape(qkv, [batch, t, 3, h, e])], { perm: [2, 0, 3, 1, 4] });
  const [q, k, v] = [0, 1, 2].map((i) => b.temp('Gather', [parts, b.constant('index', [], 'int64', [i])], { axis: 0 }));
  let scores = b.temp('Mul', [
    b.temp('MatMul', [q, b.temp('Transpose', [k], { perm: [0, 1, 3, 2] })]),
    b.constant('scale', [], 'float32', [p.scale]),
  ]);
  if (causal) {
    const mask = new Float32Array(t * t);
    for (let i = 0; i < t; i++) for (let j = i + 1; j < t; j++) mask[i * t + j] = Number.NEGATIVE_INFINITY;
    scores = b.temp('Add', [scores, b.constant('mask', [t, t], 'float32', mask)]);
  }
  const y = b.temp('MatMul', [b.temp('Softmax', [scores], { axis: -1 }), v]);
  b.reshape(b.temp('Transpose', [y], { perm: [0, 2, 1, 3] }), [batch, t, h * e], out);
}

function unsupported(node: GraphNode): Error {
  const k = (node as { kernel?: string }).kernel;
  return new Error(
    `toOnnx: operator '${node.op}'${k && k !== node.op ? ` (kernel '${k}')` : ''} has no ONNX mapping (an inference graph holds forward operators only)`,
  );
}

function badAttr(node: GraphNode, name: string, expected: string, got: unknown): Error {
  return new TypeError(`toOnnx: '${node.op}' node attribute '${name}' must be ${expected}, got ${JSON.stringify(got)}`);
}

function number(node: GraphNode, name: string): number {
  const v = (node.attrs as Record<string, unknown>)[name];
  if (typeof v !== 'number' || !Number.isInteger(v)) throw badAttr(node, name, 'an integer', v);
  return v;
}

function numbers(node: GraphNode, name: string): number[] {
  const v = (node.attrs as Record<string, unknown>)[name];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'number' || !Number.isInteger(x)))
    throw badAttr(node, name, 'an array of integers', v);
  return v as number[];
}

function params<P>(node: GraphNode, keys: readonly string[]): P {
  const p = (node.attrs as Record<string, unknown>).p as Record<string, unknown> | undefined;
  if (!p || typeof p !== 'object') throw badAttr(node, 'p', 'the kernel parameters object', p);
  for (const k of keys) if (typeof p[k] !== 'number') throw badAttr(node, `p.${k}`, 'a number', p[k]);
  return p as P;
}
