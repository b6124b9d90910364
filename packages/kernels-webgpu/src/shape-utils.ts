export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** Strides of a same-rank input broadcast to outShape: 0 where the input has size 1. */
export function broadcastStrides(inShape: readonly number[], outShape: readonly number[]): number[] {
  const s = contiguousStrides(inShape);
  return s.map((v, i) => (inShape[i] === 1 && outShape[i] !== 1 ? 0 : v));
}

/**
 * Merges neighbouring dims that every operand walks as one (stride[d] = stride[d+1]·shape[d+1]),
 * and drops size-1 dims, so most elementwise calls run as rank 1 and share one pipeline.
 */
export function coalesce(shape: readonly number[], strides: readonly (readonly number[])[]): [number[], number[][]] {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && strides.every((s, k) => outStrides[k][last] === s[d] * shape[d])) {
      outShape[last] *= shape[d];
      strides.forEach((s, k) => {
        outStrides[k][last] = s[d];
      });
    } else {
      outShape.push(shape[d]);
      strides.forEach((s, k) => {
        outStrides[k].push(s[d]);
      });
    }
  }
  return [outShape, outStrides];
}
