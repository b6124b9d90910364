// One step of the recurrent cells (MegEngine's / PyTorch's gate layouts). The sequence
// loops, layers and directions are in @mge/module's RNN, LSTM and GRU.
import { add, matmul, mul, relu, shapeToString, sigmoid, split, sub, Tensor, tanh } from '@mge/core';

function check(op: string, x: unknown, arg: string): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: argument '${arg}' must be a Tensor, got ${x === null ? 'null' : typeof x}`);
}

/** x·Wᵀ + b for x (N, in), W (gates·H, in), b (gates·H) or null. */
function affine(op: string, x: Tensor, w: Tensor, b: Tensor | null | undefined, xArg: string, wArg: string): Tensor {
  check(op, x, xArg);
  check(op, w, wArg);
  if (x.ndim !== 2) throw new Error(`${op}: argument '${xArg}' must be 2-d (batch, features), got ${shapeToString(x.shape)}`);
  if (w.ndim !== 2 || w.shape[1] !== x.shape[1]) {
    throw new Error(
      `${op}: argument '${wArg}' must be (gates·hidden, ${x.shape[1]}) for ${xArg} ${shapeToString(x.shape)}, got ${shapeToString(w.shape)}`,
    );
  }
  const y = matmul(x, w, false, true);
  return b ? add(y, b) : y;
}

export interface CellWeights {
  weightIh: Tensor;
  weightHh: Tensor;
  biasIh?: Tensor | null;
  biasHh?: Tensor | null;
  /** LSTM only: the projection W_hr (proj, hidden) of an LSTM with projections (h' = W_hr·h). */
  weightHr?: Tensor | null;
}

/** h' = act(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh), act tanh or relu. */
export function rnnCell(inp: Tensor, hx: Tensor, w: CellWeights, nonlinearity: 'tanh' | 'relu' = 'tanh'): Tensor {
  if (nonlinearity !== 'tanh' && nonlinearity !== 'relu') {
    throw new TypeError(`rnnCell: argument 'nonlinearity' must be 'tanh' or 'relu', got ${String(nonlinearity)}`);
  }
  const pre = add(
    affine('rnnCell', inp, w.weightIh, w.biasIh, 'inp', 'weightIh'),
    affine('rnnCell', hx, w.weightHh, w.biasHh, 'hx', 'weightHh'),
  );
  return nonlinearity === 'tanh' ? tanh(pre) : relu(pre);
}

/**
 * One LSTM step; gates in the order input, forget, cell, output. Returns [h', c']. With
 * `w.weightHr` (proj, hidden) it is an LSTM with projections (MegEngine's and PyTorch's
 * proj_size): h' = W_hr·(o ⊙ tanh c'), so hx and h' have proj features and W_hh is (4·hidden, proj).
 */
export function lstmCell(inp: Tensor, hx: Tensor, cx: Tensor, w: CellWeights): [Tensor, Tensor] {
  check('lstmCell', cx, 'cx');
  const gates = add(
    affine('lstmCell', inp, w.weightIh, w.biasIh, 'inp', 'weightIh'),
    affine('lstmCell', hx, w.weightHh, w.biasHh, 'hx', 'weightHh'),
  );
  const hidden = gates.shape[1] / 4;
  if (!Number.isInteger(hidden)) {
    throw new Error(`lstmCell: argument 'weightIh' must have 4·hidden rows (gates i, f, g, o), got ${shapeToString(w.weightIh.shape)}`);
  }
  if (cx.ndim !== 2 || cx.shape[0] !== gates.shape[0] || cx.shape[1] !== hidden) {
    throw new Error(`lstmCell: argument 'cx' must be (${gates.shape[0]}, ${hidden}), got ${shapeToString(cx.shape)}`);
  }
  const [i, f, g, o] = split(gates, 4, 1);
  const c = add(mul(sigmoid(f), cx), mul(sigmoid(i), tanh(g)));
  const h = mul(sigmoid(o), tanh(c));
  const { weightHr } = w;
  if (weightHr === null || weightHr === undefined) return [h, c];
  check('lstmCell', weightHr, 'weightHr');
  if (weightHr.ndim !== 2 || weightHr.shape[1] !== hidden || weightHr.shape[0] !== hx.shape[1]) {
    throw new Error(
      `lstmCell: argument 'weightHr' must be (${hx.shape[1]}, ${hidden}) (proj = hx's features, hidden), got ${shapeToString(weightHr.shape)}`,
    );
  }
  return [matmul(h, weightHr, false, true), c];
}

/** One GRU step; gates reset, update, new: n = tanh(x·W_inᵀ + b_in + r·(h·W_hnᵀ + b_hn)). */
export function gruCell(inp: Tensor, hx: Tensor, w: CellWeights): Tensor {
  const [xr, xz, xn] = split(affine('gruCell', inp, w.weightIh, w.biasIh, 'inp', 'weightIh'), 3, 1);
  const [hr, hz, hn] = split(affine('gruCell', hx, w.weightHh, w.biasHh, 'hx', 'weightHh'), 3, 1);
  const r = sigmoid(add(xr, hr));
  const z = sigmoid(add(xz, hz));
  const n = tanh(add(xn, mul(r, hn)));
  return add(n, mul(z, sub(hx, n)));
}
