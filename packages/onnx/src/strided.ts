/**
 * A strided view (core's one `strided` kernel: out[i…] = x.flat[offset + Σ i_j·strides_j]) as
 * plain ONNX steps on x: Reshape, Slice, Transpose, Expand. Every transpose, slice, flip and
 * broadcast core makes has this form; anything else (overlapping windows) becomes a Gather
 * with explicit indices.
 */
export type StridedStep =
  | { op: 'reshape'; shape: number[] }
  | { op: 'slice'; starts: number[]; ends: number[]; axes: number[]; steps: number[] }
  /** zeros appended to a 1-d value: a window's last row may run past x's end, unread */
  | { op: 'padEnd'; count: number }
  | { op: 'transpose'; perm: number[] }
  | { op: 'expand'; shape: number[] }
  /** x flattened, then gathered at `indices` (shaped as the output) */
  | { op: 'gather'; indices: Int32Array; shape: number[] };

const prod = (a: readonly number[]) => a.reduce((p, d) => p * d, 1);
const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** Steps that turn a contiguous x of `inShape` into the view; empty when the view is x itself. */
export function stridedSteps(
  inShape: readonly number[],
  outShape: readonly number[],
  strides: readonly number[],
  offset: number,
): StridedStep[] {
  const n = prod(inShape);
  const steps: StridedStep[] = [];
  let cur = [...inShape];
  // the shape before the trailing reshape, so that consecutive reshapes merge and a no-op one goes
  let beforeReshape: number[] = cur;
  const reshape = (shape: number[]) => {
    if (same(shape, cur)) return;
    const last = steps[steps.length - 1];
    if (last?.op === 'reshape') {
      if (same(shape, beforeReshape)) steps.pop();
      else last.shape = shape;
    } else {
      beforeReshape = cur;
      steps.push({ op: 'reshape', shape });
    }
    cur = shape;
  };
  const slice = (starts: number[], ends: number[], axes: number[], st: number[], shape: number[]) => {
    steps.push({ op: 'slice', starts, ends, axes, steps: st });
    cur = shape;
  };

  // dims that move through memory; size-1 and stride-0 dims come back at the end
  const moving = outShape.map((_, i) => i).filter((i) => outShape[i] > 1 && strides[i] !== 0);
  const abs = (i: number) => Math.abs(strides[i]);
  // a negative stride reads backwards: the window starts at its far end
  let start = offset;
  for (const i of moving) if (strides[i] < 0) start += strides[i] * (outShape[i] - 1);
  const order = [...moving].sort((a, b) => abs(b) - abs(a) || a - b);
  const nested = order.every(
    (d, j) => j === order.length - 1 || (abs(d) % abs(order[j + 1]) === 0 && outShape[order[j + 1]] * abs(order[j + 1]) <= abs(d)),
  );
  if (prod(outShape) === 0 || !nested) return [gatherStep(outShape, strides, offset)];

  if (order.length === 0) {
    reshape([n]);
    if (n > 1 || start !== 0) slice([start], [start + 1], [0], [1], [1]);
  } else {
    // the flat window [start, start + span) holds every element read, row-major in `order`
    const inner = abs(order[order.length - 1]);
    const span = abs(order[0]) * outShape[order[0]];
    const window = [outShape[order[0]], ...order.slice(1).map((d, j) => abs(order[j]) / abs(d)), inner];
    const lens = [...order.map((d) => outShape[d]), 1];
    if (start !== 0 || span !== n) {
      reshape([n]);
      const end = Math.min(n, start + span);
      if (start !== 0 || end !== n) slice([start], [end], [0], [1], [end - start]);
      if (end - start < span) {
        steps.push({ op: 'padEnd', count: span - (end - start) });
        cur = [span];
      }
    }
    reshape(window);
    const axes = window.map((_, a) => a).filter((a) => lens[a] < window[a]);
    if (axes.length) {
      slice(
        axes.map(() => 0),
        axes.map((a) => lens[a]),
        axes,
        axes.map(() => 1),
        [...lens],
      );
    }
    reshape(lens.slice(0, -1));
    for (const [j, d] of order.entries()) {
      if (strides[d] < 0) slice([-1], [-(outShape[d] + 1)], [j], [-1], cur);
    }
    // `order` is sorted by stride; put the axes back in output order
    const perm = [...order].sort((a, b) => a - b).map((d) => order.indexOf(d));
    if (perm.some((p, i) => p !== i)) {
      steps.push({ op: 'transpose', perm });
      cur = perm.map((p) => cur[p]);
    }
  }
  const withOnes = outShape.map((d, i) => (moving.includes(i) ? d : 1));
  reshape(withOnes);
  if (!same(withOnes, outShape)) steps.push({ op: 'expand', shape: [...outShape] });
  return steps;
}

function gatherStep(outShape: readonly number[], strides: readonly number[], offset: number): StridedStep {
  const size = prod(outShape);
  const indices = new Int32Array(size);
  const idx = outShape.map(() => 0);
  for (let k = 0; k < size; k++) {
    let at = offset;
    for (let j = 0; j < idx.length; j++) at += idx[j] * strides[j];
    indices[k] = at;
    for (let j = idx.length - 1; j >= 0; j--) {
      if (++idx[j] < outShape[j]) break;
      idx[j] = 0;
    }
  }
  return { op: 'gather', indices, shape: [...outShape] };
}
