import * as core from '@mge/core';
import { describe, expect, it } from 'vitest';
import { toOnnx } from '../src/index.js';
import { stridedSteps } from '../src/strided.js';
import { GraphBuilder, randomData, runOrt } from './helpers.js';

core.setDefaultDevice('js');

/** A small seeded generator of integers in [lo, hi]. */
function ints(seed: number) {
  let s = seed >>> 0 || 1;
  return (lo: number, hi: number) => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return lo + Math.floor((s / 2 ** 32) * (hi - lo + 1)); // the high bits: an LCG's low bits cycle
  };
}

/**
 * The strides and offset of a view (here a transpose then an index: two kernels, one affine
 * view of the input), read back from core itself: indexing an arange gives the
 * flat position of every element, from which the (affine) strides follow.
 */
async function viewSpec(shape: number[], view: (x: core.Tensor) => core.Tensor) {
  const n = shape.reduce((a, b) => a * b, 1);
  const pos = view(core.arange(n, undefined, 1, { dtype: 'int32' }).reshape(shape));
  const flat = Array.from((await pos.data()) as Int32Array);
  const outShape = [...pos.shape];
  const strides = outShape.map((d, i) => {
    if (d < 2) return 0;
    const unit: number[] = outShape.map((_, j) => (j === i ? 1 : 0));
    const at = unit.reduce((acc: number, u, j) => acc * outShape[j] + u, 0);
    return flat[at] - flat[0];
  });
  return { outShape, strides, offset: flat[0] ?? 0 };
}

describe('random views through ONNX equal core', () => {
  it('slices with steps (negative too), integer indices, new axes and transposes', async () => {
    const r = ints(42);
    let gathered = 0;
    // every case is one input and one output of a single model: one onnxruntime session
    const g = new GraphBuilder();
    const xs: core.Tensor[] = [];
    const outs: number[] = [];
    const wants: { data: ArrayLike<number>; what: string }[] = [];
    for (let t = 0; t < 60; t++) {
      const rank = r(1, 4);
      const shape = Array.from({ length: rank }, () => r(1, 5));
      const perm = Array.from({ length: rank }, (_, i) => i).sort(() => r(0, 1) - 0.5);
      const specs: core.IndexSpec[] = [];
      for (const d of perm.map((p) => shape[p])) {
        if (r(0, 5) === 0) specs.push(null); // a new axis
        const kind = r(0, 3);
        if (kind === 0) specs.push(r(-d, d - 1));
        else if (kind === 1) specs.push({});
        else {
          const step = [1, 2, -1, -2, 3][r(0, 4)];
          const start = r(0, d - 1);
          const stop = step > 0 ? (r(0, 2) === 0 ? null : r(start + 1, d + 1)) : start === 0 || r(0, 2) === 0 ? null : r(0, start - 1);
          // Python's negative positions count from the end
          specs.push({ start: r(0, 1) ? start - d : start, stop: stop !== null && stop < d && r(0, 1) ? stop - d : stop, step });
        }
      }
      const view = (x: core.Tensor) => core.index(core.transpose(x, perm), ...specs);
      const size = shape.reduce((a, b) => a * b, 1);
      const x = core.tensor(randomData(size, t + 1)).reshape(shape);
      const want = view(x);
      if (want.size === 0) continue;
      const spec = await viewSpec(shape, view);
      if (stridedSteps(shape, spec.outShape, spec.strides, spec.offset).some((st) => st.op === 'gather')) gathered++;
      const i = g.input(shape);
      outs.push(
        g.op('index', [i], spec.outShape, { outShape: spec.outShape, strides: spec.strides, offset: spec.offset }, 'float32', 'strided'),
      );
      xs.push(x);
      wants.push({ data: await want.data(), what: `shape [${shape}] perm [${perm}] specs ${JSON.stringify(specs)}` });
    }
    const got = await runOrt(toOnnx(g.graph(outs)), xs);
    for (const [k, w] of wants.entries()) expect(Array.from(got[k]), w.what).toEqual(Array.from(w.data));
    const ran = wants.length;
    expect(ran).toBeGreaterThan(40);
    // every such view is a nested window of x: none needs the explicit-index fallback
    expect(gathered).toBe(0);
  });
});
