import {
  abs,
  add,
  clip,
  concat,
  div,
  max,
  mul,
  pad,
  pow,
  reshape,
  shapeToString,
  sqrt,
  standardize,
  standardizeAffine,
  sum,
  type Tensor,
} from '@mge/core';
import { intArg, positiveArg, rankArg, tensorArg } from './check.js';

export interface NormOptions {
  affine?: boolean;
  weight?: Tensor | null;
  bias?: Tensor | null;
  eps?: number;
}

function affineArgs(op: string, o: NormOptions, shape: readonly number[]): [Tensor, Tensor] | null {
  if (!(o.affine ?? true)) return null;
  const n = shape.reduce((a, b) => a * b, 1);
  const check = (arg: 'weight' | 'bias') => {
    const t = tensorArg(op, arg, o[arg]);
    if (t.size !== n)
      throw new Error(`${op}: argument '${arg}' must have ${n} elements (shape ${shapeToString(shape)}), got ${shapeToString(t.shape)}`);
    return reshape(t, shape);
  };
  return [check('weight'), check('bias')];
}

/** MegEngine's F.layer_norm: normalises the trailing axes given by normalizedShape; weight and bias have that shape. */
export function layerNorm(inp: Tensor, normalizedShape: number | readonly number[], options: NormOptions = {}): Tensor {
  const op = 'layerNorm';
  tensorArg(op, 'inp', inp);
  const ns = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
  const tail = inp.shape.slice(inp.ndim - ns.length);
  if (ns.length === 0 || ns.length > inp.ndim || ns.some((d, i) => d !== tail[i])) {
    throw new Error(
      `${op}: argument 'normalizedShape' must match the trailing axes of inp ${shapeToString(inp.shape)}, got ${JSON.stringify(normalizedShape)}`,
    );
  }
  const eps = positiveArg(op, 'eps', options.eps ?? 1e-5);
  const wb = affineArgs(op, options, ns);
  return wb ? standardizeAffine(inp, ns.length, eps, wb[0], wb[1]) : standardize(inp, ns.length, eps);
}

/** MegEngine's F.group_norm over (N, C, ...): channels split into numGroups groups; weight and bias are (C,). */
export function groupNorm(inp: Tensor, numGroups: number, options: NormOptions = {}): Tensor {
  const op = 'groupNorm';
  rankArg(op, 'inp', inp, [2, 3, 4, 5]);
  const g = intArg(op, 'numGroups', numGroups, 1);
  const [n, c] = inp.shape;
  if (c % g !== 0) throw new Error(`${op}: argument 'numGroups' (${g}) must divide the channels (${c}) of inp ${shapeToString(inp.shape)}`);
  const eps = positiveArg(op, 'eps', options.eps ?? 1e-5);
  const y = reshape(standardize(reshape(inp, [n, g, -1]), 1, eps), inp.shape);
  const wb = affineArgs(op, options, [1, c, ...inp.shape.slice(2).map(() => 1)]);
  return wb ? add(mul(y, wb[0]), wb[1]) : y;
}

/** MegEngine's F.instance_norm: group norm with one channel per group. */
export function instanceNorm(inp: Tensor, options: NormOptions = {}): Tensor {
  rankArg('instanceNorm', 'inp', inp, [3, 4, 5]);
  return groupNorm(inp, inp.shape[1], options);
}

export interface LocalResponseNormOptions {
  kernelSize?: number;
  k?: number;
  alpha?: number;
  beta?: number;
}

/**
 * MegEngine's F.local_response_norm across channels:
 * y = x · (k + alpha · Σ x²)^(−beta), the sum over kernelSize neighbouring channels
 * (MegEngine does not divide alpha by kernelSize, unlike PyTorch).
 */
export function localResponseNorm(inp: Tensor, options: LocalResponseNormOptions = {}): Tensor {
  const op = 'localResponseNorm';
  rankArg(op, 'inp', inp, [3, 4, 5]);
  const ks = intArg(op, 'kernelSize', options.kernelSize ?? 5, 1);
  if (ks % 2 === 0) throw new Error(`${op}: argument 'kernelSize' must be odd, got ${ks}`);
  const { k = 2.0, alpha = 1e-4, beta = 0.75 } = options;
  for (const [arg, v] of [
    ['k', k],
    ['alpha', alpha],
    ['beta', beta],
  ] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new TypeError(`${op}: argument '${arg}' must be a finite number, got ${String(v)}`);
  }
  const c = inp.shape[1];
  const half = (ks - 1) / 2;
  const sq = pad(mul(inp, inp), [
    [0, 0],
    [half, half],
  ]);
  const windows: Tensor[] = [];
  for (let i = 0; i < ks; i++) windows.push(sq.index({}, { start: i, stop: i + c }));
  const s =
    windows.length === 1
      ? windows[0]
      : sum(
          concat(
            windows.map((w) => w.unsqueeze(0)),
            0,
          ),
          0,
        );
  return mul(inp, pow(add(mul(s, alpha), k), -beta));
}

export interface NormalizeOptions {
  /** The p of the p-norm (default 2); Infinity gives the max norm. */
  ord?: number;
  /** Axis (or axes) the norm runs over; all axes by default. */
  axis?: number | readonly number[] | null;
  eps?: number;
}

/** MegEngine's F.normalize: inp / max(‖inp‖_ord, eps) along axis. */
export function normalize(inp: Tensor, options: NormalizeOptions = {}): Tensor {
  const op = 'normalize';
  tensorArg(op, 'inp', inp);
  const ord = options.ord ?? 2;
  if (typeof ord !== 'number' || !(ord > 0))
    throw new RangeError(`${op}: argument 'ord' must be a positive number or Infinity, got ${String(ord)}`);
  const eps = positiveArg(op, 'eps', options.eps ?? 1e-12);
  const axis = options.axis ?? null;
  const a = abs(inp);
  let norm: Tensor;
  if (ord === Number.POSITIVE_INFINITY) norm = max(a, axis, true);
  else if (ord === 2) norm = sqrt(sum(mul(inp, inp), axis, true));
  else if (ord === 1) norm = sum(a, axis, true);
  else norm = pow(sum(pow(a, ord), axis, true), 1 / ord);
  return div(inp, clip(norm, eps));
}
