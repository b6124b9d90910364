/**
 * Float64 references the tests compare every backend with, written independently of the
 * js backend's scalar functions (a series where the implementation uses a rational fit).
 */

/** erf(x) = 2/√π · e^(−x²) · Σ (2x²)^n x / (2n+1)!!: all terms positive, so no cancellation. */
export function erfSeries(x: number): number {
  if (Number.isNaN(x)) return x;
  if (Math.abs(x) > 6) return Math.sign(x);
  let term = x;
  let sum = x;
  for (let n = 1; n < 500; n++) {
    term *= (2 * x * x) / (2 * n + 1);
    sum += term;
    if (Math.abs(term) < 1e-18 * Math.abs(sum)) break;
  }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
}

/** Round half to even through Math.round (which rounds half up). */
export function roundHalfEvenRef(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Integer power wrapped to int32 through BigInt; a negative exponent truncates 1/base^−e. */
export function ipowWrap(a: number, b: number): number {
  if (b < 0) return a === 1 ? 1 : a === -1 ? (b % 2 === 0 ? 1 : -1) : 0;
  return Number(BigInt.asIntN(32, BigInt(a) ** BigInt(b)));
}
