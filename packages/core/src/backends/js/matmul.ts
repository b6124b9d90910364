import type { MatmulParams } from '../../backend.js';

// Cache blocking: a KC×NC panel of B (128 KiB) is packed contiguously and
// reused for every row of A, so the innermost loop streams two contiguous rows.
const KC = 128;
const NC = 256;

// Scratch reused across calls (JS is single-threaded, gemm never re-enters).
const packedB = new Float32Array(KC * NC);
const rowAcc = new Float64Array(NC);

/**
 * C[m×n] (+)= op(A)·op(B) on contiguous row-major blocks starting at the given
 * offsets. op(A) is m×k: A is stored [m,k], or [k,m] when transA. op(B) is
 * k×n: B is stored [k,n], or [n,k] when transB. Transposition is absorbed by
 * the index math of A's scalar loads and of B's packing, so one inner loop
 * serves all four cases. Each KC-deep partial product is summed in double.
 *
 * This is the only matrix-product kernel of the js backend: matmul and every
 * conv2d pass call it.
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
  // Step between consecutive A elements along k, and between rows i.
  const aStepK = transA ? m : 1;
  const aStepI = transA ? 1 : k;
  for (let j0 = 0; j0 < n; j0 += NC) {
    const nc = Math.min(NC, n - j0);
    for (let p0 = 0; p0 < k; p0 += KC) {
      const kc = Math.min(KC, k - p0);
      packPanel(b, bOff, transB, n, k, p0, kc, j0, nc);
      for (let i = 0; i < m; i++) {
        const cRow = cOff + i * n + j0;
        for (let j = 0; j < nc; j++) rowAcc[j] = 0;
        let aIdx = aOff + i * aStepI + p0 * aStepK;
        for (let p = 0; p < kc; p++, aIdx += aStepK) {
          const av = a[aIdx];
          const bRow = p * nc;
          for (let j = 0; j < nc; j++) rowAcc[j] += av * packedB[bRow + j];
        }
        for (let j = 0; j < nc; j++) c[cRow + j] += rowAcc[j];
      }
    }
  }
}

/** Copies op(B)[p0:p0+kc, j0:j0+nc] into packedB as a contiguous kc×nc block. */
function packPanel(
  b: Float32Array,
  bOff: number,
  transB: boolean,
  n: number,
  k: number,
  p0: number,
  kc: number,
  j0: number,
  nc: number,
): void {
  if (!transB) {
    for (let p = 0; p < kc; p++) {
      const src = bOff + (p0 + p) * n + j0;
      packedB.set(b.subarray(src, src + nc), p * nc);
    }
    return;
  }
  for (let j = 0; j < nc; j++) {
    const src = bOff + (j0 + j) * k + p0;
    for (let p = 0; p < kc; p++) packedB[p * nc + j] = b[src + p];
  }
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
