// Scaled dot-product and multi-head attention, composed from matmul, softmax and masks.
import { add, arange, ge, matmul, mul, reshape, shapeToString, swapLastTwo, Tensor, transpose, unsqueeze, where } from '@mge/core';
import { softmax } from './activation.js';
import { dropout } from './dropout.js';

function check(op: string, x: unknown, arg: string): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: argument '${arg}' must be a Tensor, got ${x === null ? 'null' : typeof x}`);
}

export interface AttentionOptions {
  /** bool: true where a query may attend to a key; float: added to the scores. Broadcasts to (…, L, S). */
  attnMask?: Tensor | null;
  /** Mask out keys after each query's position (query i sees keys 0..i). */
  isCausal?: boolean;
  dropoutP?: number;
  training?: boolean;
  /** Defaults to 1/√E. */
  scale?: number;
}

/** softmax(q·kᵀ·scale + mask)·v for q (…, L, E), k (…, S, E), v (…, S, Ev); returns [output, weights]. */
export function attentionWithWeights(query: Tensor, key: Tensor, value: Tensor, options: AttentionOptions = {}): [Tensor, Tensor] {
  const op = 'scaledDotProductAttention';
  check(op, query, 'query');
  check(op, key, 'key');
  check(op, value, 'value');
  if (query.ndim < 2 || key.ndim < 2 || value.ndim < 2) throw new Error(`${op}: query, key and value must be at least 2-d (…, L, E)`);
  const e = query.shape[query.ndim - 1];
  const s = key.shape[key.ndim - 2];
  if (key.shape[key.ndim - 1] !== e)
    throw new Error(`${op}: argument 'key' must have query's feature size ${e} in its last axis, got ${shapeToString(key.shape)}`);
  if (value.shape[value.ndim - 2] !== s)
    throw new Error(`${op}: argument 'value' must have key's length ${s} in axis -2, got ${shapeToString(value.shape)}`);
  const { attnMask = null, isCausal = false, dropoutP = 0, training = true, scale = 1 / Math.sqrt(e) } = options;
  if (!(dropoutP >= 0 && dropoutP < 1)) throw new RangeError(`${op}: option 'dropoutP' must be in [0, 1), got ${dropoutP}`);
  let scores = mul(matmul(query, swapLastTwo(key)), scale);
  if (isCausal) {
    const l = query.shape[query.ndim - 2];
    const allowed = ge(
      unsqueeze(arange(l, undefined, 1, { dtype: 'int32', device: query.device }), 1),
      arange(s, undefined, 1, { dtype: 'int32', device: query.device }),
    );
    scores = where(allowed, scores, Number.NEGATIVE_INFINITY);
  }
  if (attnMask !== null && attnMask !== undefined) {
    check(op, attnMask, 'attnMask');
    scores = attnMask.dtype === 'bool' ? where(attnMask, scores, Number.NEGATIVE_INFINITY) : add(scores, attnMask);
  }
  const weights = dropoutP > 0 && training ? dropout(softmax(scores, -1), dropoutP, true) : softmax(scores, -1);
  return [matmul(weights, value), weights];
}

/** F.scaledDotProductAttention: softmax(q·kᵀ/√E + mask)·v. */
export function scaledDotProductAttention(query: Tensor, key: Tensor, value: Tensor, options: AttentionOptions = {}): Tensor {
  return attentionWithWeights(query, key, value, options)[0];
}

export interface MultiHeadAttentionOptions {
  /** Whether `ioWeightBias` ends with the four projection biases (MegEngine's qbias…obias, all one flag here). */
  bias?: boolean;
  /** bool (N, S): true for keys that are padding; float: added to the scores. */
  keyPaddingMask?: Tensor | null;
  /** bool (L, S) or (N·heads, L, S): true where attention is NOT allowed; float: added. */
  attnMask?: Tensor | null;
  /** Mask out keys after each query's position. */
  isCausal?: boolean;
  training?: boolean;
  /** Return the attention weights (otherwise the second result is null). Default false. */
  needWeights?: boolean;
  /** Average the returned weights over heads (N, L, S) instead of per head (N, heads, L, S). Default false. */
  averageAttnWeights?: boolean;
}

/** The lengths of MegEngine's packed `ioWeightBias`: Wq, Wk, Wv, Wo, then bq, bk, bv, bo. */
export function multiHeadAttentionWeightLength(embedDim: number, kdim: number, vdim: number, bias: boolean): number {
  return (embedDim + kdim + vdim + embedDim) * embedDim + (bias ? 4 * embedDim : 0);
}

/**
 * MegEngine's F.nn.multi_head_attention for batch-first query (N, L, E), key (N, S, kdim) and
 * value (N, S, vdim). `ioWeightBias` (1, len) packs, as megdnn reads it, Wq (E, E), Wk (kdim, E),
 * Wv (vdim, E), Wo (E, E) — each (in, out), applied as x·W — then bq, bk, bv, bo when `bias`.
 * Scores are scaled by 1/√(E/heads). Returns [output (N, L, E), weights or null].
 */
export function multiHeadAttention(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  embedDim: number,
  numHeads: number,
  attnDrop: number,
  outDrop: number,
  ioWeightBias: Tensor,
  options: MultiHeadAttentionOptions = {},
): [Tensor, Tensor | null] {
  const op = 'multiHeadAttention';
  for (const [arg, t] of [
    ['query', query],
    ['key', key],
    ['value', value],
  ] as const) {
    check(op, t, arg);
    if (t.ndim !== 3) throw new Error(`${op}: argument '${arg}' must be 3-d (batch, length, features), got ${shapeToString(t.shape)}`);
  }
  const [n, l, e] = query.shape;
  const [, s, kdim] = key.shape;
  const vdim = value.shape[2];
  if (!Number.isInteger(embedDim) || embedDim !== e)
    throw new Error(`${op}: argument 'embedDim' must equal query's feature size ${e}, got ${embedDim}`);
  if (!Number.isInteger(numHeads) || numHeads < 1 || e % numHeads !== 0) {
    throw new Error(`${op}: argument 'numHeads' must be a positive integer dividing embedDim ${e}, got ${numHeads}`);
  }
  if (key.shape[0] !== n || value.shape[0] !== n || value.shape[1] !== s) {
    throw new Error(
      `${op}: key ${shapeToString(key.shape)} and value ${shapeToString(value.shape)} must be (${n}, S, ·) with one S for query ${shapeToString(query.shape)}`,
    );
  }
  for (const [arg, p] of [
    ['attnDrop', attnDrop],
    ['outDrop', outDrop],
  ] as const)
    if (!(p >= 0 && p < 1)) throw new RangeError(`${op}: argument '${arg}' must be in [0, 1), got ${p}`);
  const {
    bias = true,
    attnMask = null,
    keyPaddingMask = null,
    isCausal = false,
    training = true,
    needWeights = false,
    averageAttnWeights = false,
  } = options;
  check(op, ioWeightBias, 'ioWeightBias');
  const len = multiHeadAttentionWeightLength(e, kdim, vdim, bias);
  if (ioWeightBias.size !== len) {
    throw new Error(
      `${op}: argument 'ioWeightBias' must hold ${len} values for embedDim ${e}, kdim ${kdim}, vdim ${vdim}${bias ? ' with' : ' without'} bias, got ${shapeToString(ioWeightBias.shape)}`,
    );
  }
  const flat = reshape(ioWeightBias, [-1]);
  let at = 0;
  const take = (shape: number[]) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const t = reshape(flat.index({ start: at, stop: at + size }), shape);
    at += size;
    return t;
  };
  const [wq, wk, wv, wo] = [take([e, e]), take([kdim, e]), take([vdim, e]), take([e, e])];
  const [bq, bk, bv, bo] = bias ? [take([e]), take([e]), take([e]), take([e])] : [null, null, null, null];
  const project = (x: Tensor, w: Tensor, b: Tensor | null) => (b ? add(matmul(x, w), b) : matmul(x, w));
  const hd = e / numHeads;
  // (N, T, E) → (N·heads, T, hd), batch-major
  const heads = (x: Tensor, t: number) => reshape(transpose(reshape(x, [n, t, numHeads, hd]), [0, 2, 1, 3]), [n * numHeads, t, hd]);
  const q = heads(project(query, wq, bq), l);
  const k = heads(project(key, wk, bk), s);
  const v = heads(project(value, wv, bv), s);
  let mask: Tensor | null = null;
  if (attnMask) {
    check(op, attnMask, 'attnMask');
    const ok = attnMask.shape.join() === `${l},${s}` || attnMask.shape.join() === `${n * numHeads},${l},${s}`;
    if (!ok)
      throw new Error(
        `${op}: argument 'attnMask' must be (${l}, ${s}) or (${n * numHeads}, ${l}, ${s}), got ${shapeToString(attnMask.shape)}`,
      );
    mask = attnMask.dtype === 'bool' ? where(attnMask, Number.NEGATIVE_INFINITY, 0) : attnMask;
  }
  if (keyPaddingMask) {
    check(op, keyPaddingMask, 'keyPaddingMask');
    if (keyPaddingMask.shape.join() !== `${n},${s}`) {
      throw new Error(`${op}: argument 'keyPaddingMask' must be (${n}, ${s}), got ${shapeToString(keyPaddingMask.shape)}`);
    }
    const pad = keyPaddingMask.dtype === 'bool' ? where(keyPaddingMask, Number.NEGATIVE_INFINITY, 0) : keyPaddingMask;
    // (N, S) → (N·heads, 1, S), batch-major like the heads
    const perHead = reshape(reshape(pad, [n, 1, 1, s]).broadcastTo([n, numHeads, 1, s]), [n * numHeads, 1, s]);
    mask = mask ? add(mask, perHead) : perHead;
  }
  const [ctx, weights] = attentionWithWeights(q, k, v, { attnMask: mask, isCausal, dropoutP: attnDrop, training });
  // (N·heads, L, hd) → (N, L, E)
  const merged = reshape(transpose(reshape(ctx, [n, numHeads, l, hd]), [0, 2, 1, 3]), [n, l, e]);
  let out = project(merged, wo, bo);
  if (outDrop > 0 && training) out = dropout(out, outDrop, true);
  if (!needWeights) return [out, null];
  const perHeadWeights = reshape(weights, [n, numHeads, l, s]);
  return [out, averageAttnWeights ? perHeadWeights.mean(1) : perHeadWeights];
}
