/** Loads a PyTorch fixture (make_fixtures.py) and checks one model against it on one device. */
import { readFileSync } from 'node:fs';
import { concat, GradManager, reshape, sum, type Tensor, tensor } from '@mge/core';
import type { Module } from '@mge/module';
import { expect } from 'vitest';
import { CharGPT, MobileNetV2, resnet18, resnet50, ShuffleNetV2 } from '../src/index.js';

interface Fixture {
  model: string;
  options: Record<string, unknown>;
  input: { shape: number[]; dtype: 'float32' | 'int32'; data: number[] };
  state: Record<string, { shape: number[]; data: number[] }>;
  evalOutput: number[];
  output: { shape: number[]; data: number[] };
  probe: number[];
  grads: Record<string, number[]>;
  runningAfter: Record<string, number[]>;
}

export const FIXTURES = ['resnet18-tiny', 'resnet50-tiny', 'shufflenetv2-tiny', 'mobilenetv2-tiny', 'chargpt-tiny'] as const;

export function readFixture(name: string): Fixture {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8')) as Fixture;
}

export function build(f: Fixture): Module {
  const o = f.options as never as Record<string, never>;
  switch (f.model) {
    case 'resnet18-tiny':
      return resnet18(o);
    case 'resnet50-tiny':
      return resnet50(o);
    case 'shufflenetv2-tiny':
      return new ShuffleNetV2(o);
    case 'mobilenetv2-tiny':
      return new MobileNetV2(o);
    case 'chargpt-tiny':
      return new CharGPT(f.options as never);
  }
  throw new Error(`no builder for fixture ${f.model}`);
}

/**
 * Close to the reference, relative to its largest magnitude (float32 through deep nets); at
 * least 1e-3, since gradients that are zero in exact arithmetic (a bias before BN) are noise.
 */
export function expectClose(what: string, got: ArrayLike<number>, want: readonly number[], rtol: number): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  let scale = 0;
  for (const v of want) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  let at = -1;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i] - want[i]);
    if (!(e <= worst)) [worst, at] = [e, i];
  }
  expect(
    worst / Math.max(scale, 1e-3),
    `${what}: worst error ${worst} at ${at} (got ${got[at]}, want ${want[at]}, scale ${scale})`,
  ).toBeLessThan(rtol);
}

export function loadFixtureState(model: Module, f: Fixture): void {
  const sd = new Map(Object.entries(f.state).map(([k, v]) => [k, tensor(Float32Array.from(v.data), { shape: v.shape })]));
  model.loadStateDict(sd);
}

/** eval forward, then one training forward and full backward, against PyTorch. */
export async function checkAgainstTorch(f: Fixture, rtol: number): Promise<void> {
  const model = build(f);
  loadFixtureState(model, f);
  const x = tensor(f.input.dtype === 'int32' ? Int32Array.from(f.input.data) : Float32Array.from(f.input.data), {
    shape: f.input.shape,
    dtype: f.input.dtype,
  });
  model.eval();
  expectClose(`${f.model} eval output`, await (model(x) as Tensor).data(), f.evalOutput, rtol);
  model.train();
  const params = [...model.namedParameters()];
  const gm = new GradManager().attach(params.map(([, p]) => p));
  gm.record();
  const out = model(x) as Tensor;
  expect(out.shape).toEqual(f.output.shape);
  gm.backward(sum(out.mul(tensor(Float32Array.from(f.probe), { shape: f.output.shape }))));
  expectClose(`${f.model} train output`, await out.data(), f.output.data, rtol);
  expect(params.map(([k]) => k).sort()).toEqual(Object.keys(f.grads).sort());
  // one read for all gradients and statistics: each read is a device round trip
  const buffers = new Map(model.namedBuffers());
  const checked: [string, Tensor, number[]][] = [
    ...params.map(([k, p]): [string, Tensor, number[]] => [`grad ${k}`, p.grad!, f.grads[k]]),
    ...Object.entries(f.runningAfter).map(([k, want]): [string, Tensor, number[]] => [`${k} after one step`, buffers.get(k)!, want]),
  ];
  const all = await concat(
    checked.map(([, t]) => reshape(t, [-1])),
    0,
  ).data();
  let at = 0;
  for (const [what, t, want] of checked) {
    expectClose(`${f.model} ${what}`, all.subarray(at, at + t.size), want, rtol);
    at += t.size;
  }
}
