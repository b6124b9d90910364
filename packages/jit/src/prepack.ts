import { type Backend, type ConvEpilogue, type Epilogue, getBackend, type Tensor } from '@mge/core';
import type { KernelStep, Recording, RecValue, Step } from './recording.js';

/*
 * Constant weights prepared once (trace's optimizeForInference, whose weights are frozen), on
 * backends with the optional `prepackConv2d` / `prepackMatmul`, as onnxruntime does at session
 * creation. cpu: 1×1, stem and small-map convolution filters packed into its GEMM tile's
 * panels, linear weights into blocks of output features. A convolution so prepared becomes a `conv2dEpilogue` step
 * (the epilogue that carries the prepared weight), a matmul keeps its method; a replay never
 * packs them again.
 */

/** The constant float32 tensor operand `ref` of step s reads, or null. */
function constOperand(values: readonly RecValue[], s: KernelStep, ref: unknown): Tensor | null {
  const i = s.refs.indexOf(ref as never);
  const v = i >= 0 ? values[s.reads[i]] : undefined;
  if (!v || (v.kind !== 'const' && v.kind !== 'param') || !v.tensor || v.dtype !== 'float32') return null;
  return v.tensor as Tensor;
}

const refOf = (t: Tensor) => ({ buf: t.storage.buf, shape: t.shape, dtype: t.dtype });

function prepared(values: readonly RecValue[], s: KernelStep, backend: Backend): Step | null {
  if (values[s.out].dtype !== 'float32') return null;
  if ((s.method === 'conv2d' || s.method === 'conv2dEpilogue') && backend.prepackConv2d && backend.conv2dEpilogue) {
    const w = constOperand(values, s, s.args[1]);
    const packed = w && backend.prepackConv2d(refOf(w), s.args[2] as never);
    if (packed === null || packed === undefined) return null;
    const epilogue: ConvEpilogue = { ...((s.args[3] ?? {}) as ConvEpilogue), packed };
    return { ...s, method: 'conv2dEpilogue', args: [s.args[0], s.args[1], s.args[2], epilogue] };
  }
  if (s.method === 'matmul' && backend.prepackMatmul) {
    const b = constOperand(values, s, s.args[1]);
    const packed = b && backend.prepackMatmul(refOf(b), s.args[2] as never);
    if (packed === null || packed === undefined) return null;
    const epilogue: Epilogue = { ...((s.args[3] ?? {}) as Epilogue), packed };
    return { ...s, args: [s.args[0], s.args[1], s.args[2], epilogue] };
  }
  return null;
}

export function prepackWeights(rec: Recording, steps: readonly Step[]): Step[] {
  return steps.map((s) => (s.type === 'kernel' ? (prepared(rec.values, s, getBackend(s.device)) ?? s) : s));
}
