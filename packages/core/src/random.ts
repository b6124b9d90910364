import { resolveDevice } from './ops/engine.js';
import { checkShape, sizeOf } from './shape.js';
import type { Tensor } from './tensor.js';
import { fromData } from './tensor.js';
import { opRecorder } from './trace-hook.js';

/**
 * Seeded random numbers, generated on the host so that the same seed gives the
 * same numbers on every backend. xoshiro128** for uniforms, Box–Muller for normals.
 */
class Generator {
  private s = new Uint32Array(4);
  private spare: number | null = null;

  constructor(seed: number) {
    this.seed(seed);
  }

  seed(seed: number): void {
    // splitmix32 spreads one seed over the four words of state
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    this.spare = null;
  }

  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 random bits. */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

const global = new Generator(Date.now() >>> 0);

type Size = number | readonly number[] | undefined;

function sizeArg(op: string, size: Size): number[] {
  if (size === undefined) return [];
  return checkShape(op, size, 'size');
}

function make(op: string, size: Size, device: string | undefined, fill: (n: number) => Float32Array): Tensor {
  const shape = sizeArg(op, size);
  const [backend, name] = resolveDevice(device);
  opRecorder()?.random(op);
  return fromData(backend, name, fill(sizeOf(shape)), shape, 'float32');
}

export const random = {
  /** MegEngine's random.seed: makes every following draw reproducible. */
  seed(seed: number): void {
    if (!Number.isInteger(seed)) throw new TypeError(`random.seed: argument 'seed' must be an integer, got ${seed}`);
    global.seed(seed);
  },
  /** Samples N(mean, std²); `size` is the output shape. */
  normal(mean = 0, std = 1, size?: Size, options: { device?: string } = {}): Tensor {
    if (!Number.isFinite(mean)) throw new TypeError(`random.normal: argument 'mean' must be a finite number, got ${mean}`);
    if (!Number.isFinite(std) || std < 0) throw new TypeError(`random.normal: argument 'std' must be a finite number ≥ 0, got ${std}`);
    return make('random.normal', size, options.device, (n) => {
      const a = new Float32Array(n);
      for (let i = 0; i < n; i++) a[i] = mean + std * global.normal();
      return a;
    });
  },
  /** Samples U[low, high). */
  uniform(low = 0, high = 1, size?: Size, options: { device?: string } = {}): Tensor {
    if (!Number.isFinite(low) || !Number.isFinite(high) || high < low) {
      throw new TypeError(`random.uniform: arguments 'low' and 'high' must be finite with low ≤ high, got ${low} and ${high}`);
    }
    return make('random.uniform', size, options.device, (n) => {
      const a = new Float32Array(n);
      for (let i = 0; i < n; i++) a[i] = low + (high - low) * global.uniform();
      return a;
    });
  },
  /** NumPy's randn: standard normal of the given shape, randn(2, 3). */
  randn(...shape: number[]): Tensor {
    return random.normal(0, 1, shape);
  },
  /** A random permutation of 0..n-1 as an int32 tensor (Fisher–Yates). */
  permutation(n: number, options: { device?: string } = {}): Tensor {
    if (!Number.isInteger(n) || n < 0) throw new TypeError(`random.permutation: argument 'n' must be a non-negative integer, got ${n}`);
    const a = new Int32Array(n);
    for (let i = 0; i < n; i++) a[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(global.uniform() * (i + 1));
      [a[i], a[j]] = [a[j], a[i]];
    }
    const [backend, name] = resolveDevice(options.device);
    opRecorder()?.random('random.permutation');
    return fromData(backend, name, a, [n], 'int32');
  },
  /** Host-side draws for code that needs plain numbers (dropout masks, samplers). */
  uniformArray(n: number): Float32Array {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = global.uniform();
    return a;
  },
};
