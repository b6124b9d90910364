/** Timing of one benchmark: median and spread over repeated runs after warm-up. */
export interface Timing {
  medianMs: number;
  minMs: number;
  maxMs: number;
  runs: number;
}

export interface MeasureOptions {
  warmup?: number;
  /** At least this many timed runs … */
  minRuns?: number;
  /** … and keep going (up to maxRuns) until this much time has been spent. */
  minTimeMs?: number;
  maxRuns?: number;
  /** Runs after every call, outside the timed region (e.g. letting the event loop turn). */
  between?: () => unknown | Promise<unknown>;
}

export async function measure(fn: () => unknown | Promise<unknown>, o: MeasureOptions = {}): Promise<Timing> {
  const warmup = o.warmup ?? 2;
  const minRuns = o.minRuns ?? 5;
  const minTime = o.minTimeMs ?? 1000;
  const maxRuns = o.maxRuns ?? 200;
  for (let i = 0; i < warmup; i++) {
    await fn();
    await o.between?.();
  }
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < minRuns || (performance.now() - start < minTime && samples.length < maxRuns)) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
    await o.between?.();
  }
  return summarize(samples);
}

function summarize(samples: number[]): Timing {
  samples.sort((a, b) => a - b);
  const mid = samples.length >> 1;
  const median = samples.length % 2 ? samples[mid] : (samples[mid - 1] + samples[mid]) / 2;
  return { medianMs: median, minMs: samples[0], maxMs: samples[samples.length - 1], runs: samples.length };
}

/**
 * `measure` for rivals: one run of each in turn, so the load of the moment on a shared machine
 * lands on all of them alike (timed one after another, minutes apart, their ratio swings with it).
 * minTimeMs and maxRuns count rounds; one Timing per function.
 */
export async function measureAlternating(fns: (() => unknown | Promise<unknown>)[], o: MeasureOptions = {}): Promise<Timing[]> {
  if (fns.length === 0) throw new Error('measureAlternating: fns must hold at least one function, got none');
  const warmup = o.warmup ?? 2;
  const minRuns = o.minRuns ?? 5;
  const minTime = o.minTimeMs ?? 1000;
  const maxRuns = o.maxRuns ?? 200;
  for (const fn of fns)
    for (let i = 0; i < warmup; i++) {
      await fn();
      await o.between?.();
    }
  const samples: number[][] = fns.map(() => []);
  const start = performance.now();
  while (samples[0].length < minRuns || (performance.now() - start < minTime && samples[0].length < maxRuns)) {
    for (const [k, fn] of fns.entries()) {
      const t0 = performance.now();
      await fn();
      samples[k].push(performance.now() - t0);
      await o.between?.();
    }
  }
  return samples.map(summarize);
}

/** Spread as ±% of the median, from the fastest and slowest run. */
export function spread(t: Timing): string {
  const lo = ((t.medianMs - t.minMs) / t.medianMs) * 100;
  const hi = ((t.maxMs - t.medianMs) / t.medianMs) * 100;
  return `-${lo.toFixed(0)}/+${hi.toFixed(0)}%`;
}

export function randomFloats(n: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}
