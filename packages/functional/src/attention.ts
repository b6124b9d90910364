// Scaled dot-product and multi-head attention, composed from matmul, softmax and masks.
import { add, arange, ge, matmul, mul, reshape, shapeToString, swapLastTwo, Tensor, transpose, unsqueeze, where } from '@mge/core';
import { softmax } from './activation.js';
import { linear } from './conv.js';
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

export interface MultiHeadAttentionWeights {
  /** (3E, E): the query, key and value projections stacked. */
  inProjWeight: Tensor;
  inProjBias?: Tensor | null;
  outProjWeight: Tensor;
  outProjBias?: Tensor | null;
}

export interface MultiHeadAttentionOptions {
  /** bool (L, S) or (N·heads, L, S): true where attention is NOT allowed (MegEngine's and PyTorch's MHA); float: added. */
  attnMask?: Tensor | null;
  /** bool (N, S): true for keys that are padding. */
  keyPaddingMask?: Tensor | null;
  dropout?: number;
  training?: boolean;
  /** Average the returned weights over heads (default) or return them per head. */
  averageAttnWeights?: boolean;
}

/**
 * Multi-head attention over sequence-first inputs query (L, N, E), key and value (S, N, E).
 * Returns [output (L, N, E), attention weights (N, L, S), or (N, heads, L, S) when not averaged].
 */
export function multiHeadAttention(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  numHeads: number,
  w: MultiHeadAttentionWeights,
  options: MultiHeadAttentionOptions = {},
): [Tensor, Tensor] {
  const op = 'multiHeadAttention';
  for (const [arg, t] of [
    ['query', query],
    ['key', key],
    ['value', value],
  ] as const) {
    check(op, t, arg);
    if (t.ndim !== 3) throw new Error(`${op}: argument '${arg}' must be 3-d (length, batch, embedDim), got ${shapeToString(t.shape)}`);
  }
  const [l, n, e] = query.shape;
  const s = key.shape[0];
  if (key.shape[1] !== n || value.shape[1] !== n || key.shape[2] !== e || value.shape[2] !== e || value.shape[0] !== s) {
    throw new Error(
      `${op}: key ${shapeToString(key.shape)} and value ${shapeToString(value.shape)} must be (S, ${n}, ${e}) for query ${shapeToString(query.shape)}`,
    );
  }
  if (!Number.isInteger(numHeads) || numHeads < 1 || e % numHeads !== 0) {
    throw new Error(`${op}: argument 'numHeads' must be a positive integer dividing embedDim ${e}, got ${numHeads}`);
  }
  check(op, w.inProjWeight, 'inProjWeight');
  if (w.inProjWeight.ndim !== 2 || w.inProjWeight.shape[0] !== 3 * e || w.inProjWeight.shape[1] !== e) {
    throw new Error(`${op}: argument 'inProjWeight' must be (${3 * e}, ${e}), got ${shapeToString(w.inProjWeight.shape)}`);
  }
  const { attnMask = null, keyPaddingMask = null, dropout: p = 0, training = true, averageAttnWeights = true } = options;
  const hd = e / numHeads;
  const part = (t: Tensor | null | undefined, i: number) => (t ? t.index({ start: i * e, stop: (i + 1) * e }) : null);
  // (T, N, E) → (N·heads, T, hd)
  const heads = (x: Tensor, t: number) => transpose(reshape(x, [t, n * numHeads, hd]), [1, 0, 2]);
  const q = heads(linear(query, part(w.inProjWeight, 0) as Tensor, part(w.inProjBias, 0)), l);
  const k = heads(linear(key, part(w.inProjWeight, 1) as Tensor, part(w.inProjBias, 1)), s);
  const v = heads(linear(value, part(w.inProjWeight, 2) as Tensor, part(w.inProjBias, 2)), s);
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
    const pad = where(keyPaddingMask.astype('bool'), Number.NEGATIVE_INFINITY, 0);
    // (N, S) → (N·heads, 1, S), batch-major like the heads
    const perHead = reshape(reshape(pad, [n, 1, 1, s]).broadcastTo([n, numHeads, 1, s]), [n * numHeads, 1, s]);
    mask = mask ? add(mask, perHead) : perHead;
  }
  const [ctx, weights] = attentionWithWeights(q, k, v, { attnMask: mask, dropoutP: p, training });
  // (N·heads, L, hd) → (L, N, E)
  const merged = reshape(transpose(ctx, [1, 0, 2]), [l, n, e]);
  const out = linear(merged, w.outProjWeight, w.outProjBias);
  const perHeadWeights = reshape(weights, [n, numHeads, l, s]);
  return [out, averageAttnWeights ? perHeadWeights.mean(1) : perHeadWeights];
}
