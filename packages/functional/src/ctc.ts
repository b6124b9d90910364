// CTC loss by the forward (alpha) recursion in log space, composed from gather, where and
// elementwise ops: one small step per time frame, differentiated by autograd.
import {
  add,
  astype,
  concat,
  eq,
  exp,
  full,
  gather,
  log,
  logicalAnd,
  lt,
  maximum,
  mean,
  mul,
  ne,
  neg,
  pad,
  reshape,
  shapeToString,
  stack,
  sub,
  sum,
  Tensor,
  unsqueeze,
  where,
} from '@mge/core';

function check(op: string, x: unknown, arg: string, ndim: number, int: boolean): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: argument '${arg}' must be a Tensor, got ${x === null ? 'null' : typeof x}`);
  if (x.ndim !== ndim) throw new Error(`${op}: argument '${arg}' must be ${ndim}-d, got shape ${shapeToString(x.shape)}`);
  if (int !== (x.dtype === 'int32')) throw new TypeError(`${op}: argument '${arg}' must be ${int ? 'int32' : 'float32'}, got ${x.dtype}`);
}

const NEG_INF = Number.NEGATIVE_INFINITY;

/** log(Σ exp(xs)) elementwise; −∞ (with zero gradient) where every term is −∞. */
function logAddExp(xs: Tensor[]): Tensor {
  const m = xs.reduce((a, b) => maximum(a, b)).detach();
  const finite = where(eq(m, NEG_INF), 0, m);
  const s = xs.map((x) => exp(sub(x, finite))).reduce((a, b) => add(a, b));
  const empty = eq(s, 0);
  return where(empty, NEG_INF, add(finite, log(where(empty, 1, s))));
}

export interface CtcLossOptions {
  blank?: number;
  reduction?: 'mean' | 'sum' | 'none';
  /** pred holds log-probabilities (PyTorch's convention) instead of probabilities (MegEngine's). */
  logProbs?: boolean;
}

/**
 * MegEngine's F.nn.ctc_loss: pred (T, N, C) probabilities over C classes (blank included),
 * predLengths (N), label (N, S) padded targets, labelLengths (N). 'mean' divides each
 * sample's loss by its label length, then averages, as MegEngine and PyTorch do.
 */
export function ctcLoss(pred: Tensor, predLengths: Tensor, label: Tensor, labelLengths: Tensor, options: CtcLossOptions = {}): Tensor {
  const op = 'ctcLoss';
  check(op, pred, 'pred', 3, false);
  check(op, predLengths, 'predLengths', 1, true);
  check(op, label, 'label', 2, true);
  check(op, labelLengths, 'labelLengths', 1, true);
  const [t, n, c] = pred.shape;
  const s = label.shape[1];
  const { blank = 0, reduction = 'mean', logProbs = false } = options;
  if (!Number.isInteger(blank) || blank < 0 || blank >= c)
    throw new RangeError(`${op}: option 'blank' must be an integer in [0, ${c - 1}], got ${blank}`);
  if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none') {
    throw new TypeError(`${op}: option 'reduction' must be 'mean', 'sum' or 'none', got ${String(reduction)}`);
  }
  for (const [arg, x] of [
    ['predLengths', predLengths],
    ['labelLengths', labelLengths],
  ] as const) {
    if (x.shape[0] !== n)
      throw new Error(`${op}: argument '${arg}' must have one entry per sample (${n}), got shape ${shapeToString(x.shape)}`);
  }
  if (label.shape[0] !== n) throw new Error(`${op}: argument 'label' must be (${n}, S), got ${shapeToString(label.shape)}`);
  if (s === 0) throw new Error(`${op}: argument 'label' must have at least one column, got ${shapeToString(label.shape)}`);
  checkLengths(op, 'predLengths', predLengths, t);
  checkLengths(op, 'labelLengths', labelLengths, s);
  if (t === 0) throw new Error(`${op}: argument 'pred' must have at least one time step, got ${shapeToString(pred.shape)}`);
  const dev = { device: pred.device };
  const logp = logProbs ? pred : log(pred);
  // the extended label: blank, l1, blank, l2, …, blank
  const blanks = full([n, s], blank, { dtype: 'int32', ...dev });
  const ext = concat([reshape(stack([blanks, label], 2), [n, 2 * s]), full([n, 1], blank, { dtype: 'int32', ...dev })], 1);
  const l = 2 * s + 1;
  const lp = gather(logp, 2, ext.reshape([1, n, l]).broadcastTo([t, n, l]));
  // a label may be reached from two back unless it is blank or repeats that one
  const skip = pad(logicalAnd(ne(ext.index({}, { start: 2 }), blank), ne(ext.index({}, { start: 2 }), ext.index({}, { stop: -2 }))), [
    [0, 0],
    [2, 0],
  ]);
  const shift = (a: Tensor, k: number) =>
    pad(
      a.index({}, { stop: l - k }),
      [
        [0, 0],
        [k, 0],
      ],
      NEG_INF,
    );
  const start = pad(
    lp.index(0, {}, { stop: Math.min(2, l) }),
    [
      [0, 0],
      [0, l - Math.min(2, l)],
    ],
    NEG_INF,
  );
  let alpha = start;
  const lens = unsqueeze(predLengths, 1);
  for (let i = 1; i < t; i++) {
    const next = add(logAddExp([alpha, shift(alpha, 1), where(skip, shift(alpha, 2), NEG_INF)]), lp.index(i));
    alpha = where(lt(i, lens), next, alpha);
  }
  const last = unsqueeze(mul(labelLengths, 2), 1);
  const endBlank = gather(alpha, 1, last);
  const endLabel = where(unsqueeze(lt(0, labelLengths), 1), gather(alpha, 1, maximum(sub(last, 1), 0)), NEG_INF);
  const loss = neg(reshape(logAddExp([endBlank, endLabel]), [n]));
  if (reduction === 'none') return loss;
  if (reduction === 'sum') return sum(loss);
  return mean(loss.div(astype(maximum(labelLengths, 1), 'float32')));
}

/** Lengths must lie in [0, max]; checked where the device reads synchronously. */
function checkLengths(op: string, arg: string, x: Tensor, max: number): void {
  if (!x.backend.readSync) return;
  const v = x.dataSync();
  for (let i = 0; i < v.length; i++) {
    if (v[i] < 0 || v[i] > max) throw new RangeError(`${op}: argument '${arg}' must hold values in [0, ${max}], got ${v[i]} at index ${i}`);
  }
}
