import { add, div, mean, mul, neg, noGrad, reshape, shapeToString, sqrt, sub, Tensor, tidy } from '@mge/core';
import { BatchNormTrain } from './batch-norm-train.js';

export interface BatchNormOptions {
  training?: boolean;
  /** Fraction of the running statistics kept at each update (MegEngine: 0.9 keeps 90 %). */
  momentum?: number;
  eps?: number;
  /** Update runningMean/runningVar in place (default) or return the new values. */
  inplace?: boolean;
}

export interface BatchNormResult {
  output: Tensor;
  runningMean: Tensor | null;
  runningVar: Tensor | null;
}

function asChannel(op: string, arg: string, t: Tensor | null | undefined, c: number, ndim: number): Tensor | null {
  if (t === null || t === undefined) return null;
  if (!(t instanceof Tensor)) throw new TypeError(`${op}: argument '${arg}' must be a Tensor, got ${typeof t}`);
  if (t.size !== c) {
    throw new Error(`${op}: argument '${arg}' must hold ${c} values (one per channel), got shape ${shapeToString(t.shape)}`);
  }
  const shape = new Array(ndim).fill(1);
  shape[1] = c;
  return reshape(t, shape);
}

/**
 * MegEngine's F.batch_norm over axis 1. Training normalises with the batch's biased
 * variance and updates running = momentum·running + (1 − momentum)·batch, using the
 * unbiased variance for runningVar.
 */
export function batchNorm(
  inp: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight: Tensor | null,
  bias: Tensor | null,
  options: BatchNormOptions & { inplace: false },
): BatchNormResult;
export function batchNorm(
  inp: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight?: Tensor | null,
  bias?: Tensor | null,
  options?: BatchNormOptions,
): Tensor;
export function batchNorm(
  inp: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight: Tensor | null = null,
  bias: Tensor | null = null,
  options: BatchNormOptions = {},
): Tensor | BatchNormResult {
  const op = 'batchNorm';
  if (!(inp instanceof Tensor)) throw new TypeError(`${op}: argument 'inp' must be a Tensor, got ${typeof inp}`);
  if (inp.ndim < 2) throw new Error(`${op}: argument 'inp' must be at least 2-d (N, C, ...), got ${shapeToString(inp.shape)}`);
  const { training = false, momentum = 0.9, eps = 1e-5, inplace = true } = options;
  if (!(momentum >= 0 && momentum <= 1)) throw new RangeError(`${op}: option 'momentum' must be in [0, 1], got ${momentum}`);
  if (!(eps > 0)) throw new RangeError(`${op}: option 'eps' must be positive, got ${eps}`);
  const c = inp.shape[1];
  const rm = asChannel(op, 'runningMean', runningMean, c, inp.ndim);
  const rv = asChannel(op, 'runningVar', runningVar, c, inp.ndim);
  const w = asChannel(op, 'weight', weight, c, inp.ndim);
  const b = asChannel(op, 'bias', bias, c, inp.ndim);
  const axes = [...inp.shape.keys()].filter((a) => a !== 1);
  let m: Tensor;
  let v: Tensor;
  let newMean: Tensor | null = null;
  let newVar: Tensor | null = null;
  if (training && inp.size === 0 && c > 0) {
    throw new Error(
      `${op}: training needs at least one value per channel for the batch statistics, got an empty input of shape ${shapeToString(inp.shape)}; the running statistics are left unchanged`,
    );
  }
  if (training) {
    // the statistics carry no gradient of their own: BatchNormTrain's backward accounts for them
    // tidy: the centred copy and its square are freed at once, not when the collector runs
    [m, v] = tidy(() =>
      noGrad(() => {
        const bm = mean(inp, axes, true);
        const d = sub(inp, bm);
        return [bm, mean(mul(d, d), axes, true)];
      }),
    );
    const n = inp.size / c;
    if (rm && rv) {
      [newMean, newVar] = noGrad(() => [
        add(mul(rm, momentum), mul(m, 1 - momentum)),
        add(mul(rv, momentum), mul(v, ((1 - momentum) * n) / Math.max(n - 1, 1))),
      ]);
    }
  } else {
    if (!rm || !rv) throw new Error(`${op}: 'runningMean' and 'runningVar' are required when training is false`);
    m = rm;
    v = rv;
  }
  let y: Tensor;
  if (training) {
    y = new BatchNormTrain(axes, eps, w !== null, b !== null).call(inp, m, v, ...[w, b].filter((t): t is Tensor => t !== null));
  } else {
    // fixed statistics fold into one scale and one shift per channel: two passes over x
    const scale = w ? div(w, sqrt(add(v, eps))) : div(1, sqrt(add(v, eps)));
    y = add(mul(inp, scale), b ? sub(b, mul(m, scale)) : neg(mul(m, scale)));
  }
  if (!inplace)
    return {
      output: y,
      runningMean: newMean && reshape(newMean, runningMean!.shape),
      runningVar: newVar && reshape(newVar, runningVar!.shape),
    };
  if (newMean && newVar) {
    runningMean!._reset(reshape(newMean, runningMean!.shape));
    runningVar!._reset(reshape(newVar, runningVar!.shape));
  }
  return y;
}
