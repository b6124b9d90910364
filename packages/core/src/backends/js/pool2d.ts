import type { Pool2dParams, PoolOp } from '../../backend.js';

/**
 * Calls `visit(outIdx, planeOff, y0, y1, x0, x1)` for every output cell, where
 * rows [y0, y1) × cols [x0, x1) of the input plane at planeOff are the
 * window's non-padding cells.
 */
function forEachWindow(
  p: Pool2dParams,
  visit: (outIdx: number, planeOff: number, y0: number, y1: number, x0: number, x1: number) => void,
): void {
  let outIdx = 0;
  for (let plane = 0; plane < p.n * p.c; plane++) {
    const planeOff = plane * p.h * p.w;
    for (let oy = 0; oy < p.oh; oy++) {
      const top = oy * p.sh - p.ph;
      const y0 = Math.max(0, top);
      const y1 = Math.min(p.h, top + p.kh);
      for (let ox = 0; ox < p.ow; ox++, outIdx++) {
        const left = ox * p.sw - p.pw;
        visit(outIdx, planeOff, y0, y1, Math.max(0, left), Math.min(p.w, left + p.kw));
      }
    }
  }
}

/**
 * Flat index of the window's first maximum in row-major order, or -1 for a
 * window with no real cells (its max is the padding's −∞). NaN beats any
 * number, and the first NaN is kept, as np.max would propagate it.
 */
function argmaxWindow(x: Float32Array, w: number, planeOff: number, y0: number, y1: number, x0: number, x1: number): number {
  let best = -1;
  let bestV = -Infinity;
  for (let iy = y0; iy < y1; iy++) {
    const row = planeOff + iy * w;
    for (let ix = x0; ix < x1; ix++) {
      const v = x[row + ix];
      if (best < 0 || v > bestV || (Number.isNaN(v) && !Number.isNaN(bestV))) {
        best = row + ix;
        bestV = v;
      }
    }
  }
  return best;
}

/** Number of non-padding cells: avg pooling divides by it (count-exclude-padding). */
function cellCount(y0: number, y1: number, x0: number, x1: number): number {
  return Math.max(0, y1 - y0) * Math.max(0, x1 - x0);
}

export function pool2d(op: PoolOp, x: Float32Array, p: Pool2dParams): Float32Array {
  const y = new Float32Array(p.n * p.c * p.oh * p.ow);
  if (op === 'max') {
    forEachWindow(p, (o, plane, y0, y1, x0, x1) => {
      const i = argmaxWindow(x, p.w, plane, y0, y1, x0, x1);
      y[o] = i < 0 ? -Infinity : x[i];
    });
  } else {
    forEachWindow(p, (o, plane, y0, y1, x0, x1) => {
      const count = cellCount(y0, y1, x0, x1);
      let sum = 0;
      for (let iy = y0; iy < y1; iy++) {
        const row = plane + iy * p.w;
        for (let ix = x0; ix < x1; ix++) sum += x[row + ix];
      }
      y[o] = count === 0 ? 0 : sum / count;
    });
  }
  return y;
}

/** max: each dy goes to its window's first maximum; avg: dy/count goes to every real cell of the window. */
export function pool2dBackward(op: PoolOp, x: Float32Array, dy: Float32Array, p: Pool2dParams): Float32Array {
  const dx = new Float32Array(p.n * p.c * p.h * p.w);
  if (op === 'max') {
    forEachWindow(p, (o, plane, y0, y1, x0, x1) => {
      const i = argmaxWindow(x, p.w, plane, y0, y1, x0, x1);
      if (i >= 0) dx[i] += dy[o];
    });
  } else {
    forEachWindow(p, (o, plane, y0, y1, x0, x1) => {
      const count = cellCount(y0, y1, x0, x1);
      if (count === 0) return;
      const g = dy[o] / count;
      for (let iy = y0; iy < y1; iy++) {
        const row = plane + iy * p.w;
        for (let ix = x0; ix < x1; ix++) dx[row + ix] += g;
      }
    });
  }
  return dx;
}
