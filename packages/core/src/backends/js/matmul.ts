import type { MatmulParams } from '../../backend.js';

/*
 * One GEMM for the whole backend (matmul and every conv2d pass). Classic
 * three-level blocking: a KC×NC panel of op(B) and an MC×KC block of op(A) are
 * packed into contiguous scratch, in strips of NR columns / MR rows laid out
 * p-major, so the micro-kernel reads both operands sequentially and keeps an
 * MR×NR tile of C in local variables (doubles) for a whole KC-deep pass.
 * Transposition is absorbed by the packing's index math.
 */
const MR = 4;
const NR = 4;
const KC = 128;
const MC = 64;
const NC = 512;

// Scratch reused across calls (JS is single-threaded and gemm never re-enters).
const packedA = new Float32Array(MC * KC);
const packedB = new Float32Array(KC * NC);

/**
 * C[m×n] (+)= op(A)·op(B) on contiguous row-major blocks starting at the given
 * offsets. op(A) is m×k: A is stored [m,k], or [k,m] when transA. op(B) is
 * k×n: B is stored [k,n], or [n,k] when transB.
 */
export function gemm(
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  aOff: number,
  transA: boolean,
  b: Float32Array,
  bOff: number,
  transB: boolean,
  c: Float32Array,
  cOff: number,
  accumulate: boolean,
): void {
  if (!accumulate) c.fill(0, cOff, cOff + m * n);
  for (let j0 = 0; j0 < n; j0 += NC) {
    const nc = Math.min(NC, n - j0);
    for (let p0 = 0; p0 < k; p0 += KC) {
      const kc = Math.min(KC, k - p0);
      packB(b, bOff, transB, n, k, p0, kc, j0, nc);
      for (let i0 = 0; i0 < m; i0 += MC) {
        const mc = Math.min(MC, m - i0);
        packA(a, aOff, transA, m, k, i0, mc, p0, kc);
        for (let ii = 0; ii < mc; ii += MR) {
          for (let jj = 0; jj < nc; jj += NR) {
            microKernel(kc, ii * kc, jj * kc, c, cOff + (i0 + ii) * n + j0 + jj, n, Math.min(MR, mc - ii), Math.min(NR, nc - jj));
          }
        }
      }
    }
  }
}

/** op(A)[i0:i0+mc, p0:p0+kc] → packedA as strips of MR rows: strip s, depth p, row r at (s·kc + p)·MR + r. */
function packA(a: Float32Array, aOff: number, transA: boolean, m: number, k: number, i0: number, mc: number, p0: number, kc: number): void {
  // Steps between consecutive elements of op(A) along rows (i) and depth (p).
  const stepI = transA ? 1 : k;
  const stepP = transA ? m : 1;
  for (let s = 0; s < mc; s += MR) {
    const rows = Math.min(MR, mc - s);
    const base = s * kc;
    for (let r = 0; r < MR; r++) {
      if (r >= rows) {
        for (let p = 0; p < kc; p++) packedA[base + p * MR + r] = 0;
        continue;
      }
      let src = aOff + (i0 + s + r) * stepI + p0 * stepP;
      for (let p = 0; p < kc; p++, src += stepP) packedA[base + p * MR + r] = a[src];
    }
  }
}

/** op(B)[p0:p0+kc, j0:j0+nc] → packedB as strips of NR columns: strip s, depth p, column q at (s·kc + p)·NR + q. */
function packB(b: Float32Array, bOff: number, transB: boolean, n: number, k: number, p0: number, kc: number, j0: number, nc: number): void {
  const stepJ = transB ? k : 1;
  const stepP = transB ? 1 : n;
  for (let s = 0; s < nc; s += NR) {
    const cols = Math.min(NR, nc - s);
    const base = s * kc;
    for (let q = 0; q < NR; q++) {
      if (q >= cols) {
        for (let p = 0; p < kc; p++) packedB[base + p * NR + q] = 0;
        continue;
      }
      let src = bOff + (j0 + s + q) * stepJ + p0 * stepP;
      for (let p = 0; p < kc; p++, src += stepP) packedB[base + p * NR + q] = b[src];
    }
  }
}

/**
 * C tile (rows×cols ≤ MR×NR, row stride ldc) += packed A strip · packed B strip
 * over depth kc. The 16 sums live in locals; padded strip entries are zero and
 * their results are simply not stored.
 */
function microKernel(kc: number, aIdx: number, bIdx: number, c: Float32Array, cIdx: number, ldc: number, rows: number, cols: number): void {
  let c00 = 0,
    c01 = 0,
    c02 = 0,
    c03 = 0;
  let c10 = 0,
    c11 = 0,
    c12 = 0,
    c13 = 0;
  let c20 = 0,
    c21 = 0,
    c22 = 0,
    c23 = 0;
  let c30 = 0,
    c31 = 0,
    c32 = 0,
    c33 = 0;
  const A = packedA;
  const B = packedB;
  for (let p = 0; p < kc; p++, aIdx += MR, bIdx += NR) {
    const a0 = A[aIdx],
      a1 = A[aIdx + 1],
      a2 = A[aIdx + 2],
      a3 = A[aIdx + 3];
    const b0 = B[bIdx],
      b1 = B[bIdx + 1],
      b2 = B[bIdx + 2],
      b3 = B[bIdx + 3];
    c00 += a0 * b0;
    c01 += a0 * b1;
    c02 += a0 * b2;
    c03 += a0 * b3;
    c10 += a1 * b0;
    c11 += a1 * b1;
    c12 += a1 * b2;
    c13 += a1 * b3;
    c20 += a2 * b0;
    c21 += a2 * b1;
    c22 += a2 * b2;
    c23 += a2 * b3;
    c30 += a3 * b0;
    c31 += a3 * b1;
    c32 += a3 * b2;
    c33 += a3 * b3;
  }
  if (rows === MR && cols === NR) {
    let o = cIdx;
    c[o] += c00;
    c[o + 1] += c01;
    c[o + 2] += c02;
    c[o + 3] += c03;
    o += ldc;
    c[o] += c10;
    c[o + 1] += c11;
    c[o + 2] += c12;
    c[o + 3] += c13;
    o += ldc;
    c[o] += c20;
    c[o + 1] += c21;
    c[o + 2] += c22;
    c[o + 3] += c23;
    o += ldc;
    c[o] += c30;
    c[o + 1] += c31;
    c[o + 2] += c32;
    c[o + 3] += c33;
    return;
  }
  const tile = [c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33];
  for (let r = 0; r < rows; r++) for (let q = 0; q < cols; q++) c[cIdx + r * ldc + q] += tile[r * NR + q];
}

/** Batched product; a batch count of 1 on either side means that matrix is shared by every batch entry. */
export function matmul(a: Float32Array, b: Float32Array, p: MatmulParams): Float32Array {
  const { batch, m, n, k, transA, transB, batchA, batchB } = p;
  const out = new Float32Array(batch * m * n);
  for (let i = 0; i < batch; i++) {
    const aOff = batchA === 1 ? 0 : i * m * k;
    const bOff = batchB === 1 ? 0 : i * k * n;
    gemm(m, n, k, a, aOff, transA, b, bOff, transB, out, i * m * n, true);
  }
  return out;
}
