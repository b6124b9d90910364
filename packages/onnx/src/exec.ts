import type { DType, SliceSpec, Tensor } from '@mge/core';
import * as core from '@mge/core';
import * as F from '@mge/functional';

/**
 * How each operator of a graph the ONNX reader builds runs: core's (and functional's)
 * operator of that name, with the node's attrs as its arguments. This is the one place the
 * reader's graphs meet the framework; the reader only translates ONNX into these names.
 */
export type Exec = (inputs: readonly Tensor[], attrs: Readonly<Record<string, unknown>>) => Tensor | Tensor[];

const UNARY = [
  'neg',
  'abs',
  'sign',
  'exp',
  'log',
  'sqrt',
  'sigmoid',
  'tanh',
  'relu',
  'floor',
  'ceil',
  'round',
  'sin',
  'cos',
  'tan',
  'erf',
  'logicalNot',
  'softplus',
] as const;
const BINARY = [
  'add',
  'sub',
  'mul',
  'div',
  'pow',
  'maximum',
  'minimum',
  'eq',
  'ne',
  'lt',
  'le',
  'gt',
  'ge',
  'logicalAnd',
  'logicalOr',
] as const;
type Axes = number[];

const attr = <T>(a: Readonly<Record<string, unknown>>, k: string) => a[k] as T;

/** ONNX Gather: x's `axis` replaced by the index tensor's shape; negative indices count from the end. */
export function take(x: Tensor, indices: Tensor, axis: number): Tensor {
  const d = x.shape[axis];
  const idx0 = core.astype(indices, 'int32');
  const idx = core.where(core.lt(idx0, 0), core.add(idx0, d), idx0);
  const k = idx.size;
  const lead = x.shape.slice(0, axis);
  const rest = x.shape.slice(axis + 1);
  const spread = core.broadcastTo(core.reshape(idx, [...lead.map(() => 1), k, ...rest.map(() => 1)]), [...lead, k, ...rest]);
  const out = core.gather(x, axis, spread);
  return core.reshape(out, [...lead, ...idx.shape, ...rest]);
}

const affine = (x: Tensor, w: Tensor, b: Tensor | null | undefined) => core.add(core.matmul(x, w, false, true), b as Tensor);

/** An LSTM step with ONNX's peepholes [p_i, p_o, p_f]: the input and forget gates see c, the output gate c'. */
function peepholeStep(x: Tensor, h: Tensor, c: Tensor, w: F.CellWeights, [pi, po, pf]: Tensor[]): [Tensor, Tensor] {
  const [gi, gf, gg, go] = core.split(core.add(affine(x, w.weightIh, w.biasIh), affine(h, w.weightHh, w.biasHh)), 4, 1);
  const i = core.sigmoid(core.add(gi, core.mul(pi, c)));
  const f = core.sigmoid(core.add(gf, core.mul(pf, c)));
  const c1 = core.add(core.mul(f, c), core.mul(i, core.tanh(gg)));
  const o = core.sigmoid(core.add(go, core.mul(po, c1)));
  return [core.mul(o, core.tanh(c1)), c1];
}

/** ONNX's GRU step with linear_before_reset=0: the reset gate scales h before R_n (gruCell scales after). */
function gruResetFirst(x: Tensor, h: Tensor, w: F.CellWeights): Tensor {
  const [xr, xz, xn] = core.split(affine(x, w.weightIh, w.biasIh), 3, 1);
  const [rr, rz, rn] = core.split(w.weightHh, 3, 0);
  const [br, bz, bn] = core.split(w.biasHh as Tensor, 3, 0);
  const r = core.sigmoid(core.add(xr, affine(h, rr, br)));
  const z = core.sigmoid(core.add(xz, affine(h, rz, bz)));
  const n = core.tanh(core.add(xn, affine(core.mul(r, h), rn, bn)));
  return core.add(n, core.mul(z, core.sub(h, n)));
}

/**
 * ONNX's LSTM / GRU / RNN over a whole sequence with our cells. Inputs: X, W (D, G, I), R (D, G, H),
 * B (D, 2G) (gate blocks already in our order), initial h (and c); outputs Y (T, D, N, H) (or
 * (N, T, D, H) with layout 1), Y_h (and Y_c) (D, N, H) (or (N, D, H)).
 */
function recurrentSequence(kind: 'lstm' | 'gru' | 'rnn', ins: readonly Tensor[], a: Readonly<Record<string, unknown>>): Tensor[] {
  const layout = attr<number>(a, 'layout');
  const direction = attr<string>(a, 'direction');
  const hidden = attr<number>(a, 'hiddenSize');
  const [x0, w, r, b] = ins;
  const x = layout === 0 ? x0 : core.transpose(x0, [1, 0, 2]);
  const stateCount = kind === 'lstm' ? 2 : 1;
  const states = ins.slice(4, 4 + stateCount).map((s) => (layout === 0 ? s : core.transpose(s, [1, 0, 2])));
  const peepholes = kind === 'lstm' ? (ins[6] ?? null) : null;
  const t = x.shape[0];
  const g = w.shape[1];
  const ys: Tensor[] = [];
  const hs: Tensor[] = [];
  const cs: Tensor[] = [];
  for (let d = 0; d < w.shape[0]; d++) {
    const bd = b.index(d);
    const weights: F.CellWeights = {
      weightIh: w.index(d),
      weightHh: r.index(d),
      biasIh: bd.index({ start: 0, stop: g }),
      biasHh: bd.index({ start: g, stop: 2 * g }),
    };
    let h = states[0].index(d);
    let c = kind === 'lstm' ? states[1].index(d) : null;
    const p = peepholes ? core.split(peepholes.index(d), 3, 0) : null;
    const backwards = direction === 'reverse' || d === 1;
    const seq: Tensor[] = new Array(t);
    for (let s = 0; s < t; s++) {
      const i = backwards ? t - 1 - s : s;
      if (kind === 'lstm')
        [h, c] = p ? peepholeStep(x.index(i), h, c as Tensor, weights, p) : F.lstmCell(x.index(i), h, c as Tensor, weights);
      else if (kind === 'gru')
        h = attr<number>(a, 'linearBeforeReset') ? F.gruCell(x.index(i), h, weights) : gruResetFirst(x.index(i), h, weights);
      else h = F.rnnCell(x.index(i), h, weights, attr<'tanh' | 'relu'>(a, 'nonlinearity'));
      seq[i] = h;
    }
    ys.push(t === 0 ? core.zeros([0, x.shape[1], hidden], { device: x.device }) : core.stack(seq, 0));
    hs.push(h);
    if (c) cs.push(c);
  }
  const y = core.stack(ys, 1);
  const finals = kind === 'lstm' ? [core.stack(hs, 0), core.stack(cs, 0)] : [core.stack(hs, 0)];
  if (layout === 0) return [y, ...finals];
  return [core.transpose(y, [2, 0, 1, 3]), ...finals.map((f) => core.transpose(f, [1, 0, 2]))];
}

export const EXEC: Readonly<Record<string, Exec>> = {
  ...Object.fromEntries(UNARY.map((op) => [op, ([x]: readonly Tensor[]) => core.unary(op, x)])),
  ...Object.fromEntries(BINARY.map((op) => [op, ([a, b]: readonly Tensor[]) => core.binary(op, a, b)])),
  where: ([c, a, b]) => core.where(c, a, b),
  astype: ([x], a) => core.astype(x, attr<DType>(a, 'dtype')),
  sum: ([x], a) => core.sum(x, attr<Axes>(a, 'axes'), attr<boolean>(a, 'keepdims')),
  mean: ([x], a) => core.mean(x, attr<Axes>(a, 'axes'), attr<boolean>(a, 'keepdims')),
  max: ([x], a) => core.max(x, attr<Axes>(a, 'axes'), attr<boolean>(a, 'keepdims')),
  min: ([x], a) => core.min(x, attr<Axes>(a, 'axes'), attr<boolean>(a, 'keepdims')),
  prod: ([x], a) => core.prod(x, attr<Axes>(a, 'axes'), attr<boolean>(a, 'keepdims')),
  argmax: ([x], a) => core.argmax(x, attr<number>(a, 'axis'), attr<boolean>(a, 'keepdims')),
  argmin: ([x], a) => core.argmin(x, attr<number>(a, 'axis'), attr<boolean>(a, 'keepdims')),
  reshape: ([x], a) => core.reshape(x, attr<number[]>(a, 'shape')),
  transpose: ([x], a) => core.transpose(x, attr<number[]>(a, 'pattern')),
  broadcastTo: ([x], a) => core.broadcastTo(x, attr<number[]>(a, 'shape')),
  index: ([x], a) => core.index(x, ...attr<SliceSpec[]>(a, 'specs')),
  concat: (xs, a) => core.concat(xs, attr<number>(a, 'axis')),
  split: ([x], a) => core.split(x, attr<number[]>(a, 'sections'), attr<number>(a, 'axis')),
  pad: ([x], a) =>
    a.mode === undefined
      ? core.pad(x, attr<[number, number][]>(a, 'pads'), attr<number>(a, 'value'))
      : F.pad(x, attr<[number, number][]>(a, 'pads'), attr<F.PadMode>(a, 'mode')),
  matmul: ([x, y]) => core.matmul(x, y),
  linear: ([x, w, b]) => F.linear(x, w, b ?? null),
  conv2d: ([x, w, b], a) =>
    F.conv2d(x, w, b ?? null, {
      stride: attr<[number, number]>(a, 'stride'),
      padding: attr<[number, number]>(a, 'padding'),
      dilation: attr<[number, number]>(a, 'dilation'),
      groups: attr<number>(a, 'groups'),
    }),
  convTranspose2d: ([x, w, b], a) =>
    F.convTranspose2d(x, w, b ?? null, {
      stride: attr<[number, number]>(a, 'stride'),
      padding: attr<[number, number]>(a, 'padding'),
      dilation: attr<[number, number]>(a, 'dilation'),
      groups: attr<number>(a, 'groups'),
      outputPadding: attr<[number, number]>(a, 'outputPadding'),
    }),
  interpolate: ([x], a) =>
    F.interpolate(x, {
      size: attr<number[]>(a, 'size'),
      mode: attr<'nearest' | 'bilinear'>(a, 'mode'),
      ...(a.alignCorners !== undefined ? { alignCorners: attr<boolean>(a, 'alignCorners') } : {}),
    }),
  maxPool2d: ([x], a) =>
    F.maxPool2d(x, attr<[number, number]>(a, 'kernelSize'), attr<[number, number]>(a, 'stride'), attr<[number, number]>(a, 'padding')),
  avgPool2d: ([x], a) =>
    F.avgPool2d(x, attr<[number, number]>(a, 'kernelSize'), attr<[number, number]>(a, 'stride'), attr<[number, number]>(a, 'padding')),
  softmax: ([x], a) => F.softmax(x, attr<number>(a, 'axis')),
  logSoftmax: ([x], a) => F.logSoftmax(x, attr<number>(a, 'axis')),
  batchNorm: ([x, w, b, m, v], a) => F.batchNorm(x, m, v, w, b, { training: false, eps: attr<number>(a, 'eps') }),
  layerNorm: ([x, w, b], a) =>
    F.layerNorm(x, attr<number[]>(a, 'normalizedShape'), {
      weight: w ?? null,
      bias: b ?? null,
      affine: w !== undefined,
      eps: attr<number>(a, 'eps'),
    }),
  gelu: ([x]) => F.gelu(x),
  hswish: ([x]) => F.hswish(x),
  leakyRelu: ([x], a) => F.leakyRelu(x, attr<number>(a, 'negativeSlope')),
  clip: ([x], a) => core.clip(x, attr<number | null>(a, 'lower'), attr<number | null>(a, 'upper')),
  topk: ([x], a) => F.topk(x, attr<number>(a, 'k'), { descending: attr<boolean>(a, 'descending') }),
  take: ([x, i], a) => take(x, i, attr<number>(a, 'axis')),
  gather: ([x, i], a) => core.gather(x, attr<number>(a, 'axis'), core.astype(i, 'int32')),
  lstm: (ins, a) => recurrentSequence('lstm', ins, a),
  gru: (ins, a) => recurrentSequence('gru', ins, a),
  rnn: (ins, a) => recurrentSequence('rnn', ins, a),
};
