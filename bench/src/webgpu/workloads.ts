/**
 * The benchmark's workloads, each as `prepare() → run()`: `run` does the work once and
 * reads a result back, so the GPU has really finished when its promise resolves.
 * The same definitions run in the browser page (both sides) and in Node (ours only).
 */
export interface Workload {
  name: string;
  /** What one run computes, for GFLOP/s (0 when not meaningful). */
  flops: number;
  run: () => Promise<unknown>;
  dispose?: () => void;
}

export interface BenchConfig {
  lenetBatch: number;
  inferBatch: number;
  matmulN: number;
  /** conv2d: x [n, c, h, w], w [o, c, k, k], stride 1, padding k/2. */
  conv: { n: number; c: number; h: number; w: number; o: number; k: number };
}

export const DEFAULT_CONFIG: BenchConfig = {
  lenetBatch: 64,
  inferBatch: 64,
  matmulN: 1024,
  conv: { n: 16, c: 16, h: 32, w: 32, o: 32, k: 3 },
};

/** Deterministic values in [-1, 1). */
export function lcg(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

export function labels(n: number, seed: number): Int32Array {
  return Int32Array.from(lcg(n, seed), (v) => Math.floor((v + 1) * 5) % 10);
}

/** Forward multiply-adds ×2 of LeNet on 1×32×32 per image. */
export const LENET_FWD_FLOPS = 2 * (6 * 28 * 28 * 25 + 16 * 10 * 10 * 150 + 400 * 120 + 120 * 84 + 84 * 10);

export function convFlops(c: BenchConfig['conv']): number {
  return 2 * c.n * c.o * c.h * c.w * c.c * c.k * c.k;
}

export interface Timing {
  medianMs: number;
  minMs: number;
  runs: number;
}

/** `warmup` untimed runs (pipeline compilation, pool growth), then the median of `runs`. */
export async function measure(w: Workload, warmup: number, runs: number): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await w.run();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await w.run();
    times.push(performance.now() - t0);
  }
  return summarize(times);
}

export function summarize(times: number[]): Timing {
  const s = [...times].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const medianMs = s.length === 0 ? NaN : s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { medianMs, minMs: s[0], runs: s.length };
}
