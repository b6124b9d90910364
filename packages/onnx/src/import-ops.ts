import type { DType, Tensor } from '@mge/core';
import * as core from '@mge/core';
import { EXEC } from './exec.js';
import { type AttributeProto, onnx, ourDType, type TensorProto, tensorData } from './proto.js';

/*
 * How each ONNX operator becomes core's and functional's operators: one handler per ONNX op
 * type, written against the reader's context (its inputs, attributes, constant inputs'
 * values, and \`call\`, which runs an operator and records it in the graph).
 */

/** A value while the reader walks the ONNX graph: its tensor (computed on `js`) and whether it is constant. */
export interface Val {
  readonly id: number;
  readonly tensor: Tensor;
  readonly constant: boolean;
  readonly name?: string;
}

export type AttrValue = number | string | number[] | string[] | TensorProto;

export interface Ctx {
  readonly op: string;
  readonly attrs: Readonly<Record<string, AttrValue>>;
  /** how many inputs the node lists (absent optional ones included) */
  readonly arity: number;
  /** how many outputs the node lists */
  readonly outputs: number;
  readonly opset: number;
  has(i: number): boolean;
  in(i: number): Val;
  shape(i: number): readonly number[];
  /** a constant input's values (shape tensors, axes, pads, …) */
  host(i: number, what: string): number[];
  int(name: string, fallback?: number): number;
  float(name: string, fallback: number): number;
  ints(name: string, fallback?: number[]): number[];
  call(op: string, inputs: readonly Val[], attrs?: Record<string, unknown>): Val;
  callMany(op: string, inputs: readonly Val[], attrs: Record<string, unknown>, count: number): Val[];
  constant(t: Tensor): Val;
  fail(message: string): Error;
}

type Handler = (c: Ctx) => Val | Val[];

/**
 * The device the reader computes on while it builds the graph (it folds constants and learns
 * shapes): `js` unless LoadOnnxOptions.buildDevice names another that reads synchronously.
 */
let buildDevice = 'js';

/** Runs `fn` with the reader computing on `device`. */
export function onBuildDevice<T>(device: string, fn: () => T): T {
  const previous = buildDevice;
  buildDevice = device;
  try {
    return fn();
  } finally {
    buildDevice = previous;
  }
}

/** The device the reader is building on. */
export const currentBuildDevice = (): string => buildDevice;
const host = (v: number | number[], dtype: DType = 'float32'): Tensor => core.tensor(v, { dtype, device: buildDevice });

const normAxis = (c: Ctx, a: number, rank: number) => {
  const r = a < 0 ? a + rank : a;
  if (!Number.isInteger(r) || r < 0 || r >= rank) throw c.fail(`axis ${a} is out of range for rank ${rank}`);
  return r;
};

function unary(op: string): Handler {
  return (c) => c.call(op, [c.in(0)]);
}
function binary(op: string): Handler {
  return (c) => c.call(op, [c.in(0), c.in(1)]);
}
function variadic(op: string): Handler {
  return (c) => {
    let y = c.in(0);
    for (let i = 1; i < c.arity; i++) y = c.call(op, [y, c.in(i)]);
    return y;
  };
}
function reduce(op: string): Handler {
  return (c) => {
    const rank = c.shape(0).length;
    // opset 18 (and ReduceSum from 13) take axes as an input; earlier opsets as an attribute
    let axes = c.has(1) ? c.host(1, 'axes') : c.ints('axes', []);
    if (axes.length === 0) {
      if (c.int('noop_with_empty_axes', 0)) return c.in(0);
      axes = c.shape(0).map((_, i) => i);
    }
    return c.call(op, [c.in(0)], { axes: axes.map((a) => normAxis(c, a, rank)), keepdims: c.int('keepdims', 1) === 1 });
  };
}
function reshapeTo(c: Ctx, x: Val, shape: readonly number[]): Val {
  const s = x.tensor.shape;
  if (s.length === shape.length && s.every((d, i) => d === shape[i])) return x;
  return c.call('reshape', [x], { shape: [...shape] });
}
function pairs(c: Ctx, name: string, rank: number, fallback: number): [number, number] {
  const v = c.ints(name, Array(rank).fill(fallback));
  if (v.length !== 2) throw c.fail(`attribute '${name}' must have 2 values for a 2-d operator, got [${v.join(', ')}]`);
  return [v[0], v[1]];
}
/** [[top, bottom], [left, right]] padding from ONNX pads [h0, w0, h1, w1] or auto_pad (SAME_UPPER puts the odd cell at the end). */
function spatialPads(c: Ctx, kernel: number[], strides: number[], dilations: number[]): [[number, number], [number, number]] {
  const auto = (c.attrs.auto_pad as string | undefined) ?? 'NOTSET';
  if (auto === 'VALID')
    return [
      [0, 0],
      [0, 0],
    ];
  if (auto === 'SAME_UPPER' || auto === 'SAME_LOWER') {
    const hw = c.shape(0).slice(2);
    const [ph, pw] = hw.map((d, i) => {
      const out = Math.ceil(d / strides[i]);
      const total = Math.max(0, (out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - d);
      const small = Math.floor(total / 2);
      return (auto === 'SAME_UPPER' ? [small, total - small] : [total - small, small]) as [number, number];
    });
    return [ph, pw];
  }
  if (auto !== 'NOTSET') throw c.fail(`auto_pad '${auto}' is not supported`);
  const p = c.ints('pads', [0, 0, 0, 0]);
  if (p.length !== 4 || p.some((v) => !Number.isInteger(v) || v < 0)) {
    throw c.fail(`attribute 'pads' must be 4 non-negative integers [top, left, bottom, right] for a 2-d operator, got [${p.join(', ')}]`);
  }
  return [
    [p[0], p[2]],
    [p[1], p[3]],
  ];
}
type Pads2d = [[number, number], [number, number]];
const isSymmetric = (p: Pads2d) => p[0][0] === p[0][1] && p[1][0] === p[1][1];
/** x (N, C, H, W) padded on H and W with `value` (nothing recorded when the pads are all 0). */
function padSpatial(c: Ctx, x: Val, p: Pads2d, value: number): Val {
  if (p.flat().every((v) => v === 0)) return x;
  return c.call('pad', [x], {
    pads: [[0, 0], [0, 0], ...p],
    value,
  });
}
/**
 * ceil_mode: the cells added after each spatial axis so that a floor-mode pool gives the ceil-mode
 * output size; a last window that would start in the end padding is dropped (PyTorch's rule).
 */
function ceilExtra(c: Ctx, p: Pads2d, kernel: number[], stride: number[]): [number, number] {
  const hw = c.shape(0).slice(2);
  return [0, 1].map((i) => {
    const span = hw[i] + p[i][0] + p[i][1];
    let out = Math.ceil((span - kernel[i]) / stride[i]) + 1;
    if ((out - 1) * stride[i] >= hw[i] + p[i][0]) out--;
    return Math.max(0, (out - 1) * stride[i] + kernel[i] - span);
  }) as [number, number];
}
function pool(op: 'maxPool2d' | 'avgPool2d'): Handler {
  return (c) => {
    if (c.shape(0).length !== 4) throw c.fail(`only 2-d pooling of (N, C, H, W) is supported, got shape [${c.shape(0).join(', ')}]`);
    const kernel = pairs(c, 'kernel_shape', 2, 1);
    const stride = pairs(c, 'strides', 2, 1);
    if (c.ints('dilations', [1, 1]).some((d) => d !== 1)) throw c.fail('dilated pooling is not supported');
    const declared = spatialPads(c, kernel, stride, [1, 1]);
    const extra = c.int('ceil_mode', 0) === 1 ? ceilExtra(c, declared, kernel, stride) : [0, 0];
    const includePad = op === 'avgPool2d' && c.int('count_include_pad', 0) === 1 && declared.flat().some((v) => v > 0);
    // our pools pad symmetrically and average over the cells inside the input (count_include_pad=0)
    if (isSymmetric(declared) && extra[0] === 0 && extra[1] === 0 && !includePad) {
      return c.call(op, [c.in(0)], { kernelSize: kernel, stride, padding: [declared[0][0], declared[1][0]] });
    }
    const all: Pads2d = [
      [declared[0][0], declared[0][1] + extra[0]],
      [declared[1][0], declared[1][1] + extra[1]],
    ];
    const attrs = { kernelSize: kernel, stride, padding: [0, 0] };
    if (op === 'maxPool2d') return c.call(op, [padSpatial(c, c.in(0), all, Number.NEGATIVE_INFINITY)], attrs);
    // average = (window sum / K) ÷ (counted cells / K): the counted-cell share is a constant
    const [h, w] = c.shape(0).slice(2);
    const base = includePad ? [h + declared[0][0] + declared[0][1], w + declared[1][0] + declared[1][1]] : [h, w];
    const basePads: Pads2d = includePad
      ? [
          [0, extra[0]],
          [0, extra[1]],
        ]
      : all;
    const ones = core.ones([1, 1, ...base], { device: buildDevice });
    const share = EXEC.avgPool2d([core.pad(ones, [[0, 0], [0, 0], ...basePads], 0)], attrs) as Tensor;
    const sum = c.call(op, [padSpatial(c, c.in(0), all, 0)], attrs);
    return c.call('div', [sum, c.constant(share)]);
  };
}

/**
 * ONNX's LSTM, GRU and RNN onto the recurrent functionals: the gate blocks are reordered to ours
 * (constant-folded when the weights are initializers) and absent optional inputs become zeros,
 * so the graph gets one `lstm`/`gru`/`rnn` node (exec.ts) that runs the cells over time.
 */
function recurrent(kind: 'lstm' | 'gru' | 'rnn'): Handler {
  const gates = { lstm: 4, gru: 3, rnn: 1 }[kind];
  // ONNX's gate blocks (LSTM i, o, f, c; GRU z, r, h) in our order (LSTM i, f, g, o; GRU r, z, n)
  const order = { lstm: [0, 2, 3, 1], gru: [1, 0, 2], rnn: [0] }[kind];
  return (c) => {
    const x = c.in(0);
    if (x.tensor.ndim !== 3) throw c.fail(`input X must be 3-d, got shape [${c.shape(0).join(', ')}]`);
    const layout = c.int('layout', 0);
    if (layout !== 0 && layout !== 1) throw c.fail(`attribute 'layout' must be 0 or 1, got ${layout}`);
    const direction = (c.attrs.direction as string | undefined) ?? 'forward';
    if (!['forward', 'reverse', 'bidirectional'].includes(direction))
      throw c.fail(`attribute 'direction' must be forward, reverse or bidirectional, got '${direction}'`);
    const dirs = direction === 'bidirectional' ? 2 : 1;
    const hidden = c.int('hidden_size');
    if (c.attrs.clip !== undefined) throw c.fail("attribute 'clip' is not supported");
    if (kind === 'lstm' && c.int('input_forget', 0) !== 0) throw c.fail('input_forget=1 is not supported');
    const defaults = { lstm: ['Sigmoid', 'Tanh', 'Tanh'], gru: ['Sigmoid', 'Tanh'], rnn: ['Tanh'] }[kind];
    const acts = (c.attrs.activations as string[] | undefined) ?? [];
    const nonlinearity = kind === 'rnn' && acts.length > 0 && acts.every((a) => a === 'Relu') ? 'relu' : 'tanh';
    const wanted = kind === 'rnn' && nonlinearity === 'relu' ? ['Relu'] : defaults;
    if (acts.length > 0 && acts.some((a, i) => a !== wanted[i % wanted.length])) {
      throw c.fail(
        `attribute 'activations' must be the default [${defaults.join(', ')}]${kind === 'rnn' ? ' or [Relu]' : ''}, got [${acts.join(', ')}]`,
      );
    }
    const linearBeforeReset = kind === 'gru' ? c.int('linear_before_reset', 0) : 1;
    if (linearBeforeReset !== 0 && linearBeforeReset !== 1)
      throw c.fail(`attribute 'linear_before_reset' must be 0 or 1, got ${linearBeforeReset}`);
    const [t, n] = layout === 0 ? c.shape(0).slice(0, 2) : [c.shape(0)[1], c.shape(0)[0]];
    if (c.has(4)) {
      const lens = c.host(4, 'sequence_lens');
      if (lens.some((l) => l !== t)) throw c.fail(`sequence_lens must all be the sequence length ${t}, got [${lens.join(', ')}]`);
    }
    const reorder = (v: Val, blocks: number): Val => {
      if (blocks === 1) return v;
      const size = v.tensor.shape[1] / blocks;
      const parts = c.callMany('split', [v], { sections: [...Array(blocks - 1).keys()].map((i) => (i + 1) * size), axis: 1 }, blocks);
      const per = blocks / gates;
      const picked = [...Array(per).keys()].flatMap((half) => order.map((g) => parts[half * gates + g]));
      return c.call('concat', picked, { axis: 1 });
    };
    const g = gates * hidden;
    const zeros = (shape: number[]) => c.constant(core.zeros(shape, { device: buildDevice }));
    const b = c.has(3) ? c.in(3) : zeros([dirs, 2 * g]);
    const state = (i: number) => (c.has(i) ? c.in(i) : zeros(layout === 0 ? [dirs, n, hidden] : [n, dirs, hidden]));
    const ins = [x, reorder(c.in(1), gates), reorder(c.in(2), gates), reorder(b, 2 * gates), state(5)];
    if (kind === 'lstm') ins.push(state(6));
    // peepholes P (D, 3H), ONNX's order i, o, f: kept as given
    if (kind === 'lstm' && c.has(7)) ins.push(c.in(7));
    const attrs = { direction, layout, hiddenSize: hidden, nonlinearity, linearBeforeReset };
    return c.callMany(kind, ins, attrs, kind === 'lstm' ? 3 : 2);
  };
}

export const HANDLERS: Readonly<Record<string, Handler>> = {
  Relu: unary('relu'),
  Sigmoid: unary('sigmoid'),
  Tanh: unary('tanh'),
  Exp: unary('exp'),
  Log: unary('log'),
  Sqrt: unary('sqrt'),
  Abs: unary('abs'),
  Neg: unary('neg'),
  Sign: unary('sign'),
  Floor: unary('floor'),
  Ceil: unary('ceil'),
  Round: unary('round'),
  Sin: unary('sin'),
  Cos: unary('cos'),
  Tan: unary('tan'),
  Erf: unary('erf'),
  Not: unary('logicalNot'),
  Softplus: unary('softplus'),
  Gelu: (c) => {
    if ((c.attrs.approximate ?? 'none') !== 'none') throw c.fail(`approximate='${c.attrs.approximate}' is not supported`);
    return c.call('gelu', [c.in(0)]);
  },
  HardSwish: unary('hswish'),
  HardSigmoid: (c) => {
    const y = c.call('add', [c.call('mul', [c.in(0), c.constant(host(c.float('alpha', 0.2)))]), c.constant(host(c.float('beta', 0.5)))]);
    return c.call('clip', [y], { lower: 0, upper: 1 });
  },
  LeakyRelu: (c) => c.call('leakyRelu', [c.in(0)], { negativeSlope: c.float('alpha', 0.01) }),
  Reciprocal: (c) => c.call('div', [c.constant(host(1)), c.in(0)]),
  Add: binary('add'),
  Sub: binary('sub'),
  Mul: binary('mul'),
  Div: (c) => {
    const y = c.call('div', [c.in(0), c.in(1)]);
    // ONNX divides integers with truncation; core's div is true division
    return c.in(0).tensor.dtype === 'int32' ? c.call('astype', [c.call('floor', [y])], { dtype: 'int32' }) : y;
  },
  Pow: binary('pow'),
  Max: variadic('maximum'),
  Min: variadic('minimum'),
  Sum: variadic('add'),
  Equal: binary('eq'),
  Less: binary('lt'),
  LessOrEqual: binary('le'),
  Greater: binary('gt'),
  GreaterOrEqual: binary('ge'),
  And: binary('logicalAnd'),
  Or: binary('logicalOr'),
  Where: (c) => c.call('where', [c.in(0), c.in(1), c.in(2)]),
  Cast: (c) => c.call('astype', [c.in(0)], { dtype: ourDType(c.op, c.int('to')) }),
  Clip: (c) => {
    const bound = (i: number, name: string) => (c.has(i) ? c.host(i, name)[0] : ((c.attrs[name] as number | undefined) ?? null));
    const lower = bound(1, 'min');
    const upper = bound(2, 'max');
    if (lower === null && upper === null) return c.in(0);
    return c.call('clip', [c.in(0)], { lower, upper });
  },
  ReduceSum: reduce('sum'),
  ReduceMean: reduce('mean'),
  ReduceMax: reduce('max'),
  ReduceMin: reduce('min'),
  ReduceProd: reduce('prod'),
  ArgMax: (c) => argReduce(c, 'argmax'),
  ArgMin: (c) => argReduce(c, 'argmin'),
  GlobalAveragePool: (c) =>
    c.call('mean', [c.in(0)], {
      axes: c
        .shape(0)
        .slice(2)
        .map((_, i) => i + 2),
      keepdims: true,
    }),
  GlobalMaxPool: (c) =>
    c.call('max', [c.in(0)], {
      axes: c
        .shape(0)
        .slice(2)
        .map((_, i) => i + 2),
      keepdims: true,
    }),
  MaxPool: (c) => {
    if (c.has(1) || c.int('storage_order', 0) !== 0) throw c.fail('the Indices output is not supported');
    return pool('maxPool2d')(c);
  },
  AveragePool: pool('avgPool2d'),
  Conv: (c) => {
    if (c.shape(0).length !== 4) throw c.fail(`only 2-d convolution of (N, C, H, W) is supported, got shape [${c.shape(0).join(', ')}]`);
    const w = c.shape(1);
    const kernel = pairs(c, 'kernel_shape', 2, 0).map((k, i) => k || w[2 + i]);
    const stride = pairs(c, 'strides', 2, 1);
    const dilation = pairs(c, 'dilations', 2, 1);
    const p = spatialPads(c, kernel, stride, dilation);
    // conv2d pads both sides alike: the symmetric part there, the rest as zeros before it
    const both: [number, number] = [Math.min(...p[0]), Math.min(...p[1])];
    const x = padSpatial(
      c,
      c.in(0),
      [
        [p[0][0] - both[0], p[0][1] - both[0]],
        [p[1][0] - both[1], p[1][1] - both[1]],
      ],
      0,
    );
    const ins = c.has(2) ? [x, c.in(1), c.in(2)] : [x, c.in(1)];
    return c.call('conv2d', ins, { stride, padding: both, dilation, groups: c.int('group', 1) });
  },
  ConvTranspose: (c) => {
    if (c.shape(0).length !== 4)
      throw c.fail(`only 2-d transposed convolution of (N, C, H, W) is supported, got shape [${c.shape(0).join(', ')}]`);
    if (c.attrs.output_shape !== undefined) throw c.fail('the output_shape attribute is not supported (give pads and output_padding)');
    if (((c.attrs.auto_pad as string | undefined) ?? 'NOTSET') !== 'NOTSET')
      throw c.fail(`auto_pad '${c.attrs.auto_pad}' is not supported`);
    const w = c.shape(1);
    const kernel = pairs(c, 'kernel_shape', 2, 0).map((k, i) => k || w[2 + i]);
    if (kernel[0] !== w[2] || kernel[1] !== w[3]) throw c.fail(`kernel_shape [${kernel}] does not match the weight [${w.join(', ')}]`);
    const p = c.ints('pads', [0, 0, 0, 0]);
    if (p.length !== 4 || p.some((v) => !Number.isInteger(v) || v < 0)) {
      throw c.fail(`attribute 'pads' must be 4 non-negative integers [top, left, bottom, right] for a 2-d operator, got [${p.join(', ')}]`);
    }
    const ins = c.has(2) ? [c.in(0), c.in(1), c.in(2)] : [c.in(0), c.in(1)];
    // a transposed convolution's pads remove output cells: the symmetric part there, the rest cropped after
    const both = [Math.min(p[0], p[2]), Math.min(p[1], p[3])];
    const y = c.call('convTranspose2d', ins, {
      stride: pairs(c, 'strides', 2, 1),
      padding: both,
      dilation: pairs(c, 'dilations', 2, 1),
      groups: c.int('group', 1),
      outputPadding: pairs(c, 'output_padding', 2, 0),
    });
    if (p[0] === p[2] && p[1] === p[3]) return y;
    const [, , oh, ow] = y.tensor.shape;
    return c.call('index', [y], {
      specs: [{}, {}, { start: p[0] - both[0], stop: oh - (p[2] - both[0]) }, { start: p[1] - both[1], stop: ow - (p[3] - both[1]) }],
    });
  },
  Resize: (c) => {
    const s = c.shape(0);
    if (s.length !== 4) throw c.fail(`only (N, C, H, W) inputs are supported, got shape [${s.join(', ')}]`);
    const mode = (c.attrs.mode as string | undefined) ?? 'nearest';
    const ctm = (c.attrs.coordinate_transformation_mode as string | undefined) ?? 'half_pixel';
    // scales (input 2) or sizes (input 3); roi (input 1) only matters for tf_crop_and_resize
    let size: number[];
    if (c.has(3) && c.host(3, 'sizes').length) {
      const sizes = c.host(3, 'sizes');
      size = sizes.slice(2);
      if (sizes[0] !== s[0] || sizes[1] !== s[1]) throw c.fail('only the spatial axes may be resized');
    } else {
      const scales = c.has(2) ? c.host(2, 'scales') : [];
      if (scales.length !== 4 || scales[0] !== 1 || scales[1] !== 1)
        throw c.fail(`scales must be [1, 1, sh, sw], got [${scales.join(', ')}]`);
      size = [s[2] * scales[2], s[3] * scales[3]];
      // our resampling places samples by the in/out ratio: exactly ONNX's 1/scale when the sizes are whole
      if (!size.every(Number.isInteger)) throw c.fail(`scales [${scales.join(', ')}] give a fractional output size; give sizes instead`);
    }
    if (mode === 'nearest') {
      const nm = (c.attrs.nearest_mode as string | undefined) ?? 'round_prefer_floor';
      if (ctm !== 'asymmetric' || nm !== 'floor') {
        throw c.fail(
          `nearest resizing is supported with coordinate_transformation_mode 'asymmetric' and nearest_mode 'floor' (PyTorch's), got '${ctm}' and '${nm}'`,
        );
      }
      return c.call('interpolate', [c.in(0)], { size, mode: 'nearest' });
    }
    if (mode === 'linear') {
      if (ctm === 'align_corners') return c.call('interpolate', [c.in(0)], { size, mode: 'bilinear', alignCorners: true });
      if (ctm === 'half_pixel' || ctm === 'pytorch_half_pixel')
        return c.call('interpolate', [c.in(0)], { size, mode: 'bilinear', alignCorners: false });
      throw c.fail(
        `linear resizing with coordinate_transformation_mode '${ctm}' is not supported (half_pixel, pytorch_half_pixel and align_corners are)`,
      );
    }
    throw c.fail(`mode '${mode}' is not supported (nearest and linear are)`);
  },
  Gemm: (c) => {
    const alpha = c.float('alpha', 1);
    const beta = c.float('beta', 1);
    let a = c.in(0);
    let b = c.in(1);
    if (c.int('transA', 0)) a = c.call('transpose', [a], { pattern: [1, 0] });
    const bias = c.has(2) ? c.in(2) : null;
    if (
      c.int('transB', 0) &&
      alpha === 1 &&
      (bias === null || (beta === 1 && bias.tensor.ndim === 1 && bias.tensor.shape[0] === c.shape(1)[0]))
    ) {
      return c.call('linear', bias ? [a, b, bias] : [a, b]);
    }
    if (c.int('transB', 0)) b = c.call('transpose', [b], { pattern: [1, 0] });
    let y = c.call('matmul', [a, b]);
    if (alpha !== 1) y = c.call('mul', [y, c.constant(host(alpha))]);
    if (bias) y = c.call('add', [y, beta === 1 ? bias : c.call('mul', [bias, c.constant(host(beta))])]);
    return y;
  },
  MatMul: (c) => c.call('matmul', [c.in(0), c.in(1)]),
  BatchNormalization: (c) => {
    if (c.int('training_mode', 0)) throw c.fail('training_mode=1 is not supported (inference only)');
    const x = c.in(0);
    if (x.tensor.ndim < 2) throw c.fail(`input must be at least 2-d, got shape [${c.shape(0).join(', ')}]`);
    return c.call('batchNorm', [x, c.in(1), c.in(2), c.in(3), c.in(4)], { eps: c.float('epsilon', 1e-5) });
  },
  LayerNormalization: (c) => {
    const rank = c.shape(0).length;
    const axis = normAxis(c, c.int('axis', -1), rank);
    if (c.int('stash_type', 1) !== 1) throw c.fail('only stash_type=1 (float) is supported');
    const ns = c.shape(0).slice(axis);
    const fit = (i: number) => (c.has(i) ? reshapeTo(c, c.in(i), ns) : null);
    const w = fit(1);
    const b = fit(2) ?? (w ? c.constant(core.zeros(ns, { device: buildDevice })) : null);
    return c.call('layerNorm', w && b ? [c.in(0), w, b] : [c.in(0)], { normalizedShape: ns, eps: c.float('epsilon', 1e-5) });
  },
  Softmax: (c) => c.call('softmax', [c.in(0)], { axis: softmaxAxis(c) }),
  LogSoftmax: (c) => c.call('logSoftmax', [c.in(0)], { axis: softmaxAxis(c) }),
  Identity: (c) => c.in(0),
  Dropout: (c) => {
    if (c.has(2) && c.host(2, 'training_mode')[0]) throw c.fail('training_mode=true is not supported (inference only)');
    return c.in(0);
  },
  Constant: (c) => {
    const t = c.attrs.value;
    if (t === undefined || typeof t !== 'object' || Array.isArray(t)) {
      const f = c.attrs.value_float ?? c.attrs.value_floats;
      const i = c.attrs.value_int ?? c.attrs.value_ints;
      if (f !== undefined) return c.constant(host(f as number | number[], 'float32'));
      if (i !== undefined) return c.constant(host(i as number | number[], 'int32'));
      throw c.fail('only value, value_float(s) and value_int(s) constants are supported');
    }
    return c.constant(fromProto(c.op, t as TensorProto));
  },
  ConstantOfShape: (c) => {
    const shape = c.host(0, 'shape');
    const t = c.attrs.value as TensorProto | undefined;
    const v = t ? fromProto(c.op, t) : host([0], 'float32');
    return c.constant(core.broadcastTo(core.reshape(v, []), shape));
  },
  Shape: (c) => {
    let s = [...c.shape(0)];
    const start = c.attrs.start as number | undefined;
    const end = c.attrs.end as number | undefined;
    if (start !== undefined || end !== undefined) s = s.slice(start ?? 0, end ?? s.length);
    return c.constant(host(s, 'int32'));
  },
  Size: (c) => c.constant(host(c.in(0).tensor.size, 'int32')),
  Range: (c) => {
    const [s, l, d] = [c.host(0, 'start')[0], c.host(1, 'limit')[0], c.host(2, 'delta')[0]];
    return c.constant(core.astype(core.arange(s, l, d, { device: buildDevice }), c.in(0).tensor.dtype));
  },
  Reshape: (c) => {
    const x = c.in(0);
    const spec = c.host(1, 'shape');
    const allowZero = c.int('allowzero', 0) === 1;
    const shape = spec.map((d, i) => (d === 0 && !allowZero ? c.shape(0)[i] : d));
    return c.call('reshape', [x], { shape: resolveShape(c, shape, x.tensor.size) });
  },
  Flatten: (c) => {
    const s = c.shape(0);
    const axis = c.int('axis', 1);
    const a = axis < 0 ? axis + s.length : axis;
    const lead = s.slice(0, a).reduce((p, d) => p * d, 1);
    return reshapeTo(c, c.in(0), [lead, c.in(0).tensor.size / Math.max(lead, 1)]);
  },
  Squeeze: (c) => {
    const s = c.shape(0);
    const axes = (c.has(1) ? c.host(1, 'axes') : c.ints('axes', [])).map((a) => normAxis(c, a, s.length));
    const keep = s.filter((d, i) => (axes.length ? !axes.includes(i) : d !== 1));
    return reshapeTo(c, c.in(0), keep);
  },
  Unsqueeze: (c) => {
    const s = [...c.shape(0)];
    const axes = c.has(1) ? c.host(1, 'axes') : c.ints('axes');
    const rank = s.length + axes.length;
    for (const a of axes.map((a) => normAxis(c, a, rank)).sort((p, q) => p - q)) s.splice(a, 0, 1);
    return reshapeTo(c, c.in(0), s);
  },
  Transpose: (c) => {
    const rank = c.shape(0).length;
    const perm = c.ints('perm', [...Array(rank).keys()].reverse());
    return perm.every((p, i) => p === i) ? c.in(0) : c.call('transpose', [c.in(0)], { pattern: perm });
  },
  Expand: (c) => {
    const target = c.host(1, 'shape');
    const s = c.shape(0);
    // bidirectional: the result is the broadcast of both shapes
    const rank = Math.max(s.length, target.length);
    const pad = (v: readonly number[]) => [...Array(rank - v.length).fill(1), ...v];
    const out = pad(s).map((d, i) => (d === 1 ? pad(target)[i] : d));
    return c.call('broadcastTo', [c.in(0)], { shape: out });
  },
  Concat: (c) => {
    const ins = [...Array(c.arity).keys()].map((i) => c.in(i)).filter((v) => v.tensor.size > 0 || c.arity === 1);
    const axis = normAxis(c, c.int('axis'), c.shape(0).length);
    return ins.length === 1 ? ins[0] : c.call('concat', ins, { axis });
  },
  Split: (c) => {
    const s = c.shape(0);
    const axis = normAxis(c, c.int('axis', 0), s.length);
    const count = c.outputs;
    let sizes = c.has(1) ? c.host(1, 'split') : c.ints('split', []);
    if (sizes.length === 0) {
      const n = c.attrs.num_outputs !== undefined ? (c.attrs.num_outputs as number) : count;
      const each = Math.ceil(s[axis] / n);
      sizes = Array.from({ length: n }, (_, i) => Math.min(each, s[axis] - i * each));
    }
    const bounds = sizes.slice(0, -1).map((_, i) => sizes.slice(0, i + 1).reduce((p, q) => p + q, 0));
    return c.callMany('split', [c.in(0)], { sections: bounds, axis }, sizes.length);
  },
  Slice: (c) => {
    const s = c.shape(0);
    // before opset 10, starts, ends and axes are attributes
    const starts = c.has(1) ? c.host(1, 'starts') : c.ints('starts');
    const ends = c.has(2) ? c.host(2, 'ends') : c.ints('ends');
    const axes = c.has(3)
      ? c.host(3, 'axes')
      : c.ints(
          'axes',
          starts.map((_, i) => i),
        );
    const steps = c.has(4) ? c.host(4, 'steps') : starts.map(() => 1);
    const specs: { start?: number; stop?: number | null; step?: number }[] = s.map(() => ({}));
    axes.forEach((a0, i) => {
      const a = normAxis(c, a0, s.length);
      const d = s[a];
      const step = steps[i];
      if (step === 0) throw c.fail(`step of axis ${a} is 0`);
      const clampStop = (v: number) => (v >= 2147483647 ? d : v <= -2147483648 ? null : v);
      const stop = clampStop(ends[i]);
      // a stop past the front of a backwards slice means "through element 0": Python's None
      specs[a] = { start: starts[i] >= 2147483647 ? d : starts[i], stop: step < 0 && stop !== null && stop < -d ? null : stop, step };
    });
    return c.call('index', [c.in(0)], { specs });
  },
  Pad: (c) => {
    const mode = (c.attrs.mode as string | undefined) ?? 'constant';
    if (mode !== 'constant' && mode !== 'reflect' && mode !== 'edge')
      throw c.fail(`mode '${mode}' is not supported (constant, reflect and edge are)`);
    const rank = c.shape(0).length;
    const p = c.has(1) ? c.host(1, 'pads') : c.ints('pads');
    // opset 18's axes input: pads lists [begins…, ends…] for those axes only
    const axes = c.has(3) ? c.host(3, 'axes').map((a) => normAxis(c, a, rank)) : [...Array(rank).keys()];
    if (p.length !== 2 * axes.length) throw c.fail(`pads must have 2 values per padded axis (${2 * axes.length}), got [${p.join(', ')}]`);
    if (p.some((v) => v < 0)) throw c.fail(`negative pads are not supported, got [${p.join(', ')}]`);
    const pads = [...Array(rank).keys()].map(() => [0, 0] as [number, number]);
    axes.forEach((a, i) => {
      pads[a] = [p[i], p[i + axes.length]];
    });
    if (mode !== 'constant') return c.call('pad', [c.in(0)], { pads, mode: mode === 'edge' ? 'replicate' : 'reflect' });
    const value = c.has(2) ? c.host(2, 'constant_value')[0] : ((c.attrs.value as number | undefined) ?? 0);
    return c.call('pad', [c.in(0)], { pads, value });
  },
  LSTM: recurrent('lstm'),
  GRU: recurrent('gru'),
  RNN: recurrent('rnn'),
  Tile: (c) => {
    const s = c.shape(0);
    const repeats = c.host(1, 'repeats');
    if (repeats.length !== s.length) throw c.fail(`repeats must have one entry per axis (${s.length}), got [${repeats.join(', ')}]`);
    // out[i] = x[i mod d]: x as [1, d0, 1, d1, …] broadcast to [r0, d0, r1, d1, …], then merged
    const spread = s.flatMap((d, i) => [repeats[i], d]);
    const x = reshapeTo(
      c,
      c.in(0),
      s.flatMap((d) => [1, d]),
    );
    const b = c.call('broadcastTo', [x], { shape: spread });
    return reshapeTo(
      c,
      b,
      s.map((d, i) => d * repeats[i]),
    );
  },
  TopK: (c) => {
    const s = c.shape(0);
    const axis = normAxis(c, c.int('axis', -1), s.length);
    if (c.int('sorted', 1) !== 1) throw c.fail('sorted=0 is not supported');
    const k = c.host(1, 'K')[0];
    const last = s.length - 1;
    const perm = s.map((_, i) => (i === axis ? last : i === last ? axis : i));
    const moved = axis === last ? c.in(0) : c.call('transpose', [c.in(0)], { pattern: perm });
    let [values, indices] = c.callMany('topk', [moved], { k, descending: c.int('largest', 1) === 1 }, 2);
    if (axis !== last) {
      values = c.call('transpose', [values], { pattern: perm });
      indices = c.call('transpose', [indices], { pattern: perm });
    }
    return [values, indices];
  },
  Gather: (c) => {
    const axis = normAxis(c, c.int('axis', 0), c.shape(0).length);
    return c.call('take', [c.in(0), c.in(1)], { axis });
  },
  GatherElements: (c) => c.call('gather', [c.in(0), c.in(1)], { axis: normAxis(c, c.int('axis', 0), c.shape(0).length) }),
};

function argReduce(c: Ctx, op: string): Val {
  if (c.int('select_last_index', 0)) throw c.fail('select_last_index=1 is not supported');
  const axis = normAxis(c, c.int('axis', 0), c.shape(0).length);
  return c.call(op, [c.in(0)], { axis, keepdims: c.int('keepdims', 1) === 1 });
}

function softmaxAxis(c: Ctx): number {
  const rank = c.shape(0).length;
  const axis = normAxis(c, c.int('axis', c.opset < 13 ? 1 : -1), rank);
  if (c.opset < 13 && axis !== rank - 1) {
    throw c.fail('before opset 13 softmax flattens from its axis; only the last axis is supported there');
  }
  return axis;
}

function resolveShape(c: Ctx, shape: number[], size: number): number[] {
  const unknown = shape.indexOf(-1);
  if (unknown < 0) return shape;
  const known = shape.reduce((p, d, i) => (i === unknown ? p : p * d), 1);
  const out = [...shape];
  out[unknown] = known === 0 ? 0 : size / known;
  if (!Number.isInteger(out[unknown])) throw c.fail(`cannot reshape ${size} elements into [${shape.join(', ')}]`);
  return out;
}

export function fromProto(op: string, t: TensorProto): Tensor {
  const dims = (t.dims ?? []).map(Number);
  const dtype = ourDType(op, t.dataType ?? 0);
  return core.tensor(tensorData(op, t), { dtype, device: buildDevice }).reshape(dims);
}

export function attrValue(a: AttributeProto): AttrValue {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.type) {
    case T.FLOAT:
      return a.f ?? 0;
    case T.INT:
      return Number(a.i ?? 0);
    case T.STRING:
      return new TextDecoder().decode(a.s ?? new Uint8Array());
    case T.FLOATS:
      return [...(a.floats ?? [])];
    case T.INTS:
      return (a.ints ?? []).map(Number);
    case T.STRINGS:
      return (a.strings ?? []).map((s) => new TextDecoder().decode(s));
    case T.TENSOR:
      return a.t as TensorProto;
    default:
      throw new Error(`loadOnnx: attribute '${a.name}' has type ${T[a.type ?? 0] ?? a.type}, which is not supported`);
  }
}
