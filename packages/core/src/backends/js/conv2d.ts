import type { Conv2dParams } from '../../backend.js';
import { gemm } from './matmul.js';

/*
 * Convolution as GEMM. Per image and group, with Cg = C/groups input channels,
 * Og = O/groups filters, K = Cg·KH·KW and P = OH·OW:
 *   forward          y_g  [Og×P] = W_g [Og×K] · col [K×P]        (col = im2col(x_g))
 *   backward input   dcol [K×P]  = W_gᵀ · dy_g,  dx_g = col2im(dcol)
 *   backward filter  dW_g [Og×K] += dy_g · colᵀ                  (summed over images)
 * A 1×1, stride-1, unpadded convolution needs no im2col: x_g already is col.
 */

function isPointwise(p: Conv2dParams): boolean {
  return p.kh === 1 && p.kw === 1 && p.sh === 1 && p.sw === 1 && p.ph === 0 && p.pw === 0;
}

/**
 * Output positions o in [lo, hi) whose input coordinate o·stride − pad + tap
 * falls inside [0, inLen); outside it the input is zero padding.
 */
function validRange(outLen: number, stride: number, pad: number, tap: number, inLen: number): [number, number] {
  const lo = Math.max(0, Math.ceil((pad - tap) / stride));
  const hi = Math.min(outLen, Math.ceil((inLen + pad - tap) / stride));
  return [lo, Math.max(lo, hi)];
}

/**
 * Visits every (col row, input row) pair of one group's patch matrix: calls
 * `row(colIdx, xIdx, oxLo, oxHi)` where col[colIdx + ox] pairs with
 * x[xIdx + ox·sw] for ox in [oxLo, oxHi). Rows hitting vertical padding are
 * reported with an empty range so im2col can zero them.
 */
function forEachPatchRow(p: Conv2dParams, row: (colIdx: number, xIdx: number, oxLo: number, oxHi: number) => void): void {
  const cg = p.c / p.groups;
  const P = p.oh * p.ow;
  let r = 0;
  for (let ci = 0; ci < cg; ci++) {
    for (let ki = 0; ki < p.kh; ki++) {
      const tapY = ki * p.dh;
      const [oyLo, oyHi] = validRange(p.oh, p.sh, p.ph, tapY, p.h);
      for (let kj = 0; kj < p.kw; kj++, r++) {
        const tapX = kj * p.dw;
        const [oxLo, oxHi] = validRange(p.ow, p.sw, p.pw, tapX, p.w);
        for (let oy = 0; oy < p.oh; oy++) {
          const colIdx = r * P + oy * p.ow;
          if (oy < oyLo || oy >= oyHi) {
            row(colIdx, 0, 0, 0);
            continue;
          }
          const iy = oy * p.sh - p.ph + tapY;
          row(colIdx, (ci * p.h + iy) * p.w - p.pw + tapX, oxLo, oxHi);
        }
      }
    }
  }
}

/** col[K×P] ← patches of the group's input starting at x[xOff]. */
function im2col(x: Float32Array, xOff: number, p: Conv2dParams, col: Float32Array): void {
  const { ow, sw } = p;
  forEachPatchRow(p, (colIdx, xIdx, lo, hi) => {
    col.fill(0, colIdx, colIdx + lo);
    for (let ox = lo; ox < hi; ox++) col[colIdx + ox] = x[xOff + xIdx + ox * sw];
    col.fill(0, colIdx + hi, colIdx + ow);
  });
}

/** The adjoint of im2col: dx[dxOff…] += every patch entry of col scattered back to its input cell. */
function col2im(col: Float32Array, p: Conv2dParams, dx: Float32Array, dxOff: number): void {
  const { sw } = p;
  forEachPatchRow(p, (colIdx, xIdx, lo, hi) => {
    for (let ox = lo; ox < hi; ox++) dx[dxOff + xIdx + ox * sw] += col[colIdx + ox];
  });
}

interface Dims {
  cg: number;
  og: number;
  /** Rows of the patch matrix: Cg·KH·KW. */
  kk: number;
  /** Output positions per image: OH·OW. */
  pp: number;
}

function dims(p: Conv2dParams): Dims {
  const cg = p.c / p.groups;
  return { cg, og: p.o / p.groups, kk: cg * p.kh * p.kw, pp: p.oh * p.ow };
}

export function conv2d(x: Float32Array, w: Float32Array, p: Conv2dParams): Float32Array {
  const { cg, og, kk, pp } = dims(p);
  const y = new Float32Array(p.n * p.o * pp);
  const direct = isPointwise(p);
  const col = direct ? x : new Float32Array(kk * pp);
  for (let ni = 0; ni < p.n; ni++) {
    for (let g = 0; g < p.groups; g++) {
      const xOff = (ni * p.c + g * cg) * p.h * p.w;
      if (!direct) im2col(x, xOff, p, col);
      gemm(og, pp, kk, w, g * og * kk, false, col, direct ? xOff : 0, false, y, (ni * p.o + g * og) * pp, false);
    }
  }
  return y;
}

export function conv2dBackwardInput(dy: Float32Array, w: Float32Array, p: Conv2dParams): Float32Array {
  const { cg, og, kk, pp } = dims(p);
  const dx = new Float32Array(p.n * p.c * p.h * p.w);
  const direct = isPointwise(p);
  const dcol = direct ? dx : new Float32Array(kk * pp);
  for (let ni = 0; ni < p.n; ni++) {
    for (let g = 0; g < p.groups; g++) {
      const dxOff = (ni * p.c + g * cg) * p.h * p.w;
      const dyOff = (ni * p.o + g * og) * pp;
      gemm(kk, pp, og, w, g * og * kk, true, dy, dyOff, false, dcol, direct ? dxOff : 0, false);
      if (!direct) col2im(dcol, p, dx, dxOff);
    }
  }
  return dx;
}

export function conv2dBackwardFilter(x: Float32Array, dy: Float32Array, p: Conv2dParams): Float32Array {
  const { cg, og, kk, pp } = dims(p);
  const dw = new Float32Array(p.o * kk);
  const direct = isPointwise(p);
  const col = direct ? x : new Float32Array(kk * pp);
  for (let ni = 0; ni < p.n; ni++) {
    for (let g = 0; g < p.groups; g++) {
      const xOff = (ni * p.c + g * cg) * p.h * p.w;
      if (!direct) im2col(x, xOff, p, col);
      const dyOff = (ni * p.o + g * og) * pp;
      gemm(og, kk, pp, dy, dyOff, false, col, direct ? xOff : 0, true, dw, g * og * kk, true);
    }
  }
  return dw;
}
