import { type Conv2dParams, type DataArray, type DType, JsBackend, type TensorRef } from '@mge/core';
import { rng } from '@mge/core/testing';
import { afterAll, expect } from 'vitest';
import { CpuBackend, cpuInfo, setGemmIsa, setNumThreads } from '../src/index.js';

// The differential tests exercise the threaded splits, whatever the machine (MGE_NUM_THREADS
// or a one-CPU runner would otherwise give a pool of one).
setNumThreads(2);

// Read before probing: setGemmIsa switches the path it accepts.
export const defaultIsa = cpuInfo().isa as 'avx512' | 'avx2' | 'neon' | 'portable';
/** The ISA paths this machine can run (each probed by switching to it). */
export const ISAS = (['avx512', 'avx2', 'neon', 'portable'] as const).filter((isa) => setGemmIsa(isa));
setGemmIsa(defaultIsa);
const defaultThreads = cpuInfo().threads;
/** Every path at one thread, then the default path at two threads (the threaded splits). */
export const ISA_RUNS = [...ISAS.map((i) => [i, 1] as const), [defaultIsa, 2] as const];
/** For a file that switches paths or thread counts: put both back once it is done. */
export function restoreIsaAfterAll(): void {
  afterAll(() => {
    setGemmIsa(defaultIsa);
    setNumThreads(defaultThreads);
  });
}

export const cpu = new CpuBackend();
export const js = new JsBackend();

/** The seeded generator of core's conformance suite, so failures reproduce. */
export { rng };

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export type Gen = 'normal' | 'positive' | 'int' | 'smallint' | 'bool' | 'special';

const SPECIAL_F32 = [0, -0, 0.5, -0.5, 1.5, 2.5, -2.5, 1e30, -1e30, 3e9, -3e9, Number.NaN, Infinity, -Infinity, 7, -7];
const SPECIAL_I32 = [0, 1, -1, 2, -2, 2147483647, -2147483648, 7, -7, 3, 100, -100];

export function randomArray(dtype: DType, n: number, gen: Gen, r: () => number): DataArray {
  const out = dtype === 'float32' ? new Float32Array(n) : dtype === 'int32' ? new Int32Array(n) : new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let v: number;
    switch (gen) {
      case 'normal':
        v = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
        break;
      case 'positive':
        v = 0.25 + 3 * r();
        break;
      case 'int':
        v = Math.floor(r() * 21) - 10;
        break;
      case 'smallint':
        v = Math.floor(r() * 4);
        break;
      case 'bool':
        v = r() < 0.5 ? 1 : 0;
        break;
      case 'special': {
        const list = dtype === 'float32' ? SPECIAL_F32 : SPECIAL_I32;
        v = list[Math.floor(r() * list.length)];
        break;
      }
    }
    if (dtype === 'bool') v = v !== 0 ? 1 : 0;
    out[i] = v;
  }
  return out;
}

/** The same input as a TensorRef on each backend. */
export function pair(dtype: DType, shape: number[], data: DataArray): { c: TensorRef<DataArray>; j: TensorRef<DataArray> } {
  return { c: { buf: cpu.upload(data), shape, dtype }, j: { buf: js.upload(data), shape, dtype } };
}

export function randomPair(dtype: DType, shape: number[], gen: Gen, seed: number) {
  return pair(dtype, shape, randomArray(dtype, sizeOf(shape), gen, rng(seed)));
}

/** Elementwise |got − want| ≤ atol + rtol·|want| for floats (NaN matches NaN, ±Inf exactly); exact otherwise. */
export function expectClose(got: DataArray, want: DataArray, rtol = 1e-5, atol = 1e-6, what = ''): void {
  expect(got.constructor.name, `${what} array type`).toBe(want.constructor.name);
  expect(got.length, `${what} length`).toBe(want.length);
  if (!(want instanceof Float32Array)) {
    for (let i = 0; i < want.length; i++) {
      if (got[i] !== want[i]) expect(got[i], `${what} element ${i}`).toBe(want[i]);
    }
    return;
  }
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const w = want[i];
    if (Number.isNaN(w) || !Number.isFinite(w)) {
      if (!Object.is(g, w) && !(Number.isNaN(g) && Number.isNaN(w))) expect(g, `${what} element ${i}`).toBe(w);
      continue;
    }
    if (!(Math.abs(g - w) <= atol + rtol * Math.abs(w))) {
      expect(g, `${what} element ${i} (want ${w})`).toBe(w);
    }
  }
}

/**
 * conv2d (plain and with each epilogue), its input gradient and its filter gradient on `cpu`
 * against the js backend, on random data drawn from `seed` onwards; returns the next seed.
 */
export function expectConvMatchesJs(p: Conv2dParams, seed: number): number {
  const tag = JSON.stringify(p);
  const x = randomPair('float32', [p.n, p.c, p.h, p.w], 'normal', seed++);
  const w = randomPair('float32', [p.o, p.c / p.groups, p.kh, p.kw], 'normal', seed++);
  const dy = randomPair('float32', [p.n, p.o, p.oh, p.ow], 'normal', seed++);
  const bias = randomPair('float32', [p.o], 'normal', seed++);
  const ysize = p.n * p.o * p.oh * p.ow;
  for (const ep of [undefined, { bias: true, activation: 'relu' }, { bias: true }, { activation: 'relu' }] as const) {
    const pick = (b: typeof bias.c) =>
      ep ? { bias: 'bias' in ep ? b : undefined, activation: 'activation' in ep ? ep.activation : undefined } : undefined;
    expectClose(
      cpu.readSync(cpu.conv2d(x.c, w.c, p, pick(bias.c)), 'float32', ysize),
      js.conv2d(x.j, w.j, p, pick(bias.j)),
      1e-4,
      1e-4,
      `fwd ${JSON.stringify(ep)} ${tag}`,
    );
  }
  expectClose(
    cpu.readSync(cpu.conv2dBackwardInput(dy.c, w.c, p), 'float32', p.n * p.c * p.h * p.w),
    js.conv2dBackwardInput(dy.j, w.j, p),
    1e-4,
    1e-4,
    `bwd input ${tag}`,
  );
  expectClose(
    cpu.readSync(cpu.conv2dBackwardFilter(x.c, dy.c, p), 'float32', (p.o * p.c * p.kh * p.kw) / p.groups),
    js.conv2dBackwardFilter(x.j, dy.j, p),
    1e-4,
    1e-3,
    `bwd filter ${tag}`,
  );
  return seed;
}

/** The activations of conv2d's extended epilogue (core's ConvEpilogue). */
export type EpilogueAct = 'relu' | 'relu6' | 'hardswish' | undefined;

/**
 * act(conv + bias + residual) on js, one kernel at a time as traced operators run them (relu6 as
 * minimum(maximum(·, 0), 6), hardswish as x · (relu6(x + 3) · 1/6)): what every fused
 * convolution epilogue of cpu must equal.
 */
export function epilogueReference(
  x: TensorRef,
  w: TensorRef,
  p: Conv2dParams,
  bias?: TensorRef,
  residual?: TensorRef,
  act?: EpilogueAct,
): DataArray {
  const shape = [p.n, p.o, p.oh, p.ow];
  const ref = (buf: unknown, s = shape) => ({ buf, shape: s, dtype: 'float32' as const });
  const scalar = (v: number) => ref(js.upload(Float32Array.of(v)), [1, 1, 1, 1]);
  let y = js.conv2d(x as never, w as never, p, bias ? { bias: bias as never } : undefined) as unknown;
  if (residual) y = js.binary('add', ref(y) as never, residual as never, shape);
  const relu6 = (v: unknown) =>
    js.binary('minimum', ref(js.binary('maximum', ref(v) as never, scalar(0) as never, shape)) as never, scalar(6) as never, shape);
  if (act === 'relu') y = js.unary('relu', ref(y) as never);
  if (act === 'relu6') y = relu6(y);
  if (act === 'hardswish') {
    const h = js.binary(
      'mul',
      ref(relu6(js.binary('add', ref(y) as never, scalar(3) as never, shape))) as never,
      scalar(1 / 6) as never,
      shape,
    );
    y = js.binary('mul', ref(y) as never, ref(h) as never, shape);
  }
  return y as DataArray;
}
