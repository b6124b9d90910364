import { noGrad, recordOp } from '../autograd/tape.js';
import type { AttentionParams } from '../backend.js';
import { getBackend } from '../registry.js';
import { shapeToString } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { div, ge, mul, sub } from './binary.js';
import { arange } from './creation.js';
import { assertFloat, assertTensor, backendHasKernel, commonDevice, runKernel } from './engine.js';
import { matmul } from './matmul.js';
import { reshape, split, transpose, unsqueeze } from './movement.js';
import { max, sum } from './reduce.js';
import { exp } from './unary.js';
import { where } from './where.js';

/*
 * Multi-head self-attention over one packed projection, as a transformer block computes it:
 * qkv (B, T, 3·H·E) holds the queries, keys and values of H heads of E features each (the
 * layout of a (B, T, 3, H, E) reshape); the result is (B, T, H·E), the heads side by side,
 * ready for the output projection. One kernel forward and one backward where the backend has
 * `selfAttention` (no transposes, no T×T score tensors kept between the passes); elsewhere the
 * same computation composed from matmul, softmax's operators and transposes, which autograd
 * differentiates.
 */

export interface SelfAttentionOptions {
  /** Query t sees keys 0..t only (a decoder). Default false. */
  causal?: boolean;
  /** Multiplies the scores q·k before the softmax; default 1/√E. */
  scale?: number;
}

function attentionParams(op: string, qkv: Tensor, numHeads: number, options: SelfAttentionOptions): AttentionParams {
  assertTensor(op, qkv, 'qkv');
  assertFloat(op, qkv, 'qkv');
  if (qkv.ndim !== 3)
    throw new Error(`${op}: argument 'qkv' must be 3-d (B, T, 3·numHeads·headDim), got shape ${shapeToString(qkv.shape)}`);
  if (!Number.isInteger(numHeads) || numHeads < 1)
    throw new TypeError(`${op}: argument 'numHeads' must be a positive integer, got ${String(numHeads)}`);
  const [batch, seq, width] = qkv.shape;
  if (width % (3 * numHeads) !== 0 || width === 0)
    throw new Error(
      `${op}: the last axis of 'qkv' ${shapeToString(qkv.shape)} must be 3·numHeads·headDim with numHeads = ${numHeads}, got ${width}`,
    );
  const headDim = width / (3 * numHeads);
  const causal = options.causal ?? false;
  if (typeof causal !== 'boolean') throw new TypeError(`${op}: option 'causal' must be a boolean, got ${typeof causal}`);
  const scale = options.scale ?? 1 / Math.sqrt(headDim);
  if (typeof scale !== 'number' || !Number.isFinite(scale))
    throw new TypeError(`${op}: option 'scale' must be a finite number, got ${String(scale)}`);
  return { batch, seq, heads: numHeads, headDim, causal, scale };
}

/** The composition a backend without the kernel runs (autograd differentiates it). */
function composed(qkv: Tensor, p: AttentionParams): Tensor {
  const { batch: b, seq: t, heads: h, headDim: e } = p;
  const parts = transpose(reshape(qkv, [b, t, 3, h, e]), [2, 0, 3, 1, 4]);
  const [q, k, v] = split(parts, 3, 0).map((z) => reshape(z, [b, h, t, e]));
  let s = mul(matmul(q, k, false, true), p.scale);
  if (p.causal) {
    const pos = arange(t, undefined, 1, { dtype: 'int32', device: qkv.device });
    s = where(ge(unsqueeze(pos, 1), pos), s, Number.NEGATIVE_INFINITY);
  }
  // softmax along the keys; the shift by the row maximum changes nothing but the range of exp
  const shift = noGrad(() => max(s, -1, true));
  const e2 = exp(sub(s, shift));
  const y = matmul(div(e2, sum(e2, -1, true)), v);
  return reshape(transpose(y, [0, 2, 1, 3]), [b, t, h * e]);
}

/**
 * softmax(q·kᵀ·scale (+ causal mask))·v for each of `numHeads` heads of a packed (B, T, 3·H·E)
 * projection; returns (B, T, H·E). MegEngine composes the same from its functional
 * multi-head attention; here it is one operator so that a backend can run it in one pass.
 */
export function selfAttention(qkv: Tensor, numHeads: number, options: SelfAttentionOptions = {}): Tensor {
  const op = 'selfAttention';
  const p = attentionParams(op, qkv, numHeads, options);
  const backend = getBackend(commonDevice(op, [qkv]));
  if (!(backend.selfAttention && backend.selfAttentionBackward && backendHasKernel(backend, op))) return composed(qkv, p);
  const outShape = [p.batch, p.seq, p.heads * p.headDim];
  const rq = qkv.ref(op);
  const out = runKernel(op, [qkv], outShape, 'float32', (k) => k.selfAttention!(rq, p));
  recordOp([qkv], out, (dy) => {
    const grad = 'selfAttentionBackward';
    const rdy = dy.ref(grad);
    const rx = qkv.ref(grad);
    return [runKernel(grad, [qkv, dy], qkv.shape, 'float32', (k) => k.selfAttentionBackward!(rx, rdy, p))];
  });
  return out;
}
