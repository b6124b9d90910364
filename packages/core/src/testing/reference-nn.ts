/** Naive float64 matmul, convolution and pooling: the definitions, written as loops. */
import { broadcastShape, build, type Nd, reshape } from './nd.js';

/**
 * NumPy's matmul on the last two axes with broadcast batch axes, with optional
 * transposes of the operands' matrices; 1-D operands are promoted and the axis removed.
 */
export function matmul(a: Nd, b: Nd, transA = false, transB = false): Nd {
  const a2 = a.shape.length === 1 ? reshape(a, [1, a.shape[0]]) : a;
  const b2 = b.shape.length === 1 ? reshape(b, [b.shape[0], 1]) : b;
  const ra = a2.shape.length;
  const rb = b2.shape.length;
  const tA = a.shape.length > 1 && transA;
  const tB = b.shape.length > 1 && transB;
  const m = tA ? a2.shape[ra - 1] : a2.shape[ra - 2];
  const k = tA ? a2.shape[ra - 2] : a2.shape[ra - 1];
  const n = tB ? b2.shape[rb - 2] : b2.shape[rb - 1];
  const batch = broadcastShape(a2.shape.slice(0, -2), b2.shape.slice(0, -2));
  // Where operand x's matrix for batch index bi starts (its batch axes broadcast).
  const matrixStart = (x: Nd, bi: number[]): number => {
    const r = x.shape.length;
    const lead = bi.length - (r - 2);
    let off = 0;
    for (let d = 0; d < r - 2; d++) off = off * x.shape[d] + (x.shape[d] === 1 ? 0 : bi[d + lead]);
    return off * x.shape[r - 2] * x.shape[r - 1];
  };
  const colsA = a2.shape[ra - 1];
  const colsB = b2.shape[rb - 1];
  const out = build([...batch, m, n], 'float32', (idx) => {
    const bi = idx.slice(0, -2);
    const i = idx[idx.length - 2];
    const j = idx[idx.length - 1];
    const a0 = matrixStart(a2, bi) + (tA ? i : i * colsA);
    const aStep = tA ? colsA : 1;
    const b0 = matrixStart(b2, bi) + (tB ? j * colsB : j);
    const bStep = tB ? 1 : colsB;
    let s = 0;
    for (let p = 0; p < k; p++) s += a2.data[a0 + p * aStep] * b2.data[b0 + p * bStep];
    return s;
  });
  const shape = [...out.shape];
  if (b.shape.length === 1) shape.splice(shape.length - 1, 1);
  if (a.shape.length === 1) shape.splice(shape.length - (b.shape.length === 1 ? 1 : 2), 1);
  return reshape(out, shape);
}

export interface ConvArgs {
  stride?: [number, number];
  padding?: [number, number];
  dilation?: [number, number];
  groups?: number;
}

/** Cross-correlation of x [N,C,H,W] with w [O,C/g,KH,KW]; zero padding. */
export function conv2d(x: Nd, w: Nd, args: ConvArgs = {}): Nd {
  const [sh, sw] = args.stride ?? [1, 1];
  const [ph, pw] = args.padding ?? [0, 0];
  const [dh, dw] = args.dilation ?? [1, 1];
  const g = args.groups ?? 1;
  const [n, c, h, wd] = x.shape;
  const [o, cg, kh, kw] = w.shape;
  const oh = Math.floor((h + 2 * ph - dh * (kh - 1) - 1) / sh) + 1;
  const ow = Math.floor((wd + 2 * pw - dw * (kw - 1) - 1) / sw) + 1;
  const opg = o / g;
  if (cg * g !== c) throw new Error('reference conv2d: channel mismatch');
  return build([n, o, oh, ow], 'float32', ([b, oc, y, xo]) => {
    const grp = Math.floor(oc / opg);
    let s = 0;
    for (let ci = 0; ci < cg; ci++) {
      for (let i = 0; i < kh; i++) {
        const iy = y * sh - ph + i * dh;
        if (iy < 0 || iy >= h) continue;
        for (let j = 0; j < kw; j++) {
          const ix = xo * sw - pw + j * dw;
          if (ix < 0 || ix >= wd) continue;
          s += x.data[((b * c + grp * cg + ci) * h + iy) * wd + ix] * w.data[((oc * cg + ci) * kh + i) * kw + j];
        }
      }
    }
    return s;
  });
}

/** Max pooling (padding never wins) or average pooling over non-padded cells only. */
export function pool2d(op: 'max' | 'avg', x: Nd, k: [number, number], s: [number, number], p: [number, number] = [0, 0]): Nd {
  const [n, c, h, w] = x.shape;
  const oh = Math.floor((h + 2 * p[0] - k[0]) / s[0]) + 1;
  const ow = Math.floor((w + 2 * p[1] - k[1]) / s[1]) + 1;
  return build([n, c, oh, ow], 'float32', ([b, ch, y, xo]) => {
    let best = -Infinity;
    let total = 0;
    let count = 0;
    for (let i = 0; i < k[0]; i++) {
      const iy = y * s[0] - p[0] + i;
      if (iy < 0 || iy >= h) continue;
      for (let j = 0; j < k[1]; j++) {
        const ix = xo * s[1] - p[1] + j;
        if (ix < 0 || ix >= w) continue;
        const v = x.data[((b * c + ch) * h + iy) * w + ix];
        best = Math.max(best, v);
        total += v;
        count++;
      }
    }
    return op === 'max' ? best : total / count;
  });
}
