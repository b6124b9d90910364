import type { PoolOp } from '@mge/core';
import type { KernelSource } from '../runtime.js';
import { elementwiseMain, PARAMS, storage } from '../wgsl.js';

/** Parameters: [count, h, w, kh, kw, oh, ow, sh, sw, ph, pw] (count = threads: outputs forward, inputs backward). */
const GEOMETRY = `
fn pH() -> i32 { return pi(1u); }
fn pW() -> i32 { return pi(2u); }
fn pKH() -> i32 { return pi(3u); }
fn pKW() -> i32 { return pi(4u); }
fn pOH() -> i32 { return pi(5u); }
fn pOW() -> i32 { return pi(6u); }
fn pSH() -> i32 { return pi(7u); }
fn pSW() -> i32 { return pi(8u); }
fn pPH() -> i32 { return pi(9u); }
fn pPW() -> i32 { return pi(10u); }
/** Number of window cells of output (oy, ox) that fall inside the image. */
fn cellsIn(oy: i32, ox: i32) -> i32 {
  let y0 = oy * pSH() - pPH();
  let x0 = ox * pSW() - pPW();
  let rows = min(y0 + pKH(), pH()) - max(y0, 0);
  let cols = min(x0 + pKW(), pW()) - max(x0, 0);
  return max(rows, 0) * max(cols, 0);
}
`;

const ARGMAX = `
fn isnan_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
/** Flat (iy·W + ix) index of the first maximum of window (oy, ox) of plane \`base\`, or −1 if the window is all padding. */
fn argmaxIn(base: u32, oy: i32, ox: i32) -> i32 {
  var best = asf(0xff800000u);
  var at = -1;
  for (var ki = 0; ki < pKH(); ki++) {
    let iy = oy * pSH() - pPH() + ki;
    if (iy < 0 || iy >= pH()) { continue; }
    for (var kj = 0; kj < pKW(); kj++) {
      let ix = ox * pSW() - pPW() + kj;
      if (ix < 0 || ix >= pW()) { continue; }
      let v = X[base + u32(iy * pW() + ix)];
      if (at < 0 || v > best || (isnan_(v) && !isnan_(best))) { best = v; at = iy * pW() + ix; }
    }
  }
  return at;
}
`;

export function pool2dKernel(op: PoolOp): KernelSource {
  const body =
    op === 'max'
      ? `  let at = argmaxIn(base, oy, ox);
  Y[i] = select(asf(0xff800000u), X[base + u32(max(at, 0))], at >= 0);`
      : `  var s = 0.0;
  for (var ki = 0; ki < pKH(); ki++) {
    let iy = oy * pSH() - pPH() + ki;
    if (iy < 0 || iy >= pH()) { continue; }
    for (var kj = 0; kj < pKW(); kj++) {
      let ix = ox * pSW() - pPW() + kj;
      if (ix < 0 || ix >= pW()) { continue; }
      s = s + X[base + u32(iy * pW() + ix)];
    }
  }
  let cells = cellsIn(oy, ox);
  Y[i] = select(s / f32(cells), 0.0, cells == 0);`;
  return {
    key: `pool2d_${op}`,
    wgsl: () => `${PARAMS}
${storage(1, 'X', 'f32')}
${storage(2, 'Y', 'f32', true)}
${GEOMETRY}${op === 'max' ? ARGMAX : ''}
${elementwiseMain(`  let ohw = u32(pOH() * pOW());
  let plane = i / ohw;
  let p = i32(i % ohw);
  let oy = p / pOW();
  let ox = p % pOW();
  let base = plane * u32(pH() * pW());
${body}`)}`,
  };
}

/**
 * One thread per input cell gathers from every window that covers it, so no atomics
 * are needed: avg adds dy/cells, max adds dy where this cell is the window's first maximum.
 * Bindings: max (X, DY, DX); avg (DY, DX) since it never reads x.
 */
export function pool2dBackwardKernel(op: PoolOp): KernelSource {
  const term =
    op === 'max'
      ? `if (argmaxIn(base, oy, ox) == y * pW() + x) { g = g + DY[dyBase + u32(oy * pOW() + ox)]; }`
      : `g = g + DY[dyBase + u32(oy * pOW() + ox)] / f32(max(cellsIn(oy, ox), 1));`;
  return {
    key: `pool2d_bwd_${op}`,
    wgsl: () => `${PARAMS}
${op === 'max' ? `${storage(1, 'X', 'f32')}\n${storage(2, 'DY', 'f32')}\n${storage(3, 'DX', 'f32', true)}` : `${storage(1, 'DY', 'f32')}\n${storage(2, 'DX', 'f32', true)}`}
${GEOMETRY}${op === 'max' ? ARGMAX : ''}
fn ceilDiv(a: i32, b: i32) -> i32 { return select(a / b, (a + b - 1) / b, a > 0); }
${elementwiseMain(`  let hw = u32(pH() * pW());
  let plane = i / hw;
  let p = i32(i % hw);
  let y = p / pW();
  let x = p % pW();
  let base = plane * hw;
  let dyBase = plane * u32(pOH() * pOW());
  // Windows oy with oy·sh − ph ≤ y < oy·sh − ph + kh.
  let oy0 = max(ceilDiv(y + pPH() - pKH() + 1, pSH()), 0);
  let oy1 = min((y + pPH()) / pSH(), pOH() - 1);
  let ox0 = max(ceilDiv(x + pPW() - pKW() + 1, pSW()), 0);
  let ox1 = min((x + pPW()) / pSW(), pOW() - 1);
  var g = 0.0;
  for (var oy = oy0; oy <= oy1; oy++) {
    for (var ox = ox0; ox <= ox1; ox++) {
      ${term}
    }
  }
  DX[i] = g;`)}`,
  };
}
