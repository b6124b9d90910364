/**
 * The transformer block's fused operators: self-attention over a packed qkv projection,
 * exact GELU and the norms' standardisation. Small shapes check gradients; the larger ones
 * cross the cpu kernels' vector widths and threading thresholds (forward only: central
 * differences over every element would be slow).
 */
import * as mge from '../../index.js';
import type { Case } from '../harness.js';
import { build, type Nd } from '../nd.js';

/** softmax(q·kᵀ·scale (+ causal mask))·v per head, qkv (B, T, 3·H·E) → (B, T, H·E), in float64. */
function attentionRef(qkv: Nd, heads: number, causal: boolean, scale?: number): Nd {
  const [b, t, w] = qkv.shape;
  const e = w / (3 * heads);
  const s = scale ?? 1 / Math.sqrt(e);
  const hd = heads * e;
  const out = new Float64Array(b * t * hd);
  const x = qkv.data;
  const row = new Float64Array(t);
  for (let bi = 0; bi < b; bi++)
    for (let h = 0; h < heads; h++)
      for (let i = 0; i < t; i++) {
        const q = bi * t * w + i * w + h * e;
        const last = causal ? i : t - 1;
        let m = Number.NEGATIVE_INFINITY;
        for (let j = 0; j <= last; j++) {
          const k = bi * t * w + j * w + hd + h * e;
          let dot = 0;
          for (let d = 0; d < e; d++) dot += x[q + d] * x[k + d];
          row[j] = dot * s;
          m = Math.max(m, row[j]);
        }
        let z = 0;
        for (let j = 0; j <= last; j++) {
          row[j] = Math.exp(row[j] - m);
          z += row[j];
        }
        for (let d = 0; d < e; d++) {
          let acc = 0;
          for (let j = 0; j <= last; j++) acc += row[j] * x[bi * t * w + j * w + 2 * hd + h * e + d];
          out[bi * t * hd + i * hd + h * e + d] = acc / z;
        }
      }
  return { shape: [b, t, hd], data: out, dtype: 'float32' };
}

function erf(x: number): number {
  // Abramowitz–Stegun 7.1.26 is too coarse for a reference: sum the Taylor series (|x| ≤ 3)
  // or the asymptotic tail
  const ax = Math.abs(x);
  if (ax > 6) return Math.sign(x);
  if (ax <= 3) {
    let term = x;
    let sum = x;
    for (let n = 1; n < 200; n++) {
      term *= (-x * x) / n;
      sum += term / (2 * n + 1);
      if (Math.abs(term) < 1e-17) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  // continued fraction of erfc for larger |x|
  let f = 0;
  for (let n = 60; n >= 1; n--) f = n / 2 / (ax + f);
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  return Math.sign(x) * (1 - erfc);
}

const geluRef = ([x]: Nd[]): Nd => ({ ...x, data: x.data.map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2))) });

function standardizeRef(x: Nd, cols: number, eps: number): Nd {
  const out = new Float64Array(x.data.length);
  for (let r = 0; r < x.data.length / cols; r++) {
    let m = 0;
    for (let j = 0; j < cols; j++) m += x.data[r * cols + j];
    m /= cols;
    let v = 0;
    for (let j = 0; j < cols; j++) v += (x.data[r * cols + j] - m) ** 2;
    const s = Math.sqrt(v / cols + eps);
    for (let j = 0; j < cols; j++) out[r * cols + j] = (x.data[r * cols + j] - m) / s;
  }
  return { ...x, data: out };
}

/** The larger cases' tolerance: float32 sums over a few hundred terms. */
const WIDE = { rtol: 1e-4, atol: 5e-5 };

export function transformerCases(): Record<string, Case[]> {
  const attention: Case[] = [];
  for (const [b, t, h, e, causal, grad] of [
    [2, 5, 2, 3, true, true],
    [1, 4, 1, 2, false, true],
    [2, 3, 3, 1, true, true],
    [2, 37, 2, 16, true, false],
    [1, 70, 4, 8, false, false],
  ] as [number, number, number, number, boolean, boolean][]) {
    attention.push({
      name: `selfAttention qkv[${b}, ${t}, ${3 * h * e}] heads ${h}${causal ? ' causal' : ''}`,
      inputs: [{ shape: [b, t, 3 * h * e] }],
      run: ([x]) => mge.selfAttention(x, h, { causal }),
      ref: ([x]) => attentionRef(x, h, causal),
      grad,
      tolerance: grad ? undefined : WIDE,
    });
  }
  attention.push({
    name: 'selfAttention with scale 0.7',
    inputs: [{ shape: [2, 4, 12] }],
    run: ([x]) => mge.selfAttention(x, 2, { causal: true, scale: 0.7 }),
    ref: ([x]) => attentionRef(x, 2, true, 0.7),
    grad: true,
  });
  attention.push({
    name: 'selfAttention gradient qkv[1, 20, 48] heads 2 causal (past the 16-lane rows)',
    inputs: [{ shape: [1, 20, 48] }],
    run: ([x]) => mge.selfAttention(x, 2, { causal: true }),
    ref: ([x]) => attentionRef(x, 2, true),
    grad: true,
  });

  attention.push({
    name: 'selfAttention gradient qkv[2, 35, 12] heads 2 causal (two blocks of query rows)',
    inputs: [{ shape: [2, 35, 12] }],
    run: ([x]) => mge.selfAttention(x, 2, { causal: true }),
    ref: ([x]) => attentionRef(x, 2, true),
    grad: true,
  });

  // heads of 16 and 32 lanes: the cpu backend's GEMM-free path (groups of 4 rows and keys, tails)
  for (const [b, t, h, e, causal] of [
    [1, 21, 2, 16, true],
    [2, 6, 1, 32, false],
    [1, 18, 1, 32, true],
  ] as [number, number, number, number, boolean][]) {
    attention.push({
      name: `selfAttention gradient qkv[${b}, ${t}, ${3 * h * e}] heads ${h}${causal ? ' causal' : ''} (${e}-lane heads)`,
      inputs: [{ shape: [b, t, 3 * h * e] }],
      run: ([x]) => mge.selfAttention(x, h, { causal }),
      ref: ([x]) => attentionRef(x, h, causal),
      grad: true,
    });
  }

  const gelu: Case[] = [
    { name: 'gelu (3, 4)', inputs: [{ shape: [3, 4] }], run: ([x]) => mge.gelu(x), ref: geluRef, grad: true },
    {
      name: 'gelu by hand: 0, ±1, ±3, -10, 10',
      inputs: [{ shape: [7], values: [0, 1, -1, 3, -3, -10, 10] }],
      run: ([x]) => mge.gelu(x),
      expect: build([7], 'float32', ([i]) => {
        const v = [0, 1, -1, 3, -3, -10, 10][i];
        return 0.5 * v * (1 + erf(v / Math.SQRT2));
      }),
      grad: true,
      ref: geluRef,
    },
    {
      name: 'gelu 70,000 elements (threads)',
      inputs: [{ shape: [70000], gen: 'normal' }],
      run: ([x]) => mge.gelu(mge.mul(x, 3)),
      ref: ([x]) => geluRef([{ ...x, data: x.data.map((v) => Math.fround(v * 3)) }]),
    },
  ];

  const standardize: Case[] = [];
  for (const [shape, axes, grad] of [
    [[3, 5], 1, true],
    [[2, 3, 4], 2, true],
    [[4, 1], 1, true],
    [[300, 64], 1, false],
    [[5, 1000], 1, false],
  ] as [number[], number, boolean][]) {
    const cols = shape.slice(shape.length - axes).reduce((a, b) => a * b, 1);
    standardize.push({
      name: `standardize [${shape}] over ${axes} trailing axes`,
      inputs: [{ shape }],
      run: ([x]) => mge.standardize(x, axes, 1e-5),
      ref: ([x]) => standardizeRef(x, cols, 1e-5),
      grad,
      tolerance: grad ? undefined : WIDE,
    });
  }
  standardize.push({
    name: 'standardize gradient [6, 40] (past the 16-lane rows)',
    inputs: [{ shape: [6, 40] }],
    run: ([x]) => mge.standardize(x, 1, 1e-3),
    ref: ([x]) => standardizeRef(x, 40, 1e-3),
    grad: true,
  });
  // layer norm with weight and bias (one kernel where the backend has standardizeAffine)
  const affineRef = (x: Nd, w: Nd, b: Nd, eps: number): Nd => {
    const cols = w.data.length;
    const y = standardizeRef(x, cols, eps);
    return { ...y, data: y.data.map((v, i) => v * w.data[i % cols] + b.data[i % cols]) };
  };
  for (const [shape, axes, eps, xGrad] of [
    [[3, 5], 1, 1e-5, true],
    [[2, 3, 4], 2, 1e-5, true],
    [[6, 40], 1, 1e-3, true],
    // wide rows: the weight gradient split over threads by columns
    [[300, 256], 1, 1e-5, false],
  ] as [number[], number, number, boolean][]) {
    const tail = shape.slice(shape.length - axes);
    standardize.push({
      name: `standardizeAffine [${shape}] over ${axes} trailing axes${xGrad ? '' : ' (weight and bias gradients)'}`,
      inputs: [{ shape, grad: xGrad }, { shape: tail }, { shape: tail }],
      run: ([x, w, b]) => mge.standardizeAffine(x, axes, eps, w, b),
      ref: ([x, w, b]) => affineRef(x, w, b, eps),
      grad: true,
      tolerance: xGrad ? undefined : WIDE,
    });
  }
  // softmax cross-entropy over (rows, classes) with int32 labels; the logits' gradient checked
  const ceRef = (x: Nd, labels: Nd): Nd => {
    const [rows, cols] = x.shape;
    const out = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      let m = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < cols; j++) m = Math.max(m, x.data[r * cols + j]);
      let s = 0;
      for (let j = 0; j < cols; j++) s += Math.exp(x.data[r * cols + j] - m);
      out[r] = Math.log(s) + m - x.data[r * cols + labels.data[r]];
    }
    return { shape: [rows], dtype: 'float32', data: out };
  };
  const crossEntropy: Case[] = [];
  for (const [rows, cols] of [
    [4, 5],
    [3, 1],
    [7, 37],
    [40, 300],
  ]) {
    crossEntropy.push({
      name: `softmaxCrossEntropy logits [${rows}, ${cols}]`,
      inputs: [
        { shape: [rows, cols], grad: rows * cols <= 300 },
        { shape: [rows], dtype: 'int32', values: Array.from({ length: rows }, (_, r) => (r * 7 + 3) % cols) },
      ],
      run: ([x, l]) => mge.softmaxCrossEntropy(x, l),
      ref: ([x, l]) => ceRef(x, l),
      grad: rows * cols <= 300,
      tolerance: rows * cols <= 300 ? undefined : WIDE,
    });
  }
  crossEntropy.push({
    name: 'softmaxCrossEntropy: logits of ±60 (the shift by the row max)',
    inputs: [
      { shape: [2, 3], values: [60, -60, 0, -60, 60, 59] },
      { shape: [2], dtype: 'int32', values: [0, 2] },
    ],
    run: ([x, l]) => mge.softmaxCrossEntropy(x, l),
    ref: ([x, l]) => ceRef(x, l),
    grad: true,
  });
  return { selfAttention: attention, gelu, standardize, softmaxCrossEntropy: crossEntropy };
}
