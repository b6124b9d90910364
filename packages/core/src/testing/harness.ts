/**
 * How one conformance case runs: make its inputs on the device under test, run the
 * operator through the public API, read the result with `await t.data()`, and compare
 * with a float64 reference (or hand-computed values); then, for differentiable cases,
 * compare GradManager's gradients with central differences of the reference.
 */
import { GradManager } from '../autograd/grad-manager.js';
import type { DataArray, DType } from '../dtype.js';
import { tensor } from '../ops/creation.js';
import type { Tensor } from '../tensor.js';
import { asDType, type Nd, sizeOfShape } from './nd.js';

export interface Tolerance {
  rtol: number;
  atol: number;
}

/** Forward values: |got − want| ≤ atol + rtol·|want|. The same for every backend. */
export const DEFAULT_TOLERANCE: Tolerance = { rtol: 1e-4, atol: 1e-5 };
/**
 * Gradients of float32 computations against float64 central differences. The
 * differences themselves are accurate to ~1e-9; the slack is for float32 rounding
 * inside the backend's backward kernels.
 */
export const GRAD_TOLERANCE: Tolerance = { rtol: 1e-2, atol: 1e-3 };

/** Step of the central differences (on the float64 reference, so truncation error ~1e-10). */
const EPS = 1e-5;

// ---- seeded inputs ---------------------------------------------------------

/** mulberry32: small, fast, and independent of core's generator. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/**
 * normal: N(0,1); positive: U[0.5, 2) (log, sqrt, pow bases, divisors); unit: U(-1, 1);
 * distinct: a shuffled ladder of values 0.1 apart (max/min/argmax and max-pool without ties);
 * int: integers in [-5, 5]; smallint: [0, 3]; bool: fair coin.
 */
export type Gen = 'normal' | 'positive' | 'unit' | 'distinct' | 'int' | 'smallint' | 'bool';

export interface InputSpec {
  shape: number[];
  dtype?: DType;
  gen?: Gen;
  /** Exact values instead of a generator. */
  values?: number[];
  /** Set false to leave a float input out of the gradient check. */
  grad?: boolean;
}

function generate(gen: Gen, n: number, r: () => number): number[] {
  const out: number[] = [];
  switch (gen) {
    case 'normal':
      for (let i = 0; i < n; i++) {
        const u = 1 - r();
        out.push(Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r()));
      }
      break;
    case 'positive':
      for (let i = 0; i < n; i++) out.push(0.5 + 1.5 * r());
      break;
    case 'unit':
      for (let i = 0; i < n; i++) out.push(2 * r() - 1);
      break;
    case 'distinct': {
      for (let i = 0; i < n; i++) out.push((i - n / 2) * 0.1 + 0.01);
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(r() * (i + 1));
        [out[i], out[j]] = [out[j], out[i]];
      }
      break;
    }
    case 'int':
      for (let i = 0; i < n; i++) out.push(Math.floor(r() * 11) - 5);
      break;
    case 'smallint':
      for (let i = 0; i < n; i++) out.push(Math.floor(r() * 4));
      break;
    case 'bool':
      for (let i = 0; i < n; i++) out.push(r() < 0.5 ? 1 : 0);
      break;
  }
  return out;
}

/** The input's values as its dtype stores them (float32-rounded), in float64. */
export function inputValues(spec: InputSpec, seed: number): Nd {
  const dtype = spec.dtype ?? (spec.gen === 'bool' ? 'bool' : spec.gen === 'int' || spec.gen === 'smallint' ? 'int32' : 'float32');
  const n = sizeOfShape(spec.shape);
  const raw = spec.values ?? generate(spec.gen ?? 'normal', n, rng(seed));
  const data = Float64Array.from(raw, (v) => (dtype === 'float32' ? Math.fround(v) : v));
  return asDType({ shape: spec.shape, data, dtype }, dtype);
}

export function toTensor(x: Nd, device: string): Tensor {
  const arr: DataArray =
    x.dtype === 'float32' ? Float32Array.from(x.data) : x.dtype === 'int32' ? Int32Array.from(x.data) : Uint8Array.from(x.data);
  return tensor(arr, { shape: x.shape, dtype: x.dtype, device });
}

// ---- comparison ------------------------------------------------------------

function fmtIndex(flat: number, shape: readonly number[]): string {
  const idx: number[] = [];
  for (let i = shape.length - 1; i >= 0; i--) {
    idx.unshift(shape[i] ? flat % shape[i] : 0);
    flat = shape[i] ? Math.floor(flat / shape[i]) : 0;
  }
  return `[${idx.join(', ')}]`;
}

function sameValue(got: number, want: number, tol: Tolerance | null): boolean {
  if (Number.isNaN(want)) return Number.isNaN(got);
  if (!Number.isFinite(want)) return got === want;
  if (tol === null) return got === want;
  return Math.abs(got - want) <= tol.atol + tol.rtol * Math.abs(want);
}

/** Throws a message naming the case, the first few mismatching positions, and the tolerance. */
export function assertClose(
  what: string,
  got: ArrayLike<number>,
  gotShape: readonly number[],
  want: Nd,
  tol: Tolerance | null,
  gotDType?: DType,
): void {
  if (gotShape.length !== want.shape.length || gotShape.some((d, i) => d !== want.shape[i])) {
    throw new Error(`${what}: shape mismatch: got [${gotShape.join(', ')}], expected [${want.shape.join(', ')}]`);
  }
  if (gotDType !== undefined && gotDType !== want.dtype) {
    throw new Error(`${what}: dtype mismatch: got ${gotDType}, expected ${want.dtype}`);
  }
  if (got.length !== want.data.length) {
    throw new Error(`${what}: read ${got.length} values, expected ${want.data.length}`);
  }
  const bad: string[] = [];
  let count = 0;
  for (let i = 0; i < got.length; i++) {
    if (!sameValue(got[i], want.data[i], want.dtype === 'float32' ? tol : null)) {
      count++;
      if (bad.length < 5) {
        bad.push(
          `at ${fmtIndex(i, gotShape)}: got ${got[i]}, expected ${want.data[i]} (|diff| ${Math.abs(got[i] - want.data[i]).toExponential(2)})`,
        );
      }
    }
  }
  if (count > 0) {
    const t = want.dtype === 'float32' && tol ? ` (rtol ${tol.rtol}, atol ${tol.atol})` : ' (exact)';
    throw new Error(`${what}: ${count} of ${got.length} values differ${t}:\n  ${bad.join('\n  ')}`);
  }
}

// ---- cases -----------------------------------------------------------------

export interface Case {
  name: string;
  inputs: InputSpec[];
  /** The operator under test, through the public API. */
  run: (xs: Tensor[]) => Tensor;
  /** Float64 reference of the same computation (inputs hold the exact stored values). */
  ref?: (xs: Nd[]) => Nd;
  /** Hand-computed result instead of (or as well as) a reference. */
  expect?: Nd;
  /** Check gradients of the float inputs against central differences of `ref`. */
  grad?: boolean;
  /** Looser forward tolerance for this case (e.g. long float32 accumulations); documented where used. */
  tolerance?: Tolerance;
}

export interface RunOptions {
  device: string;
  tolerance: Tolerance;
  gradTolerance: Tolerance;
}

function caseSeed(c: Case, k: number): number {
  return hashString(`${c.name}#${k}`);
}

export async function runCase(c: Case, o: RunOptions): Promise<void> {
  const xs = c.inputs.map((s, k) => inputValues(s, caseSeed(c, k)));
  const ts = xs.map((x) => toTensor(x, o.device));
  const y = c.run(ts);
  if (y.device !== o.device) throw new Error(`${c.name}: result is on device '${y.device}', expected '${o.device}'`);
  const got = await y.data();
  // a case's own tolerance allows for its long sums; a run's looser one (f16 storage) still wins
  const tol = c.tolerance
    ? { rtol: Math.max(c.tolerance.rtol, o.tolerance.rtol), atol: Math.max(c.tolerance.atol, o.tolerance.atol) }
    : o.tolerance;
  if (c.expect) assertClose(`${c.name} (hand-computed)`, got, y.shape, c.expect, tol, y.dtype);
  if (c.ref) {
    const want = c.ref(xs);
    assertClose(`${c.name} (reference)`, got, y.shape, asDType(want, want.dtype), tol, y.dtype);
  }
  if (c.grad) await checkGradients(c, xs, o);
}

/**
 * Runs the case under a GradManager with a random dy and compares each input's
 * `.grad` with d/dx Σ ref(x)·dy by central differences in float64.
 */
async function checkGradients(c: Case, xs: Nd[], o: RunOptions): Promise<void> {
  if (!c.ref) throw new Error(`${c.name}: a gradient check needs a reference`);
  const ref = c.ref;
  const wrt = c.inputs.map((s, k) => xs[k].dtype === 'float32' && s.grad !== false);
  const ts = xs.map((x) => toTensor(x, o.device));
  const gm = new GradManager().attach(ts.filter((_, k) => wrt[k]));
  gm.record();
  const y = c.run(ts);
  const dy = inputValues({ shape: [...y.shape], gen: 'normal' }, hashString(`${c.name}#dy`));
  gm.backward(y, toTensor(dy, o.device));
  const loss = (args: Nd[]): number => {
    const r = ref(args).data;
    let s = 0;
    for (let i = 0; i < r.length; i++) s += r[i] * dy.data[i];
    return s;
  };
  for (let k = 0; k < xs.length; k++) {
    if (!wrt[k]) continue;
    const x = xs[k];
    const numeric = new Float64Array(x.data.length);
    for (let i = 0; i < x.data.length; i++) {
      const plus = Float64Array.from(x.data);
      const minus = Float64Array.from(x.data);
      plus[i] += EPS;
      minus[i] -= EPS;
      const args = (d: Float64Array) => xs.map((z, j) => (j === k ? { ...z, data: d } : z));
      numeric[i] = (loss(args(plus)) - loss(args(minus))) / (2 * EPS);
    }
    const g = ts[k].grad;
    const want: Nd = { shape: x.shape, data: numeric, dtype: 'float32' };
    if (!g) {
      if (numeric.every((v) => Math.abs(v) <= o.gradTolerance.atol)) continue;
      throw new Error(`${c.name}: input ${k} got no gradient, but the numerical gradient is non-zero`);
    }
    if (g.device !== o.device) throw new Error(`${c.name}: gradient of input ${k} is on '${g.device}', expected '${o.device}'`);
    assertClose(`${c.name}: gradient of input ${k}`, await g.data(), g.shape, want, o.gradTolerance, g.dtype);
  }
}
