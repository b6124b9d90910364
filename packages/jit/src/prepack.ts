import { type ConvEpilogue, getBackend, type Tensor } from '@mge/core';
import type { KernelStep, Recording, Step } from './recording.js';

/*
 * Constant convolution weights prepared once (trace's optimizeForInference, whose weights are
 * frozen): on backends with the optional `prepackConv2d`, a convolution whose weight the
 * backend can lay out ahead of time (cpu: 1×1 layers, packed into its GEMM tile's panels, as
 * onnxruntime does at session creation) becomes a `conv2dEpilogue` step that carries the
 * prepared weight, so a replay never packs it again.
 */

type ConvStep = KernelStep & { method: 'conv2d' | 'conv2dEpilogue' };

export function prepackWeights(rec: Recording, steps: readonly Step[]): Step[] {
  const { values } = rec;
  return steps.map((s) => {
    if (s.type !== 'kernel' || (s.method !== 'conv2d' && s.method !== 'conv2dEpilogue')) return s;
    const backend = getBackend(s.device);
    if (!backend.prepackConv2d || !backend.conv2dEpilogue || values[s.out].dtype !== 'float32') return s;
    const c = s as ConvStep;
    const wi = c.refs.indexOf(c.args[1] as never);
    const w = wi >= 0 ? values[c.reads[wi]] : undefined;
    if (!w || (w.kind !== 'const' && w.kind !== 'param') || !w.tensor || w.dtype !== 'float32') return s;
    const t = w.tensor as Tensor;
    const packed = backend.prepackConv2d({ buf: t.storage.buf, shape: t.shape, dtype: t.dtype }, c.args[2] as never);
    if (packed === null || packed === undefined) return s;
    const old = (c.args[3] ?? {}) as ConvEpilogue;
    const epilogue: ConvEpilogue = { ...old, packed };
    return { ...c, method: 'conv2dEpilogue', args: [c.args[0], c.args[1], c.args[2], epilogue] };
  });
}
