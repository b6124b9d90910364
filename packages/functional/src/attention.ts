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
  /** Output features of the query projection Wq (embedDim, qprojSize); 0: no projection, each head sees the whole query. Default embedDim. */
  qprojSize?: number;
  /** As qprojSize for the keys, Wk (kdim, kprojSize). Default embedDim. */
  kprojSize?: number;
  /** As qprojSize for the values, Wv (vdim, vprojSize). Default embedDim. */
  vprojSize?: number;
  /** Output features of the output projection Wo (vprojSize or heads·vdim, oprojSize); 0: no output projection. Default embedDim. */
  oprojSize?: number;
  /** Whether `ioWeightBias` holds the query projection's bias (only with qprojSize > 0). Default false, as in MegEngine. */
  qbias?: boolean;
  kbias?: boolean;
  vbias?: boolean;
  obias?: boolean;
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

type Projection = 'q' | 'k' | 'v' | 'o';
const PROJECTIONS: Projection[] = ['q', 'k', 'v', 'o'];

/**
 * MegEngine's packing of `ioWeightBias` (megdnn's multi-head attention): the weights Wq, Wk, Wv, Wo
 * of the enabled projections (each (in, out), applied as x·W), then the enabled biases bq, bk, bv,
 * bo. Returns each piece's shape, or null when it is absent.
 */
export function multiHeadAttentionLayout(
  embedDim: number,
  kdim: number,
  vdim: number,
  numHeads: number,
  options: Pick<
    MultiHeadAttentionOptions,
    'qprojSize' | 'kprojSize' | 'vprojSize' | 'oprojSize' | 'qbias' | 'kbias' | 'vbias' | 'obias'
  > = {},
): { weights: Record<Projection, number[] | null>; biases: Record<Projection, number[] | null>; length: number } {
  const op = 'multiHeadAttention';
  const size: Record<Projection, number> = { q: 0, k: 0, v: 0, o: 0 };
  for (const p of PROJECTIONS) {
    const arg = `${p}projSize` as const;
    const value = options[arg] ?? embedDim;
    if (!Number.isInteger(value) || value < 0) throw new RangeError(`${op}: option '${arg}' must be a non-negative integer, got ${value}`);
    if (p !== 'o' && value % numHeads !== 0) {
      throw new RangeError(`${op}: option '${arg}' must be a multiple of numHeads ${numHeads} (or 0), got ${value}`);
    }
    size[p] = value;
    const flag = options[`${p}bias`] ?? false;
    if (typeof flag !== 'boolean') throw new TypeError(`${op}: option '${p}bias' must be a boolean, got ${typeof flag}`);
    if (flag && value === 0) throw new Error(`${op}: option '${p}bias' needs a ${p} projection, but '${arg}' is 0`);
  }
  const input: Record<Projection, number> = { q: embedDim, k: kdim, v: vdim, o: size.v || numHeads * vdim };
  const weights = {} as Record<Projection, number[] | null>;
  const biases = {} as Record<Projection, number[] | null>;
  let length = 0;
  for (const p of PROJECTIONS) {
    weights[p] = size[p] ? [input[p], size[p]] : null;
    length += size[p] ? input[p] * size[p] : 0;
  }
  for (const p of PROJECTIONS) {
    biases[p] = options[`${p}bias`] ? [size[p]] : null;
    length += biases[p] ? size[p] : 0;
  }
  return { weights, biases, length };
}

/** The length of `ioWeightBias` with all four projections of size embedDim, all with or all without bias (M.MultiHeadAttention's). */
export function multiHeadAttentionWeightLength(embedDim: number, kdim: number, vdim: number, bias: boolean): number {
  return (embedDim + kdim + vdim + embedDim) * embedDim + (bias ? 4 * embedDim : 0);
}

/**
 * MegEngine's F.nn.multi_head_attention for batch-first query (N, L, E), key (N, S, kdim) and
 * value (N, S, vdim). `ioWeightBias` (1, len) packs the projections as `multiHeadAttentionLayout`
 * says; a projection whose size is 0 is skipped (each head then sees the whole input). Scores are
 * scaled by 1/√⌊E/heads⌋ (1/√E without a query projection), as in MegEngine.
 * Returns [output (N, L, oprojSize or heads·value features), weights or null].
 */
export function multiHeadAttention(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  embedDim: number,
  numHeads: number,
  attnDrop: number,
  outDrop: number,
  ioWeightBias: Tensor | null,
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
  if (!Number.isInteger(numHeads) || numHeads < 1)
    throw new Error(`${op}: argument 'numHeads' must be a positive integer, got ${numHeads}`);
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
    attnMask = null,
    keyPaddingMask = null,
    isCausal = false,
    training = true,
    needWeights = false,
    averageAttnWeights = false,
  } = options;
  const layout = multiHeadAttentionLayout(e, kdim, vdim, numHeads, options);
  const headDim = (p: 'q' | 'k', features: number) => (layout.weights[p] ? (layout.weights[p] as number[])[1] / numHeads : features);
  if (headDim('q', e) !== headDim('k', kdim)) {
    throw new Error(
      `${op}: query and key must have one feature size per head, got ${headDim('q', e)} (qprojSize ${options.qprojSize ?? e}) and ${headDim('k', kdim)} (kprojSize ${options.kprojSize ?? e}, kdim ${kdim})`,
    );
  }
  let flat: Tensor | null = null;
  if (layout.length > 0 || ioWeightBias !== null) {
    check(op, ioWeightBias, 'ioWeightBias');
    if (ioWeightBias.size !== layout.length) {
      const flags = PROJECTIONS.map((p) => `${p}proj ${layout.weights[p]?.[1] ?? 0}${options[`${p}bias`] ? '+bias' : ''}`).join(', ');
      throw new Error(
        `${op}: argument 'ioWeightBias' must hold ${layout.length} values for embedDim ${e}, kdim ${kdim}, vdim ${vdim} (${flags}), got ${shapeToString(ioWeightBias.shape)}`,
      );
    }
    flat = reshape(ioWeightBias, [-1]);
  }
  let at = 0;
  const take = (shape: number[] | null) => {
    if (!shape || !flat) return null;
    const size = shape.reduce((a, b) => a * b, 1);
    const t = reshape(flat.index({ start: at, stop: at + size }), shape);
    at += size;
    return t;
  };
  const w = Object.fromEntries(PROJECTIONS.map((p) => [p, take(layout.weights[p])])) as Record<Projection, Tensor | null>;
  const b = Object.fromEntries(PROJECTIONS.map((p) => [p, take(layout.biases[p])])) as Record<Projection, Tensor | null>;
  const project = (x: Tensor, p: Projection) => {
    const wp = w[p];
    if (!wp) return x;
    const y = matmul(x, wp);
    const bp = b[p];
    return bp ? add(y, bp) : y;
  };
  // (N, T, F) → (N·heads, T, F/heads), batch-major; without a projection every head gets all F features
  const heads = (x: Tensor, t: number, projected: boolean) => {
    const f = x.shape[2];
    if (!projected) return reshape(unsqueeze(x, 1).broadcastTo([n, numHeads, t, f]), [n * numHeads, t, f]);
    return reshape(transpose(reshape(x, [n, t, numHeads, f / numHeads]), [0, 2, 1, 3]), [n * numHeads, t, f / numHeads]);
  };
  const q = heads(project(query, 'q'), l, w.q !== null);
  const k = heads(project(key, 'k'), s, w.k !== null);
  const v = heads(project(value, 'v'), s, w.v !== null);
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
  const scale = 1 / Math.sqrt(w.q ? Math.floor(e / numHeads) : e);
  const [ctx, weights] = attentionWithWeights(q, k, v, { attnMask: mask, isCausal, dropoutP: attnDrop, training, scale });
  // (N·heads, L, dv) → (N, L, heads·dv)
  const dv = ctx.shape[2];
  const merged = reshape(transpose(reshape(ctx, [n, numHeads, l, dv]), [0, 2, 1, 3]), [n, l, numHeads * dv]);
  let out = project(merged, 'o');
  if (outDrop > 0 && training) out = dropout(out, outDrop, true);
  if (!needWeights) return [out, null];
  const perHeadWeights = reshape(weights, [n, numHeads, l, s]);
  return [out, averageAttnWeights ? perHeadWeights.mean(1) : perHeadWeights];
}
