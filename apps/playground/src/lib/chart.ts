/** Line charts on a canvas for the Train tab (no chart library). */

/** About `count` round tick values covering [min, max]. */
export function niceTicks(min: number, max: number, count = 4): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (max <= min) return [min];
  const raw = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** Exponential moving average, the usual way to read a noisy per-step curve. */
export function smooth(values: readonly number[], alpha = 0.1): number[] {
  const out: number[] = [];
  let s = 0;
  values.forEach((v, i) => {
    s = i === 0 ? v : (1 - alpha) * s + alpha * v;
    out.push(s);
  });
  return out;
}

export interface Series {
  values: readonly number[];
  color: string;
  width?: number;
}

export interface ChartOptions {
  yMin?: number;
  yMax?: number;
  label: string;
}

/** Draws series against the step index; sized to the canvas's CSS box at the device pixel ratio. */
export function drawChart(canvas: HTMLCanvasElement, series: readonly Series[], opts: ChartOptions): void {
  const dpr = globalThis.devicePixelRatio || 1;
  const cssW = canvas.clientWidth || 300;
  const cssH = canvas.clientHeight || 160;
  canvas.width = Math.round(cssW * dpr);
  canvas.height = Math.round(cssH * dpr);
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, cssW, cssH);
  const style = getComputedStyle(canvas);
  const fg = style.color || '#222';
  const pad = { l: 44, r: 8, t: 18, b: 20 };
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  const n = Math.max(1, ...series.map((s) => s.values.length));
  let lo = opts.yMin ?? (all.length ? Math.min(...all) : 0);
  let hi = opts.yMax ?? (all.length ? Math.max(...all) : 1);
  if (hi - lo < 1e-9) {
    hi += 0.5;
    lo -= 0.5;
  }
  const x = (i: number) => pad.l + (n <= 1 ? 0 : (i / (n - 1)) * (cssW - pad.l - pad.r));
  const y = (v: number) => pad.t + (1 - (v - lo) / (hi - lo)) * (cssH - pad.t - pad.b);

  ctx.font = '11px system-ui, sans-serif';
  ctx.fillStyle = fg;
  ctx.strokeStyle = fg;
  ctx.globalAlpha = 0.25;
  ctx.lineWidth = 1;
  for (const t of niceTicks(lo, hi)) {
    ctx.beginPath();
    ctx.moveTo(pad.l, y(t));
    ctx.lineTo(cssW - pad.r, y(t));
    ctx.stroke();
  }
  ctx.globalAlpha = 1;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const t of niceTicks(lo, hi)) ctx.fillText(String(t), pad.l - 4, y(t));
  ctx.textAlign = 'left';
  ctx.textBaseline = 'top';
  ctx.fillText(opts.label, pad.l, 2);
  ctx.textAlign = 'right';
  ctx.fillText(`${n} steps`, cssW - pad.r, cssH - 14);

  for (const s of series) {
    if (s.values.length === 0) continue;
    ctx.strokeStyle = s.color;
    ctx.lineWidth = s.width ?? 1.5;
    ctx.beginPath();
    s.values.forEach((v, i) => {
      if (i === 0) ctx.moveTo(x(i), y(v));
      else ctx.lineTo(x(i), y(v));
    });
    ctx.stroke();
  }
}

/** A small bar histogram (state dict browser). */
export function drawBars(canvas: HTMLCanvasElement, counts: readonly number[], color: string): void {
  const w = canvas.width;
  const h = canvas.height;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.clearRect(0, 0, w, h);
  const max = Math.max(1, ...counts);
  const bw = w / counts.length;
  ctx.fillStyle = color;
  counts.forEach((c, i) => {
    const bh = (c / max) * (h - 1);
    ctx.fillRect(i * bw + 0.5, h - bh, Math.max(1, bw - 1), bh);
  });
}
