/** Value histograms for the state dict browser. */

export interface Histogram {
  counts: number[];
  min: number;
  max: number;
  mean: number;
  std: number;
}

export function histogram(values: ArrayLike<number>, bins = 24): Histogram {
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`histogram: bins must be a positive integer, got ${bins}`);
  const n = values.length;
  const counts = new Array<number>(bins).fill(0);
  if (n === 0) return { counts, min: 0, max: 0, mean: 0, std: 0 };
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  const mean = sum / n;
  let sq = 0;
  for (let i = 0; i < n; i++) sq += (values[i] - mean) ** 2;
  const width = max - min;
  for (let i = 0; i < n; i++) {
    // a constant tensor (zero-initialised bias) lands in the middle bin
    const b = width === 0 ? Math.floor(bins / 2) : Math.min(bins - 1, Math.floor(((values[i] - min) / width) * bins));
    counts[b]++;
  }
  return { counts, min, max, mean, std: Math.sqrt(sq / n) };
}
